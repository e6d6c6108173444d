/**
 * The ffmpeg.wasm worker: @ffmpeg/core (single-threaded FFmpeg compiled to
 * WebAssembly), loaded from the app's own origin, driven directly rather than
 * through @ffmpeg/ffmpeg's worker, because the frames must stream out while
 * ffmpeg runs: @ffmpeg/ffmpeg can only hand back whole output files once
 * `exec` returns, which for raw planes of a whole video means gigabytes.
 *
 * - The File is mounted with WORKERFS: ffmpeg reads it through
 *   FileReaderSync slices, never whole.
 * - ffmpeg writes `-f rawvideo` into a character device whose write handler
 *   copies into a shared byte ring and blocks while the ring is full, so
 *   memory stays flat and ffmpeg decodes the file in one pass.
 * - `showinfo` logs each frame's pts before the frame is written; the
 *   handler puts that time in an 8-byte header in front of the frame.
 */
import { ByteRingWriter } from './byteRing.ts';
import { FRAME_HEADER_BYTES, OUTPUT_DEVICE, type CoreUrls, type FfmpegRequest, type FfmpegResponse } from './ffmpegProtocol.ts';
import { createShowinfoParser, type ShowinfoParser } from './showinfoLog.ts';

/** The parts of Emscripten's FS that are used here. */
interface EmscriptenStream {
  seekable: boolean;
}
interface EmscriptenFs {
  mkdir(path: string): void;
  mount(type: unknown, options: { files: File[] }, mountpoint: string): void;
  readFile(path: string, options: { encoding: 'utf8' }): string;
  unlink(path: string): void;
  makedev(major: number, minor: number): number;
  mkdev(path: string, dev: number): void;
  registerDevice(
    dev: number,
    ops: {
      open(stream: EmscriptenStream): void;
      close(stream: EmscriptenStream): void;
      read(stream: EmscriptenStream, buffer: Int8Array, offset: number, length: number, position: number): number;
      write(stream: EmscriptenStream, buffer: Int8Array, offset: number, length: number, position: number): number;
    },
  ): void;
  readonly filesystems: { readonly WORKERFS: unknown };
  readonly ErrnoError: new (errno: number) => Error;
}

interface FfmpegCore {
  readonly FS: EmscriptenFs;
  exec(...args: string[]): number;
  ffprobe(...args: string[]): number;
  setLogger(logger: (entry: { type: string; message: string }) => void): void;
  reset(): void;
}

type CreateCore = (options: { mainScriptUrlOrBlob: string }) => Promise<FfmpegCore>;

/** Emscripten's errno for EIO: makes ffmpeg's write fail, so it stops. */
const EIO = 29;
const INPUT_DIR = '/input';
const PROBE_OUTPUT = '/probe.json';

let core: FfmpegCore | null = null;
let inputPath = '';
/** Where log lines go while a command runs. */
let onLog: (line: string) => void = () => {};
/** The device write handler of the decode in progress. */
let onFrameBytes: ((bytes: Uint8Array) => boolean) | null = null;

async function loadCore(urls: CoreUrls): Promise<FfmpegCore> {
  const module = (await import(/* @vite-ignore */ urls.coreUrl)) as { default: CreateCore };
  // @ffmpeg/core finds its .wasm through this URL's fragment (its locateFile
  // reads { wasmURL, workerURL } from it): the way @ffmpeg/ffmpeg loads it too.
  const locate = btoa(JSON.stringify({ wasmURL: urls.wasmUrl, workerURL: '' }));
  const loaded = await module.default({ mainScriptUrlOrBlob: `${urls.coreUrl}#${locate}` });
  loaded.setLogger(({ message }) => onLog(message));
  const fs = loaded.FS;
  const dev = fs.makedev(64, 7);
  fs.registerDevice(dev, {
    open(stream) {
      stream.seekable = false;
    },
    close() {},
    read() {
      return 0;
    },
    write(_stream, buffer, offset, length) {
      const ok = onFrameBytes?.(new Uint8Array(buffer.buffer, buffer.byteOffset + offset, length)) ?? false;
      if (!ok) throw new fs.ErrnoError(EIO);
      return length;
    },
  });
  fs.mkdev(OUTPUT_DEVICE, dev);
  return loaded;
}

