/**
 * Analysis worker entry (comlink). Calls are chained so that frames are
 * analysed strictly in the order they were sent, even though comlink starts
 * handling a message while an earlier one still awaits inference.
 */
import * as Comlink from 'comlink';
import type { AnalysisModels, AnalysisOptions, AnalysisResult, AnalysisWorkerApi, FrameUpdate } from './analysisApi.ts';
import type { RawVideoFrame, VideoInfo } from '../video/types.ts';
import { createWebBackend } from '../models/web.ts';
import { FrameAnalyser } from './frameAnalyser.ts';
import { MirrorAnalyser } from './mirrorAnalyser.ts';
import type { MirrorFrameUpdate, MirrorPass, MirrorRunOptions } from './mirrorApi.ts';

let analyser: FrameAnalyser | null = null;

/** A nested tracker worker (trackerWorker.ts), started here so that its bundle is not part of its own. */
function spawnTrackerWorker(): Worker {
  return new Worker(new URL('./trackerWorker.ts', import.meta.url), { type: 'module', name: 'splitface-tracker' });
}
let mirror: MirrorAnalyser | null = null;
let queue: Promise<unknown> = Promise.resolve();

function inOrder<T>(work: () => T | Promise<T>): Promise<T> {
  const next = queue.then(work);
  queue = next.catch(() => {});
  return next;
}

function requireMirror(): MirrorAnalyser {
  mirror ??= new MirrorAnalyser(requireAnalyser());
  return mirror;
}

function requireAnalyser(): FrameAnalyser {
  if (!analyser) throw new Error('the analysis worker was not initialised');
  return analyser;
}

const api: AnalysisWorkerApi = {
  init: (models: AnalysisModels) =>
    inOrder(async () => {
      analyser = await FrameAnalyser.create(await createWebBackend(), models, spawnTrackerWorker);
      mirror = null;
      return { computePath: analyser.computePath };
    }),
  begin: (video: VideoInfo, options: AnalysisOptions) => inOrder(() => requireAnalyser().begin(video, options)),
  // only the hand-over is in order: the next frame goes in while this one's AUs wait for its faces
  pushFrame: async (frame: RawVideoFrame): Promise<FrameUpdate> => {
    const { analysed } = await inOrder(() => requireAnalyser().sendFrame(frame));
    const update = await analysed;
    const moved: Transferable[] = update.frameBuffer ? [update.frameBuffer] : [];
    if (update.preview) moved.push(update.preview.rgba.buffer);
    return Comlink.transfer(update, moved);
  },
  endFrames: () => inOrder(() => requireAnalyser().endFrames()),
  finish: (stoppedBy: string | null): Promise<AnalysisResult> => inOrder(() => requireAnalyser().finish(stoppedBy)),
  // Face Mirror (mirrorAnalyser.ts): a push resolves once the run has used the frame, so frames stay in order
  mirrorBegin: (video: VideoInfo, options: MirrorRunOptions) => inOrder(() => requireMirror().begin(video, options)),
  mirrorPushFrame: (pass: MirrorPass, frame: RawVideoFrame): Promise<MirrorFrameUpdate> =>
    inOrder(async () => {
      const update = await requireMirror().pushFrame(pass, frame);
      const p = update.preview;
      return p ? Comlink.transfer(update, [p.source.buffer, ...(p.right ? [p.right.buffer] : []), ...(p.left ? [p.left.buffer] : [])]) : update;
    }),
  mirrorEndPass: (pass: MirrorPass, stoppedBy: string | null, cancelled: boolean) => inOrder(() => requireMirror().endPass(pass, stoppedBy, cancelled)),
  mirrorFinish: () => inOrder(() => requireMirror().finish()),
};

Comlink.expose(api);
