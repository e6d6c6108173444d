/**
 * The decode test page: openVideo / openImageSequence on the files in
 * #files, every frame through rawFrameToBgr (what the analysis worker
 * does), and a SHA-256 per frame sent back instead of the pixels.
 */
import { openImageSequence, openVideo, rawFrameToBgr } from '../../../src/video/openVideo.ts';
import type { VideoSource } from '../../../src/video/types.ts';
import type { DecodedFrameReport, DecodePageApi, DecodeReport, DecodeRequest } from './decodeApi.ts';

function hex(digest: ArrayBuffer): string {
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

function heapBytes(): number | null {
  const memory = (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory;
  return memory ? memory.usedJSHeapSize : null;
}

async function decode(request: DecodeRequest): Promise<DecodeReport> {
  const input = document.querySelector<HTMLInputElement>('#files');
  const files = Array.from(input?.files ?? []);
  const start = performance.now();
  const frames: DecodedFrameReport[] = [];
  const hashes: Promise<void>[] = [];
  let source: VideoSource | null = null;
  let error: DecodeReport['error'] = null;
  try {
    if (request.sequence) source = await openImageSequence(files);
    else if (files[0]) source = await openVideo(files[0]);
    else throw new Error('no file selected');
    for await (const frame of source.frames()) {
      const bgr = rawFrameToBgr(frame);
      const slot = frames.length;
      frames.push({ index: frame.index, timestamp: frame.timestamp, width: bgr.width, height: bgr.height, format: frame.format, sha256: '' });
      // Hash while the next frame decodes; the report waits for all of them.
      hashes.push(
        crypto.subtle.digest('SHA-256', bgr.data as Uint8Array<ArrayBuffer>).then((digest) => {
          frames[slot] = { ...frames[slot], sha256: hex(digest) };
        }),
      );
      if (request.maxFrames !== undefined && frames.length >= request.maxFrames) break;
    }
  } catch (caught) {
    error = caught instanceof Error ? { name: caught.name, message: caught.message } : { name: 'Error', message: String(caught) };
  }
  await Promise.all(hashes);
  const info = source?.info ?? null;
  await source?.close();
  return { info, frames, error, ms: performance.now() - start, heapBytes: heapBytes(), crossOriginIsolated };
}

const api: DecodePageApi = { decode };
window.splitfaceE2E = api;
