/**
 * Videos WebCodecs cannot decode (AVI, WMV, MKV with old codecs, HEVC on
 * Chromium without a platform decoder...) go through ffmpeg.wasm in a
 * worker (ffmpegWorker.ts). ffmpeg hands over the decoder's own planes in
 * its own pixel format (no scaling, no colour conversion, no autorotation:
 * the core converts and turns them exactly as the CLI's system ffmpeg
 * does), one RawVideoFrame per decoded frame (-fps_mode passthrough) with
 * that frame's own presentation time.
 */
import coreUrl from '@ffmpeg/core?url';
import wasmUrl from '@ffmpeg/core/wasm?url';
import { VideoInputError } from '../core/errors.ts';
import { openCvColorInfo } from '../core/color/yuvToBgr.ts';
import { createByteRing, ByteRingReader } from './byteRing.ts';
import { FRAME_HEADER_BYTES, OUTPUT_DEVICE, type FfmpegRequest, type FfmpegResponse } from './ffmpegProtocol.ts';
import { parseProbe } from './ffprobeInfo.ts';
import { truncationOf } from './containerSize.ts';
import { assertConvertible } from './frameSupport.ts';
import { ffmpegPixelFormat, packedLayout } from './pixelFormats.ts';
import { FrameBufferPool } from './framePool.ts';
import type { RawVideoFrame, VideoInfo, VideoSource } from './types.ts';

/** Ring size: a few frames ahead, at least 16 MiB, so ffmpeg rarely waits for us (and we never wait long for it). */
const MIN_RING_BYTES = 16 * 1024 * 1024;
const FRAMES_AHEAD = 4;

type RequestBody = FfmpegRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/** One worker, one request at a time. */
class FfmpegWorkerClient {
  private readonly worker = new Worker(new URL('./ffmpegWorker.ts', import.meta.url), { type: 'module', name: 'splitface-ffmpeg' });
  private readonly pending = new Map<number, (response: FfmpegResponse) => void>();
  private nextId = 1;
  private crashed: string | null = null;

  constructor() {
    this.worker.onmessage = (event: MessageEvent<FfmpegResponse>) => {
      const resolve = this.pending.get(event.data.id);
      this.pending.delete(event.data.id);
      resolve?.(event.data);
    };
    this.worker.onerror = (event: ErrorEvent) => {
      this.crashed = event.message || 'the ffmpeg worker stopped';
      for (const [id, resolve] of this.pending) resolve({ id, type: 'failed', message: this.crashed });
      this.pending.clear();
    };
  }

  call(body: RequestBody): Promise<FfmpegResponse> {
    const id = this.nextId++;
    if (this.crashed) return Promise.resolve({ id, type: 'failed', message: this.crashed });
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.worker.postMessage({ ...body, id } as FfmpegRequest);
    });
  }

  terminate(): void {
    this.worker.terminate();
    for (const [id, resolve] of this.pending) resolve({ id, type: 'failed', message: 'closed' });
    this.pending.clear();
  }
}

function absolute(url: string): string {
  return new URL(url, location.href).href;
}

/**
 * Opens a file with ffmpeg.wasm. Throws VideoInputError when the file is not a video, its
 * codec is unknown, or its frames cannot be converted exactly.
 */
