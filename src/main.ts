import { mount } from 'svelte';
import './app.css';
import App from './app/App.svelte';
import { BatchController } from './app/batch/controller.svelte.ts';
import { ModelController } from './app/batch/models.svelte.ts';
import { createBrowserServices } from './app/batch/services.ts';
import { installTestHook } from './app/testHook.ts';
import { openResultsStore } from './app/storage/resultsStore.ts';
import { installUnloadGuard } from './app/storage/unloadGuard.ts';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

const services = createBrowserServices();
// the folder may change only while no video is analysed
const models = new ModelController(services, () => batch.busy);
const batch: BatchController = new BatchController({
  openVideo: (file) => services.openVideo(file),
  openImageSequence: (files) => services.openImageSequence(files),
  runner: () => models.runner(),
  results: () => openResultsStore(),
});
installUnloadGuard(window, () => batch.busy);
installTestHook(window, batch, models);

export default mount(App, { target, props: { batch, models } });
void models.start();
void batch.restore();
