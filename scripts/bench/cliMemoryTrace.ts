/**
 * Where the CLI's memory goes frame by frame, for finding a drift with short
 * runs (a looped clip of a few thousand frames). Every `--every` frames,
 * after a full garbage collection, it prints one JSON line: resident memory,
 * V8's heap used, external and ArrayBuffer memory (process.memoryUsage()),
 * and the byte size of every WebAssembly.Memory made so far.
 *
 *   NODE_OPTIONS=--expose-gc tsx scripts/bench/cliMemoryTrace.ts VIDEO [--stage process|tracker] [--every 500] [--frames N] [--no-gc] [--replay REFERENCE_CSV]
 *
 * process: the whole `process` run (own tracker, rows spilled, CSV written to a temp dir);
 * tracker: the own tracker's face source alone over the decoded frames (no AU analysis).
 * --replay REFERENCE_CSV: OpenFace's landmarks of the looped clip replayed instead of the own tracker.
 * --no-gc: no collection before a sample (the resident memory as a run leaves it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { getHeapStatistics } from 'node:v8';

// Every WebAssembly.Memory the modules export, recorded as they are instantiated
// (patched before any module that instantiates one is imported).
const memories: { name: string; memory: WebAssembly.Memory }[] = [];
const OriginalInstance = WebAssembly.Instance;
class RecordedInstance extends OriginalInstance {
  constructor(module: WebAssembly.Module, imports?: WebAssembly.Imports) {
    super(module, imports);
    const memory = this.exports.memory;
    if (memory instanceof WebAssembly.Memory) {
      const names = WebAssembly.Module.exports(module).map((e) => e.name);
      memories.push({ name: names.find((n) => n !== 'memory') ?? 'module', memory });
    }
  }
}
(WebAssembly as { Instance: typeof WebAssembly.Instance }).Instance = RecordedInstance;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { stage: { type: 'string', default: 'process' }, every: { type: 'string', default: '500' }, frames: { type: 'string' }, 'no-gc': { type: 'boolean', default: false }, replay: { type: 'string' } },
});
const video = positionals[0];
if (!video) {
  console.error('usage: tsx scripts/bench/cliMemoryTrace.ts VIDEO [--stage process|tracker] [--every 500] [--frames N]');
  process.exit(2);
}
const every = Number(values.every);
const maxFrames = values.frames ? Number(values.frames) : Infinity;
const gc = values['no-gc'] ? undefined : (globalThis as { gc?: () => void }).gc;
if (!gc && !values['no-gc']) console.error('note: run with NODE_OPTIONS=--expose-gc for figures after a full collection');

const MB = (bytes: number) => Math.round(bytes / 1024 / 102.4) / 10;
const started = performance.now();
function sample(frames: number): void {
  gc?.();
  const m = process.memoryUsage();
  // V8's own malloc'd memory (compiler zones and the like), outside the JS heap
  const v8Malloced = MB(getHeapStatistics().malloced_memory);
  const wasm: Record<string, number> = {};
  for (const { name, memory } of memories) wasm[name] = (wasm[name] ?? 0) + MB(memory.buffer.byteLength);
  console.log(JSON.stringify({ frames, s: Math.round((performance.now() - started) / 1000), rss: MB(m.rss), heapUsed: MB(m.heapUsed), heapTotal: MB(m.heapTotal), external: MB(m.external), arrayBuffers: MB(m.arrayBuffers), v8Malloced, wasm }));
}

const { OPENFACE_MODELS } = await import('../sharedData.ts');
const { loadModelFolder } = await import('../../src/cli/modelFolder.ts');
const { trackerFaceSource } = await import('../../src/cli/faceSources.ts');
const folder = await loadModelFolder(OPENFACE_MODELS);
const { replaySource } = await import('./cliMemory.ts');
// replay: OpenFace's landmarks of the looped clip instead of the tracker (cliMemory.ts's replayed landmarks)
const inner = values.replay ? replaySource(values.replay) : await trackerFaceSource(folder, { allFaces: false });
let seen = 0;
const source: typeof inner = {
  async facesIn(frame) {
    if (seen >= maxFrames) throw new (await import('../../src/core/errors.ts')).VideoInputError('trace: frame limit reached');
    if (seen % every === 0) sample(seen);
    seen++;
    return inner.facesIn(frame);
  },
  timings: () => inner.timings(),
  get provenance() {
    return inner.provenance;
  },
  note: () => inner.note(),
  release: () => inner.release(),
};

if (values.stage === 'tracker') {
  const { decodeVideo } = await import('../../src/cli/ffmpegDecode.ts');
  for await (const frame of decodeVideo(video)) {
    if (seen >= maxFrames) break;
    await source.facesIn(frame);
  }
  sample(seen);
} else {
  const { processVideo } = await import('../../src/cli/processVideo.ts');
  const dir = mkdtempSync(join(tmpdir(), 'splitface-trace-'));
  try {
    await processVideo({
      video, models: OPENFACE_MODELS, landmarksFrom: undefined, faceSource: source, out: join(dir, `${basename(video)}.csv`),
      hogOut: undefined, alignedOut: undefined, fps: 30, allFaces: false,
    });
    sample(seen);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
await source.release();
