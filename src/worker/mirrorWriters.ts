/**
 * Face Mirror's videos in the browser, written as a stream into the origin
 * private file system (through a worker's synchronous access handle), so
 * that a long video never sits in memory:
 *
 * - compressed: WebCodecs' VideoEncoder (through mediabunny's
 *   VideoSampleSource) and mediabunny's muxer: H.264 in MP4 where the
 *   browser can encode it (VideoEncoder.isConfigSupported, via
 *   mediabunny's canEncodeVideo), else VP9 or AV1 in WebM;
 * - lossless: the BGR frames uncompressed in Matroska, the same stream the
 *   CLI pipes into ffmpeg (src/core/mirror/rawBgrMatroska.ts). Decoded with
 *   ffmpeg it gives back exactly the bytes written, as the CLI's FFV1 does,
 *   so the two decode to the same pixels. It is large (width x height x 3
 *   bytes a frame): meant for checking, or for running OpenFace on exactly
 *   the pixels SplitFace measured.
 *
 * Every frame keeps its own presentation time (variable frame rates too).
 *
 * Where the files go is an OutputFolder: OPFS's results folder (the
 * default; downloaded from there), or a folder the user picked with the File
 * System Access API (`showDirectoryPicker`), written through its writable
 * streams under the download names: nothing to download afterwards.
 */
import { Output, Mp4OutputFormat, WebMOutputFormat, StreamTarget, VideoSampleSource, VideoSample, canEncodeVideo, QUALITY_HIGH, type VideoCodec, type StreamTargetChunk } from 'mediabunny';
import { SplitFaceError } from '../core/errors.ts';
import type { BgrImage } from '../core/image.ts';
import type { MirrorFrameWriter } from '../core/mirror/faceMirrorRun.ts';
import { matroskaFrame, matroskaHeader } from '../core/mirror/rawBgrMatroska.ts';
import { openSync, uniqueName, writeFully, type SyncHandle } from './opfsFiles.ts';

/** How the browser writes the compressed videos. */
export interface MirrorVideoFormat {
  readonly codec: VideoCodec | 'raw-bgr';
  /** '.mp4', '.webm' or '.mkv' */
  readonly extension: string;
  readonly mimeType: string;
  /** in words, for the summary */
  readonly description: string;
}

export const LOSSLESS_FORMAT: MirrorVideoFormat = {
  codec: 'raw-bgr',
  extension: '.mkv',
  mimeType: 'video/x-matroska',
  description: 'uncompressed BGR24 in Matroska (lossless)',
};

/** The first of H.264 (MP4), VP9, AV1 (WebM) the browser can encode at this size. */
export async function chooseVideoFormat(width: number, height: number): Promise<MirrorVideoFormat> {
  const candidates: { codec: VideoCodec; extension: string; mimeType: string; description: string }[] = [
    { codec: 'avc', extension: '.mp4', mimeType: 'video/mp4', description: 'H.264 in MP4 (WebCodecs)' },
    { codec: 'vp9', extension: '.webm', mimeType: 'video/webm', description: 'VP9 in WebM (WebCodecs)' },
    { codec: 'av1', extension: '.webm', mimeType: 'video/webm', description: 'AV1 in WebM (WebCodecs)' },
  ];
  for (const candidate of candidates) {
    if (await canEncodeVideo(candidate.codec, { width, height, quality: QUALITY_HIGH }).catch(() => false)) return candidate;
  }
  throw new SplitFaceError(`this browser cannot encode video at ${width}x${height} (no H.264, VP9 or AV1 encoder): choose the lossless videos instead`);
}

/** One output file being written, at any position. */
export interface OutputFile {
  /** its name in its folder */
  readonly name: string;
  write(bytes: Uint8Array, at: number): void | Promise<void>;
  /** finishes it; the File reads from disk */
  close(): Promise<File>;
  /** stops without a file (removed) */
  abandon(): void;
}

/** Where a run's files are written. */
export interface OutputFolder {
  /** 'opfs': the browser's private storage (files kept across reloads by the results store); 'picked': a folder of the user's */
  readonly kind: 'opfs' | 'picked';
  /** a new file that will be downloaded (or is saved) as `downloadName` */
  create(downloadName: string): Promise<OutputFile>;
}

