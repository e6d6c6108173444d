/**
 * MP4/MOV/WebM/MKV with a codec the browser decodes (H.264, VP9, AV1...):
 * mediabunny reads the container from the File in pieces (BlobSource, a
 * small cache, never the whole file) and hands over encoded packets; a
 * WebCodecs VideoDecoder decodes them; each frame's planes are copied out
 * in their native format. Packets are fed only as frames are consumed, so
 * at most a handful of frames exist at a time.
 */
import { BlobSource, EncodedPacketSink, Input, MATROSKA, MP4, QTFF, WEBM, type InputVideoTrack } from 'mediabunny';
import { VideoInputError } from '../core/errors.ts';
import { copyVideoFrame, type FrameContext } from './copyVideoFrame.ts';
import { FrameBufferPool } from './framePool.ts';
import { hdrFromTags } from './ffprobeInfo.ts';
import { assertConvertible } from './frameSupport.ts';
import { orientationForDisplayMatrix, type Orientation } from '../core/color/yuvRotate.ts';
import type { RawVideoFrame, VideoInfo, VideoSource } from './types.ts';

/** Packets waiting inside the decoder before we stop feeding it. */
const MAX_DECODE_QUEUE = 4;

/** Either a source, or why WebCodecs cannot take the file (then ffmpeg.wasm is tried). */
export type WebCodecsOpening = { readonly source: VideoSource } | { readonly fallback: string };

type Rotation = 0 | 90 | 180 | 270;

function asRotation(degrees: number): Rotation {
  const r = ((Math.round(degrees / 90) * 90) % 360 + 360) % 360;
  return r === 90 || r === 180 || r === 270 ? r : 0;
}

async function probeTrack(input: Input): Promise<{ track: InputVideoTrack; config: VideoDecoderConfig } | { fallback: string }> {
  if (!(await input.canRead())) return { fallback: 'container not read by mediabunny' };
  const track = await input.getPrimaryVideoTrack();
  if (!track) return { fallback: 'no video track found by mediabunny' };
  const config = await track.getDecoderConfig();
  if (!config) return { fallback: `codec ${String(await track.getInternalCodecId())} unknown to WebCodecs` };
  // Leave the colour space out: the decoder then reports the bitstream's own
  // range, which is what ffmpeg's decoder (and so OpenCV) goes by.
  const { colorSpace: _containerColour, ...inBand } = config;
  const support = await VideoDecoder.isConfigSupported(inBand);
  if (!support.supported) return { fallback: `the browser cannot decode ${config.codec}` };
  return { track, config: inBand };
}

/** Frames the container lists (MP4/MOV sample tables: cheap and exact), to tell a truncated file from a complete one. */
async function listedPacketCount(input: Input, track: InputVideoTrack): Promise<number | null> {
  const format = await input.getFormat();
  if (format !== MP4 && format !== QTFF) return null;
  return (await track.computePacketStats()).packetCount;
}

export async function openWithWebCodecs(file: File): Promise<WebCodecsOpening> {
  if (typeof VideoDecoder === 'undefined') return { fallback: 'this browser has no WebCodecs' };
  const input = new Input({ formats: [MP4, QTFF, MATROSKA, WEBM], source: new BlobSource(file) });
  let probed: Awaited<ReturnType<typeof probeTrack>>;
  try {
    probed = await probeTrack(input);
  } catch (error) {
    probed = { fallback: `mediabunny: ${error instanceof Error ? error.message : String(error)}` };
  }
  if ('fallback' in probed) {
    input.dispose();
    return probed;
  }
  try {
    return { source: await webCodecsSource(file, input, probed.track, probed.config) };
  } catch (error) {
    input.dispose();
    throw error;
  }
}

/**
 * The turn and flip ffmpeg's autorotation would apply: from the MP4/MOV
 * display matrix when there is one (it also carries the mirror flag), else
 * the container's rotation.
 */
async function orientationOf(input: Input, track: InputVideoTrack): Promise<Orientation> {
  const format = await input.getFormat();
  if (format === MP4 || format === QTFF) {
    const matrix = await track.getTransformationMatrix().catch(() => null);
    if (matrix) return orientationForDisplayMatrix(matrix);
  }
  return { rotation: asRotation(await track.getRotation()), mirrored: false };
}

