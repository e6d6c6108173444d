import { parseArgs } from 'node:util';
import { existsSync, mkdirSync, statSync, writeFileSync, readFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { encode as encodePng } from 'fast-png';
import { SplitFaceError, VideoInputError } from '../core/errors.ts';
import { parseLandmarkCsv, type LandmarkRow } from '../core/csv/landmarkCsv.ts';
import { formatAuCsv } from '../core/csv/auCsv.ts';
import { encodeHogFrame } from '../core/hog/hogFile.ts';
import { AuPipeline, STAGES } from '../core/pipeline.ts';
import type { BgrImage } from '../core/image.ts';
import { decodeVideo, probeVideo, type DecodedFrame, type VideoInfo } from './ffmpegDecode.ts';
import { decodeImageSequence, probeImageSequence } from './imageSequence.ts';
import { loadModelFolder } from './modelFolder.ts';
import { ProgressLine } from './progress.ts';

const USAGE = `splitface — OpenFace-compatible facial Action Units

Usage:
  splitface process VIDEO --openface-models DIR --landmarks-from OPENFACE.csv [options]

  VIDEO                   a video file (mp4, mov, webm, avi, wmv, mkv...) or a folder of images (one sequence, name order)
  --openface-models DIR   your OpenFace model folder (the one holding AU_predictors/ and model/)
  --landmarks-from CSV    per-frame 2D landmarks (and PDM parameters) from an OpenFace CSV, frame-matched
  --out OUT.csv           where to write the AU CSV (default: ./NAME.csv); provenance goes to OUT.json
  --hog-out OUT.hog       also write the aligned-face FHOG features in OpenFace's .hog layout
  --aligned-out DIR       also write the 112x112 aligned faces as PNG (frame_det_000000.png...)
  --fps N                 frame rate for a folder of images (default 30)
  --timings               print per-stage milliseconds per frame
  -h, --help              this text
`;

interface ProcessOptions {
  video: string;
  models: string;
  landmarksFrom: string | undefined;
  out: string;
  hogOut: string | undefined;
  alignedOut: string | undefined;
  fps: number;
  timings: boolean;
}

function parseCommandLine(argv: string[]): ProcessOptions | null {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'openface-models': { type: 'string' },
      'landmarks-from': { type: 'string' },
      out: { type: 'string' },
      'hog-out': { type: 'string' },
      'aligned-out': { type: 'string' },
      fps: { type: 'string' },
      timings: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length === 0 || positionals[0] === 'help') return null;
  const [command, video, ...extra] = positionals;
  if (command !== 'process') throw new SplitFaceError(`unknown command '${command}' (try: splitface process VIDEO ...; splitface --help)`);
  if (!video) throw new SplitFaceError('process needs a VIDEO (a file or a folder of images)');
  if (extra.length) throw new SplitFaceError(`unexpected argument '${extra[0]}'`);
  const models = values['openface-models'];
  if (!models) throw new SplitFaceError('--openface-models DIR is required: the OpenFace folder that holds AU_predictors/ and model/');
  const fps = values.fps === undefined ? 30 : Number(values.fps);
  if (!(fps > 0)) throw new SplitFaceError(`--fps takes a positive number, not '${values.fps}'`);
  const stem = basename(video.replace(/[\\/]+$/, ''), extname(video));
  return {
    video,
    models,
    landmarksFrom: values['landmarks-from'],
    out: values.out ?? `${stem}.csv`,
    hogOut: values['hog-out'],
    alignedOut: values['aligned-out'],
    fps,
    timings: values.timings === true,
  };
}

function openFrames(video: string, fps: number): { info: VideoInfo; frames: AsyncGenerator<DecodedFrame> } {
  if (!existsSync(video)) throw new VideoInputError(`${video}: no such file or folder`);
  if (statSync(video).isDirectory()) {
    const info = probeImageSequence(video);
    return { info, frames: decodeImageSequence(video, fps, info) };
  }
  const info = probeVideo(video);
  return { info, frames: decodeVideo(video, info) };
}