export async function openWithFfmpeg(file: File): Promise<VideoSource> {
  if (typeof SharedArrayBuffer === 'undefined' || !crossOriginIsolated) {
    throw new VideoInputError(`${file.name}: this video needs ffmpeg.wasm, which needs a cross-origin isolated page (the server must send Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)`);
  }
  const client = new FfmpegWorkerClient();
  try {
    const probed = await client.call({ type: 'probe', file, urls: { coreUrl: absolute(coreUrl), wasmUrl: absolute(wasmUrl) } });
    if (probed.type === 'failed') throw new VideoInputError(`${file.name}: ffmpeg.wasm could not start (${probed.message})`);
    if (probed.type !== 'probed') throw new Error(`ffmpeg worker: unexpected ${probed.type}`);
    const stream = parseProbe(file.name, probed.json, probed.lastLogLine);
    const pixel = ffmpegPixelFormat(stream.pixelFormat);
    assertConvertible(file.name, pixel?.format ?? null, stream.pixelFormat, stream);
    if (!pixel) throw new Error('unreachable: assertConvertible accepts only known formats');
    const { format } = pixel;
    const turned = stream.rotation === 90 || stream.rotation === 270;
    const info: VideoInfo = {
      name: file.name,
      sizeBytes: file.size,
      width: turned ? stream.height : stream.width,
      height: turned ? stream.width : stream.height,
      durationSeconds: stream.durationSeconds,
      frameCountHint: stream.frameCountHint,
      codec: stream.codec,
      decoder: 'ffmpeg.wasm',
      rotation: stream.rotation,
      mirrored: stream.mirrored,
      hdr: stream.hdr,
    };
    const layout = packedLayout(format, stream.width, stream.height);
    const color = openCvColorInfo(stream.codec, pixel.fullRange);
    // No scaling or conversion: the decoder's own format, written as it is.
    // -noautorotate: the core turns (and flips) the planes (rawFrameToBgr), as on the WebCodecs path.
    const outputArgs = ['-map', '0:v:0', '-an', '-sn', '-dn', '-vf', 'showinfo', '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', stream.pixelFormat, OUTPUT_DEVICE];
    let busy = false;
    const buffers = new FrameBufferPool();

    async function* frames(signal?: AbortSignal): AsyncGenerator<RawVideoFrame> {
      if (busy) throw new Error(`${file.name}: frames() is already running`);
      busy = true;
      const ring = createByteRing(Math.max(MIN_RING_BYTES, FRAMES_AHEAD * (layout.byteLength + FRAME_HEADER_BYTES)));
      const reader = new ByteRingReader(ring);
      const decoded = client.call({ type: 'decode', ring, inputArgs: ['-noautorotate'], outputArgs, frameBytes: layout.byteLength });
      const header = new Float64Array(1);
      const headerBytes = new Uint8Array(header.buffer);
      let index = 0;
      let firstTime: number | null = null;
      let finished = false;
      try {
        for (;;) {
          if (signal?.aborted) return;
          const got = await reader.read(headerBytes);
          if (got === 0) break;
          const data = buffers.take(layout.byteLength);
          if (got < FRAME_HEADER_BYTES || (await reader.read(new Uint8Array(data))) < layout.byteLength) {
            throw new VideoInputError(`${file.name}: the decoder stopped in the middle of frame ${index + 1}`);
          }
          const time = header[0];
          if (firstTime === null && Number.isFinite(time)) firstTime = time;
          // A frame without a pts (rare: broken AVI) gets its place in the nominal frame rate.
          const timestamp = Number.isFinite(time) && firstTime !== null ? time - firstTime : index / (stream.frameRate ?? 30);
          yield { index, timestamp, format, width: stream.width, height: stream.height, data, planes: layout.planes, rotation: stream.rotation, mirrored: stream.mirrored, color };
          index++;
        }
        finished = true;
        const result = await decoded;
        if (result.type === 'failed') throw new VideoInputError(`${file.name}: ffmpeg.wasm failed (${result.message})`);
        if (result.type !== 'decoded') throw new Error(`ffmpeg worker: unexpected ${result.type}`);
        // The last line that says something: ffmpeg's closing statistics ("video:17100kB audio:0kB ...") do not.
        const reason = result.logTail.filter((line) => !/^(video:\d|frame=)/.test(line)).at(-1) ?? `exit code ${result.exitCode}`;
        if (result.exitCode !== 0) throw new VideoInputError(`${file.name}: the video could not be decoded to its end: ${index} frames, then ffmpeg stopped (${reason})`);
        if (index === 0) throw new VideoInputError(`${file.name}: the video has no decodable frames (${reason})`);
        // MP4/MOV sample tables list every frame, so fewer frames means lost data;
        // an AVI's frame count also counts dropped-frame placeholders, so its own size field decides.
        if (stream.container.startsWith('mov') && stream.frameCountHint !== null && index < stream.frameCountHint) {
          throw new VideoInputError(`${file.name}: the file is truncated or damaged: ${index} of the ${stream.frameCountHint} frames it lists could be decoded (${reason})`);
        }
        const cut = await truncationOf(file);
        if (cut) throw new VideoInputError(`${file.name}: the file is truncated (${cut})`);
      } finally {
        if (!finished) {
          // Stopped early (abort, error, or the consumer's break): stop ffmpeg and wait for it, so the worker is free again.
          reader.cancel();
          await decoded;
        }
        busy = false;
      }
    }

    return {
      info,
      frames,
      recycle: (buffer) => buffers.give(buffer),
      async close() {
        client.terminate();
      },
    };
  } catch (error) {
    client.terminate();
    throw error;
  }
}