async function webCodecsSource(file: File, input: Input, track: InputVideoTrack, config: VideoDecoderConfig): Promise<VideoSource> {
  const { rotation, mirrored } = await orientationOf(input, track);
  const colour = await track.getColorSpace().catch(() => null);
  // RGB-coded H.264/HEVC (the identity matrix, ffmpeg's gbrp): the decoder hands the planes over in a
  // YUV layout, and reading them as Y'CbCr would give wrong colours. The frames are checked again one by one.
  if (colour?.matrix === 'rgb') assertConvertible(file.name, null, 'gbrp (RGB-coded)', { width: 0, height: 0, rotation: 0 });
  const width = await track.getCodedWidth();
  const height = await track.getCodedHeight();
  // The pixel format is known only once a frame is decoded (copyVideoFrame checks it).
  const listed = await listedPacketCount(input, track);
  const turned = rotation === 90 || rotation === 270;
  const info: VideoInfo = {
    name: file.name,
    sizeBytes: file.size,
    width: turned ? height : width,
    height: turned ? width : height,
    durationSeconds: await track.getDurationFromMetadata().catch(() => null),
    frameCountHint: listed,
    codec: config.codec,
    decoder: 'webcodecs',
    rotation,
    mirrored,
    hdr: hdrFromTags(colour?.transfer, colour?.primaries),
  };
  const context: FrameContext = { name: file.name, codec: config.codec, rotation, mirrored };
  const sink = new EncodedPacketSink(track);
  const buffers = new FrameBufferPool();
  const take = (bytes: number): ArrayBuffer => buffers.take(bytes);

  async function* frames(signal?: AbortSignal): AsyncGenerator<RawVideoFrame> {
    const copies: Promise<RawVideoFrame | null>[] = [];
    /** packet times in seconds by the microsecond timestamp WebCodecs carries (exact times, not rounded ones) */
    const seconds = new Map<number, number>();
    let failure: unknown = null;
    let firstTime: number | null = null;
    let index = 0;
    let packets = 0;
    let wake: (() => void) | null = null;
    const decoder = new VideoDecoder({
      output(frame) {
        const time = seconds.get(frame.timestamp) ?? frame.timestamp / 1e6;
        seconds.delete(frame.timestamp);
        if (time < 0) {
          // Before the edit list's start: decoded for reference only, never shown (ffmpeg drops these too).
          frame.close();
          return;
        }
        firstTime ??= time;
        copies.push(copyVideoFrame(frame, index, time - firstTime, context, take));
        index++;
        wake?.();
      },
      error(error) {
        failure = error;
        wake?.();
      },
    });
    decoder.addEventListener('dequeue', () => wake?.());
    const waitForDecoder = (): Promise<void> => new Promise((resolve) => (wake = resolve));
    decoder.configure(config);
    const failed = (): VideoInputError => {
      const reason = failure instanceof Error ? failure.message : String(failure);
      return new VideoInputError(`${file.name}: the browser's decoder failed after ${index} frames (${reason})`);
    };
    try {
      for await (const packet of sink.packets()) {
        if (signal?.aborted) return;
        const chunk = packet.toEncodedVideoChunk();
        seconds.set(chunk.timestamp, packet.timestamp);
        decoder.decode(chunk);
        packets++;
        while (decoder.decodeQueueSize > MAX_DECODE_QUEUE && failure === null) await waitForDecoder();
        if (failure !== null) throw failed();
        while (copies.length > 0) {
          const frame = await copies.shift();
          if (frame) yield frame;
          if (signal?.aborted) return;
        }
      }
      await decoder.flush().catch((error: unknown) => {
        failure ??= error;
      });
      if (failure !== null) throw failed();
      while (copies.length > 0) {
        const frame = await copies.shift();
        if (frame) yield frame;
      }
      if (listed !== null && packets < listed) {
        throw new VideoInputError(`${file.name}: the file is truncated: its index lists ${listed} frames but the data ends after ${packets}`);
      }
      if (index === 0) throw new VideoInputError(`${file.name}: the video has no decodable frames`);
    } catch (error) {
      if (error instanceof VideoInputError) throw error;
      throw new VideoInputError(`${file.name}: reading the video failed after ${index} frames (${error instanceof Error ? error.message : String(error)})`);
    } finally {
      if (decoder.state !== 'closed') decoder.close();
      // Frames already copied are plain buffers; copies still running close their
      // VideoFrame themselves. Nobody will await the rest: keep their failures quiet.
      for (const copy of copies) copy.catch(() => null);
      copies.length = 0;
    }
  }

  return {
    info,
    frames,
    recycle: (buffer) => buffers.give(buffer),
    async close() {
      input.dispose();
    },
  };
}