function writeAlignedPng(dir: string, index: number, face: BgrImage): void {
  const rgb = new Uint8Array(face.data.length);
  for (let i = 0; i < rgb.length; i += 3) {
    rgb[i] = face.data[i + 2];
    rgb[i + 1] = face.data[i + 1];
    rgb[i + 2] = face.data[i];
  }
  const png = encodePng({ width: face.width, height: face.height, data: rgb, channels: 3, depth: 8 });
  writeFileSync(join(dir, `frame_det_${String(index).padStart(6, '0')}.png`), png);
}

async function processVideo(options: ProcessOptions): Promise<void> {
  const models = await loadModelFolder(options.models);
  if (!options.landmarksFrom) {
    throw new SplitFaceError('--landmarks-from OPENFACE.csv is required for now: SplitFace\'s own face tracker is not in this release');
  }
  if (!existsSync(options.landmarksFrom)) throw new SplitFaceError(`${options.landmarksFrom}: no such file`);
  const landmarkRows = parseLandmarkCsv(readFileSync(options.landmarksFrom, 'utf8'), options.landmarksFrom);
  const byFrame = new Map<number, LandmarkRow>(landmarkRows.map((row) => [row.frame, row]));

  const { info, frames } = openFrames(options.video, options.fps);
  const pipeline = new AuPipeline(models);
  const progress = new ProgressLine(basename(options.video), info.frameCountHint);
  if (options.alignedOut) mkdirSync(options.alignedOut, { recursive: true });
  const hogFd = options.hogOut ? openSync(options.hogOut, 'w') : null;
  let frameCount = 0;
  let missing = 0;
  try {
    for await (const decoded of frames) {
      const frameNumber = decoded.index + 1;
      const row = byFrame.get(frameNumber);
      if (!row) missing++;
      const out = pipeline.addFrame(decoded.image, {
        frame: frameNumber,
        timestamp: decoded.timestamp,
        success: row?.success ?? false,
        confidence: row?.confidence ?? 0,
        landmarks: row?.landmarks ?? null,
        paramsGlobal: row?.paramsGlobal ?? null,
        paramsLocal: row?.paramsLocal ?? null,
        pose: row?.pose ?? null,
      });
      if (hogFd !== null) writeSync(hogFd, encodeHogFrame(out.hog, { success: out.success }));
      if (options.alignedOut && out.alignedFace) writeAlignedPng(options.alignedOut, decoded.index, out.alignedFace);
      frameCount++;
      progress.update(frameCount);
    }
  } finally {
    if (hogFd !== null) closeSync(hogFd);
    progress.end();
  }
  const result = pipeline.finish();
  writeFileSync(options.out, formatAuCsv(result.rows, result.auColumns));
  const tracked = result.rows.filter((r) => r.success).length;
  const provenance = {
    tool: 'splitface',
    version: JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version as string,
    video: resolve(options.video),
    video_info: info,
    frames: frameCount,
    frames_tracked: tracked,
    landmarks: { source: 'openface-csv', file: resolve(options.landmarksFrom), frames_without_a_row: missing },
    openface_models: { folder: resolve(options.models), files: models.files },
    au_models: 'AU_all_best.txt (dynamic models with person-specific running median, offline postprocessing)',
    partial: false,
    written: new Date().toISOString(),
  };
  const metaPath = options.out.replace(/\.csv$/i, '') + '.json';
  writeFileSync(metaPath, JSON.stringify(provenance, null, 2) + '\n');
  const seconds = progress.elapsedSeconds();
  console.log(`${options.out}: ${frameCount} frames (${tracked} tracked) in ${seconds.toFixed(1)} s, ${(frameCount / seconds).toFixed(1)} fps`);
  if (missing > 0) console.log(`note: ${missing} frames had no row in ${options.landmarksFrom} and were written as success=0`);
  if (options.timings) {
    const timings = pipeline.timings();
    console.log(STAGES.map((stage) => `${stage} ${(timings[stage] / Math.max(frameCount, 1)).toFixed(2)} ms`).join(', ') + ' (per frame)');
  }
}

export async function main(argv: string[]): Promise<number> {
  try {
    const options = parseCommandLine(argv);
    if (!options) {
      process.stdout.write(USAGE);
      return 0;
    }
    await processVideo(options);
    return 0;
  } catch (error) {
    // Expected problems are one line, no stack trace; anything else is a bug worth its trace.
    if (error instanceof SplitFaceError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
      console.error(`splitface: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