function probe(loaded: FfmpegCore, file: File): { json: string | null; lastLogLine: string } {
  const fs = loaded.FS;
  fs.mkdir(INPUT_DIR);
  fs.mount(fs.filesystems.WORKERFS, { files: [file] }, INPUT_DIR);
  // "file:" keeps a name like "concat:x" from being taken for a protocol.
  inputPath = `file:${INPUT_DIR}/${file.name}`;
  let lastLogLine = '';
  onLog = (line) => {
    if (line.trim() && !line.startsWith('Aborted(')) lastLogLine = line.trim();
  };
  loaded.ffprobe('-v', 'error', '-show_streams', '-show_format', '-of', 'json', inputPath, '-o', PROBE_OUTPUT);
  loaded.reset();
  let json: string | null = null;
  try {
    json = loaded.FS.readFile(PROBE_OUTPUT, { encoding: 'utf8' });
    loaded.FS.unlink(PROBE_OUTPUT);
  } catch {
    json = null;
  }
  return { json, lastLogLine };
}

/** Splits ffmpeg's byte stream into frames and puts each frame's header in front of it. */
function frameWriter(ring: ByteRingWriter, frameBytes: number, times: number[]): (bytes: Uint8Array) => boolean {
  const header = new Float64Array(1);
  const headerBytes = new Uint8Array(header.buffer, 0, FRAME_HEADER_BYTES);
  let leftInFrame = 0;
  return (bytes) => {
    let at = 0;
    while (at < bytes.length) {
      if (leftInFrame === 0) {
        header[0] = times.shift() ?? Number.NaN;
        if (!ring.write(headerBytes)) return false;
        leftInFrame = frameBytes;
      }
      const n = Math.min(leftInFrame, bytes.length - at);
      if (!ring.write(bytes.subarray(at, at + n))) return false;
      at += n;
      leftInFrame -= n;
    }
    return true;
  };
}

function decode(loaded: FfmpegCore, request: Extract<FfmpegRequest, { type: 'decode' }>): Omit<Extract<FfmpegResponse, { type: 'decoded' }>, 'id' | 'type'> {
  const ring = new ByteRingWriter(request.ring);
  const times: number[] = [];
  const parser: ShowinfoParser = createShowinfoParser();
  const logTail: string[] = [];
  onLog = (line) => {
    const time = parser.line(line);
    if (time !== null) times.push(time);
    else if (line.trim() && !line.includes('showinfo') && !line.startsWith('Aborted(')) {
      logTail.push(line.trim());
      if (logTail.length > 8) logTail.shift();
    }
  };
  onFrameBytes = frameWriter(ring, request.frameBytes, times);
  let exitCode: number;
  try {
    // -v info every time: the log level is global inside the module, and the probe left it at "error" (showinfo logs at "info").
    exitCode = loaded.exec('-v', 'info', '-nostats', ...request.inputArgs, '-i', inputPath, ...request.outputArgs);
  } finally {
    loaded.reset();
    onFrameBytes = null;
    ring.finish();
  }
  return { exitCode, cancelled: ring.cancelled, logTail };
}

/** The worker's global scope (typed by hand: the DOM and WebWorker libs cannot share one program). */
const scope = self as unknown as {
  onmessage: ((event: MessageEvent<FfmpegRequest>) => void) | null;
  postMessage(message: FfmpegResponse): void;
};

async function handle(request: FfmpegRequest): Promise<FfmpegResponse> {
  try {
    if (request.type === 'probe') {
      core = core ?? (await loadCore(request.urls));
      return { id: request.id, type: 'probed', ...probe(core, request.file) };
    }
    if (!core) throw new Error('ffmpeg worker: decode before probe');
    return { id: request.id, type: 'decoded', ...decode(core, request) };
  } catch (error) {
    return { id: request.id, type: 'failed', message: error instanceof Error ? error.message : String(error) };
  }
}

scope.onmessage = (event: MessageEvent<FfmpegRequest>) => {
  void handle(event.data).then((response) => scope.postMessage(response));
};
