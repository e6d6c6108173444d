/** Fake videos and a fake worker pool for the batch controller's tests. */
import type { AnalysisJob, AnalysisResult, AnalysisRunner, FrameUpdate } from '../../src/worker/analysisApi.ts';
import type { RawVideoFrame, VideoSource } from '../../src/video/types.ts';
import { VideoInputError } from '../../src/core/errors.ts';

export interface FakeVideo {
  frames: number;
  /** frame count the container announces (default: frames) */
  hint?: number | null;
  /** decoding fails after this many frames */
  failAfter?: number;
  /** opening fails with this message */
  openError?: string;
}

export function fakeFile(name: string, size = 1000): File {
  return new File([new Uint8Array(size)], name);
}

export function fakeSource(name: string, video: FakeVideo, closed: string[]): VideoSource {
  return {
    info: {
      name,
      sizeBytes: 1000,
      width: 4,
      height: 2,
      durationSeconds: video.frames / 30,
      frameCountHint: video.hint === undefined ? video.frames : video.hint,
      codec: 'avc1.64001f',
      decoder: 'webcodecs',
      rotation: 0,
    },
    async *frames(signal?: AbortSignal): AsyncGenerator<RawVideoFrame> {
      for (let index = 0; index < video.frames; index++) {
        if (signal?.aborted) return;
        if (video.failAfter !== undefined && index >= video.failAfter) throw new VideoInputError(`${name}: damaged stream at frame ${index + 1}`);
        yield { index } as RawVideoFrame;
      }
    },
    async close() {
      closed.push(name);
    },
  };
}

export function fakeResult(frames: number, stoppedBy: string | null): AnalysisResult {
  return {
    csv: new Blob([`frame, face_id\n${Array.from({ length: frames }, (_, i) => `${i + 1}, 0`).join('\n')}\n`]),
    storedAs: null,
    provenance: { test: true },
    frames,
    rows: frames,
    tracked: frames,
    partial: stoppedBy !== null,
    stoppedBy,
    note: null,
    auColumns: { intensityNames: ['AU01'], presenceNames: ['AU01'] },
    auSummary: [{ name: 'AU01', meanIntensity: 0.5, presentShare: 0.5 }],
    series: { timestamps: new Float64Array(frames), intensities: [new Float32Array(frames)] },
    stageMs: {},
  };
}

/** A pool that "analyses" one frame per macrotask, with a preview every `previewEvery` frames. */
export class FakeRunner implements AnalysisRunner {
  readonly computePath = 'fake, 1 thread';
  running = 0;
  maxRunning = 0;
  /** frames wait on this before being analysed (tests open and close it) */
  gate: Promise<void> = Promise.resolve();
  /** the options each job was run with, in the order the jobs started */
  readonly options: AnalysisJob['options'][] = [];

  constructor(
    readonly workers = 2,
    private readonly previewEvery = 5,
  ) {}

  async run(job: AnalysisJob): Promise<AnalysisResult> {
    this.running++;
    this.options.push(job.options);
    this.maxRunning = Math.max(this.maxRunning, this.running);
    let done = 0;
    try {
      try {
        for await (const frame of job.source.frames(job.signal)) {
          await this.gate;
          await new Promise((r) => setTimeout(r, 0));
          if (job.signal.aborted) break;
          const update: FrameUpdate = {
            index: frame.index,
            faces: [
              { faceId: 0, success: true, landmarks: new Float64Array(136).fill(1) },
              { faceId: 1, success: false, landmarks: null },
            ],
            preview: frame.index % this.previewEvery === 0 ? { width: 4, height: 2, rgba: new Uint8ClampedArray(32), scale: 1 } : null,
          };
          job.onFrame(update);
          done++;
        }
      } catch (error) {
        if (done === 0) throw error;
        return fakeResult(done, (error as Error).message);
      }
      if (done === 0 && job.signal.aborted) throw new Error('cancelled before the first frame');
      return fakeResult(done, job.signal.aborted ? 'cancelled by the user' : null);
    } finally {
      this.running--;
    }
  }

  dispose(): void {}
}