/** The extension of a file name, with its dot ('' when none). */
function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot) : '';
}

/** OPFS's folder: each file under a name of its own (several runs, tabs), through sync access handles. */
export function opfsOutputFolder(folder: FileSystemDirectoryHandle): OutputFolder {
  return { kind: 'opfs', create: (downloadName) => OpfsFile.create(folder, extensionOf(downloadName)) };
}

/**
 * A folder the user picked (File System Access API): each file under its
 * download name (`NAME (2).mp4` when the name is taken: nothing is
 * overwritten), streamed through a FileSystemWritableFileStream.
 */
export function pickedOutputFolder(folder: FileSystemDirectoryHandle): OutputFolder {
  return {
    kind: 'picked',
    async create(downloadName) {
      const name = await freeName(folder, downloadName);
      const file = await folder.getFileHandle(name, { create: true });
      return new PickedFolderFile(name, folder, file, await file.createWritable({ keepExistingData: false }));
    },
  };
}

async function freeName(folder: FileSystemDirectoryHandle, wanted: string): Promise<string> {
  const extension = extensionOf(wanted);
  const stem = wanted.slice(0, wanted.length - extension.length);
  for (let n = 1; ; n++) {
    const name = n === 1 ? wanted : `${stem} (${n})${extension}`;
    const taken = await folder.getFileHandle(name).then(() => true, () => false);
    if (!taken) return name;
  }
}

class PickedFolderFile implements OutputFile {
  constructor(
    readonly name: string,
    private readonly folder: FileSystemDirectoryHandle,
    private readonly file: FileSystemFileHandle,
    private readonly stream: FileSystemWritableFileStream,
  ) {}

  async write(bytes: Uint8Array, at: number): Promise<void> {
    await this.stream.write({ type: 'write', position: at, data: bytes as Uint8Array<ArrayBuffer> });
  }

  async close(): Promise<File> {
    await this.stream.close();
    return this.file.getFile();
  }

  abandon(): void {
    void this.stream.abort().catch(() => {}).finally(() => this.folder.removeEntry(this.name).catch(() => {}));
  }
}

/** A new file in `folder`, written at any position through a sync access handle. */
class OpfsFile implements OutputFile {
  private constructor(
    readonly name: string,
    private readonly folder: FileSystemDirectoryHandle,
    private readonly file: FileSystemFileHandle,
    private readonly handle: SyncHandle,
  ) {}

  static async create(folder: FileSystemDirectoryHandle, extension: string): Promise<OpfsFile> {
    const name = uniqueName(extension);
    const { file, handle } = await openSync(folder, name);
    handle.truncate(0);
    return new OpfsFile(name, folder, file, handle);
  }

  write(bytes: Uint8Array, at: number): void {
    writeFully(this.handle, bytes, at);
  }

  async close(): Promise<File> {
    this.handle.flush();
    this.handle.close();
    return this.file.getFile();
  }

  abandon(): void {
    try {
      this.handle.close();
    } catch {
      // already closed
    }
    void this.folder.removeEntry(this.name).catch(() => {});
  }
}

/** A written video: its file on disk and the name it is downloaded as. */
export interface WrittenVideo {
  readonly downloadName: string;
  /** its name in OPFS's results folder, or null (in a folder the user picked) */
  readonly storedAs: string | null;
  readonly file: File;
}

/** A MirrorFrameWriter whose finished file can be collected. */
export interface BrowserVideoWriter extends MirrorFrameWriter {
  /** the finished video, after close() */
  written(): WrittenVideo;
}

/** Timestamps must rise: a frame without a usable time gets the next microsecond. */
function risingMicroseconds(seconds: number, last: number): number {
  const us = Number.isFinite(seconds) ? Math.round(seconds * 1e6) : last + 1;
  return us <= last ? last + 1 : us;
}

/** BGR (3 bytes a pixel) to BGRX (4), the layout VideoFrame takes. */
function toBgrx(image: BgrImage, out: Uint8Array): void {
  const src = image.data;
  for (let i = 0, o = 0, n = image.width * image.height; i < n; i++, o += 4) {
    const s = i * 3;
    out[o] = src[s];
    out[o + 1] = src[s + 1];
    out[o + 2] = src[s + 2];
    out[o + 3] = 255;
  }
}

