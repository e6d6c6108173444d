/**
 * The models and the analysis engine: the user's OpenFace folder (import,
 * remove), the npm-package models, and the worker pool built from both. The
 * pool starts as soon as the page opens (so the compute path shows before the
 * first video) and is rebuilt when the OpenFace folder changes.
 */
import type { AnalysisRunner } from '../../worker/analysisApi.ts';
import type { AppServices, NpmModelInfo, OpenFaceFolderInfo } from './services.ts';
import type { ModelStatus } from './types.ts';

export type EngineState = 'idle' | 'starting' | 'ready' | 'failed';

function errorMessage(error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  return String(error) || 'unknown error';
}

export class ModelController {
  /** the imported OpenFace folder, or null */
  openface: OpenFaceFolderInfo | null = $state.raw(null);
  /** false until the stored folder (if any) was looked up */
  openfaceKnown = $state(false);
  /** an import or removal is running */
  working = $state(false);
  /** why the last import or removal failed ('' when it did not) */
  error = $state('');
  npmModels: readonly NpmModelInfo[] = $state.raw([]);
  computePath: string | null = $state(null);
  engine: EngineState = $state('idle');
  /** why the engine could not start ('' when it did) */
  engineError = $state('');

  #runner: Promise<AnalysisRunner> | null = null;
  /** which folder generation each pool was made for: a superseded start resolves to the newer pool, which must survive */
  readonly #generationOf = new WeakMap<AnalysisRunner, number>();
  #npm: ReturnType<AppServices['loadNpmModels']> | null = null;
  #generation = 0;

  /**
   * @param isBusy whether videos are being analysed: the folder cannot change
   *   then (the running pool's workers hold the old one)
   */
  constructor(
    private readonly services: AppServices,
    private readonly isBusy: () => boolean = () => false,
  ) {}

  get canPickFolder(): boolean {
    return this.services.openface.canPickFolder;
  }

  /** The model panel's summary (the ModelStatus seam). */
  get status(): ModelStatus {
    const f = this.openface;
    return {
      openface: f && { name: f.name, files: f.files, importedAt: f.importedAt },
      computePath: this.computePath,
      npmModels: this.npmModels.map((m) => ({ ...m })),
    };
  }

  /** Looks up the stored folder and starts the engine. */
  async start(): Promise<void> {
    try {
      this.openface = await this.services.openface.info();
    } catch (error) {
      this.error = `The stored OpenFace model folder could not be read: ${errorMessage(error)}`;
    } finally {
      this.openfaceKnown = true;
    }
    await this.runner().catch(() => undefined);
  }

  /** The analysis pool (started once; a failed start is retried on the next call). */
  runner(): Promise<AnalysisRunner> {
    if (!this.#runner) {
      const generation = this.#generation;
      const created = this.#createRunner(generation);
      this.#runner = created;
      created.catch(() => {
        if (this.#runner === created) this.#runner = null;
      });
    }
    return this.#runner;
  }

  async #createRunner(generation: number): Promise<AnalysisRunner> {
    this.engine = 'starting';
    this.engineError = '';
    try {
      const npm = await (this.#npm ??= this.services.loadNpmModels().catch((error: unknown) => {
        this.#npm = null;
        throw error;
      }));
      this.npmModels = npm.entries;
      // a broken store must not stop the engine: it then runs without AU models and the panel says why
      const openface = await this.services.openface.readAll().catch((error: unknown) => {
        this.error = `The stored OpenFace model folder could not be read, so AU columns are off: ${errorMessage(error)}`;
        return null;
      });
      const runner = await this.services.createRunner({ blazeFaceBack: npm.blazeFaceBack, faceApi68: npm.faceApi68, openface, openfaceCenWeights: this.openface?.cenWeights ?? false });
      if (generation !== this.#generation) {
        // the folder changed while this pool was starting: a newer one replaces it
        runner.dispose();
        return this.runner();
      }
      this.#generationOf.set(runner, generation);
      this.computePath = runner.computePath;
      this.engine = 'ready';
      return runner;
    } catch (error) {
      if (generation === this.#generation) {
        this.engine = 'failed';
        this.engineError = errorMessage(error);
      }
      throw error;
    }
  }

  #disposeStale(old: Promise<AnalysisRunner> | null): void {
    old?.then((r) => {
      if (this.#generationOf.get(r) !== this.#generation) r.dispose();
    }, () => undefined);
  }

  /** Drops the pool (its workers hold the old folder) and starts a new one. */
  #restartEngine(): void {
    this.#generation++;
    const old = this.#runner;
    this.#runner = null;
    this.computePath = null;
    this.#disposeStale(old);
    void this.runner().catch(() => undefined);
  }

  async #change(task: () => Promise<OpenFaceFolderInfo | null | undefined>): Promise<void> {
    if (this.working) return;
    if (this.isBusy()) {
      this.error = 'The OpenFace folder can be changed when no video is being analysed: wait for the batch or cancel it.';
      return;
    }
    this.working = true;
    this.error = '';
    try {
      const info = await task();
      if (info === undefined) return; // nothing changed (picker cancelled)
      this.openface = info;
      this.#restartEngine();
    } catch (error) {
      this.error = errorMessage(error);
    } finally {
      this.working = false;
    }
  }

  /** Opens the browser's folder picker (showDirectoryPicker) and imports the folder chosen. */
  pickFolder(): Promise<void> {
    return this.#change(async () => (await this.services.openface.pickFolder()) ?? undefined);
  }

  /** Imports the files of `<input type=file webkitdirectory>`. */
  importFiles(files: readonly File[]): Promise<void> {
    if (files.length === 0) return Promise.resolve();
    return this.#change(() => this.services.openface.importFiles(files));
  }

  remove(): Promise<void> {
    return this.#change(async () => {
      await this.services.openface.remove();
      return null;
    });
  }

  dispose(): void {
    this.#generation++;
    const old = this.#runner;
    this.#runner = null;
    this.#disposeStale(old);
  }
}