/** Lossless: raw BGR frames in Matroska, appended to a file. */
class RawMatroskaWriter implements BrowserVideoWriter {
  private size = 0;
  private lastMicroseconds = -1;
  private result: WrittenVideo | null = null;

  constructor(readonly path: string, private readonly file: OutputFile, private readonly storedAs: string | null, private readonly width: number, private readonly height: number) {}

  async start(): Promise<this> {
    await this.append(matroskaHeader(this.width, this.height));
    return this;
  }

  private async append(bytes: Uint8Array): Promise<void> {
    const at = this.size;
    this.size += bytes.length;
    await this.file.write(bytes, at);
  }

  async write(image: BgrImage, seconds: number): Promise<void> {
    this.lastMicroseconds = risingMicroseconds(seconds, this.lastMicroseconds);
    await this.append(matroskaFrame(image.data, this.width, this.height, this.lastMicroseconds));
  }

  async close(): Promise<void> {
    this.result = { downloadName: this.path, storedAs: this.storedAs, file: await this.file.close() };
  }

  abort(): void {
    this.file.abandon();
  }

  written(): WrittenVideo {
    if (!this.result) throw new Error(`${this.path}: not closed`);
    return this.result;
  }
}

/** Compressed: WebCodecs through mediabunny, muxed into an OPFS file. */
class EncodedVideoWriter implements BrowserVideoWriter {
  private readonly output: Output;
  private readonly source: VideoSampleSource;
  private readonly bgrx: Uint8Array;
  private started: Promise<void> | null = null;
  private lastMicroseconds = -1;
  private previousSeconds: number | null = null;
  private result: WrittenVideo | null = null;

  constructor(readonly path: string, private readonly file: OutputFile, private readonly storedAs: string | null, format: MirrorVideoFormat, private readonly width: number, private readonly height: number) {
    const sink = new WritableStream<StreamTargetChunk>({ write: (chunk) => file.write(chunk.data, chunk.position) });
    const container = format.extension === '.mp4' ? new Mp4OutputFormat() : new WebMOutputFormat();
    this.output = new Output({ format: container, target: new StreamTarget(sink) });
    this.source = new VideoSampleSource({ codec: format.codec as VideoCodec, quality: QUALITY_HIGH, keyFrameInterval: 2 });
    this.output.addVideoTrack(this.source);
    this.bgrx = new Uint8Array(width * height * 4);
  }

  async write(image: BgrImage, seconds: number): Promise<void> {
    this.started ??= this.output.start();
    await this.started;
    this.lastMicroseconds = risingMicroseconds(seconds, this.lastMicroseconds);
    const time = this.lastMicroseconds / 1e6;
    // a frame lasts until the next one; the last keeps the one before's length
    const duration = this.previousSeconds === null ? 1 / 30 : Math.max(time - this.previousSeconds, 1e-6);
    this.previousSeconds = time;
    toBgrx(image, this.bgrx);
    const sample = new VideoSample(this.bgrx, { format: 'BGRX', codedWidth: this.width, codedHeight: this.height, timestamp: time, duration });
    try {
      await this.source.add(sample);
    } finally {
      sample.close();
    }
  }

  async close(): Promise<void> {
    this.started ??= this.output.start();
    await this.started;
    await this.output.finalize();
    this.result = { downloadName: this.path, storedAs: this.storedAs, file: await this.file.close() };
  }

  abort(): void {
    void this.output.cancel().catch(() => {});
    this.file.abandon();
  }

  written(): WrittenVideo {
    if (!this.result) throw new Error(`${this.path}: not closed`);
    return this.result;
  }
}

/** A video writer named `downloadName`, into a new file of `folder`. */
export async function createVideoWriter(folder: OutputFolder, downloadName: string, format: MirrorVideoFormat, width: number, height: number): Promise<BrowserVideoWriter> {
  const file = await folder.create(downloadName);
  const storedAs = folder.kind === 'opfs' ? file.name : null;
  return format.codec === 'raw-bgr' ? new RawMatroskaWriter(downloadName, file, storedAs, width, height).start() : new EncodedVideoWriter(downloadName, file, storedAs, format, width, height);
}
