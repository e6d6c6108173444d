import { parseArgs } from 'node:util';
import './relaxedSimd.ts';
import { basename, extname } from 'node:path';
import { SplitFaceError } from '../core/errors.ts';
import { processVideo, type ProcessOptions, type ProcessSummary } from './processVideo.ts';
import { CSV_PRECISIONS, type CsvPrecision } from '../core/csv/auCsv.ts';
import { DEFAULT_EXECUTION_PROVIDER, EXECUTION_PROVIDERS, type ExecutionProvider } from '../models/node.ts';
import { MIRROR_USAGE, runMirrorCommand } from './mirrorCommand.ts';
import { parseThreads } from './threadFaceSource.ts';
import { checkStartBoxShift, type StartBoxShift } from '../core/track/singleFaceTracker.ts';


const USAGE = `splitface — OpenFace-compatible facial Action Units

Usage:
  splitface process VIDEO --openface-models DIR [options]

  VIDEO                   a video file (mp4, mov, webm, avi, wmv, mkv...) or a folder of images (one sequence, name order)
  --openface-models DIR   your OpenFace model folder (the one holding AU_predictors/ and model/)
  --landmarks-from CSV    take the per-frame 2D landmarks (and PDM parameters) from an OpenFace CSV,
                          frame-matched, instead of tracking the face ourselves
  --all-faces             follow every face (rows per face, stable face_id) instead of one
  --ep wasm|cpu|coreml|cuda|webgpu
                          onnxruntime execution provider for the face detector and landmark nets.
                          Default wasm: onnxruntime-web's WebAssembly kernels, the browser app's own,
                          so the CSV equals the app's. cpu, coreml, cuda, webgpu: onnxruntime-node
                          (falls back to cpu with a message; results differ in the last digits).
                          coreml is the Apple Neural Engine path on macOS: its first run compiles
                          the models (30-60 s).
  --out OUT.csv           where to write the AU CSV (default: ./NAME.csv); provenance goes to OUT.json
  --precision stock|full  numbers in the CSV: stock (default) = OpenFace 2.2's fixed decimals per column,
                          full = 10 significant digits (%.10g)
  --hog-out OUT.hog       also write the aligned-face FHOG features in OpenFace's .hog layout
  --aligned-out DIR       also write the 112x112 aligned faces as PNG (frame_det_000000.png...)
  --fps N                 frame rate for a folder of images (default 30)
  --timings               print per-stage milliseconds per frame
  --threads 1|2           2 (default): track each frame on a second thread while this one computes the
                          previous frame's AUs; 1: one thread (slower, the same CSV)
  -h, --help              this text

${MIRROR_USAGE}`;

interface CommandLine extends ProcessOptions {
  timings: boolean;
}

function parseCommandLine(argv: string[]): CommandLine | null {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'openface-models': { type: 'string' },
      'landmarks-from': { type: 'string' },
      out: { type: 'string' },
      precision: { type: 'string' },
      'hog-out': { type: 'string' },
      'aligned-out': { type: 'string' },
      fps: { type: 'string' },
      timings: { type: 'boolean' },
      'all-faces': { type: 'boolean' },
      ep: { type: 'string' },
      threads: { type: 'string' },
      // tests only, not in the help: FRAMES,DX,DY starts the tracker from a box moved off the face (StartBoxShift)
      'test-start-shift': { type: 'string' },
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
  const ep = values.ep ?? DEFAULT_EXECUTION_PROVIDER;
  if (!(EXECUTION_PROVIDERS as readonly string[]).includes(ep)) {
    throw new SplitFaceError(`--ep takes one of ${EXECUTION_PROVIDERS.join(', ')}, not '${ep}'`);
  }
  const precision = values.precision ?? 'stock';
  if (!(CSV_PRECISIONS as readonly string[]).includes(precision)) {
    throw new SplitFaceError(`--precision takes one of ${CSV_PRECISIONS.join(', ')}, not '${precision}'`);
  }
  const threads = parseThreads(values.threads);
  const stem = basename(video.replace(/[\\/]+$/, ''), extname(video));
  return {
    video,
    models,
    landmarksFrom: values['landmarks-from'],
    out: values.out ?? `${stem}.csv`,
    precision: precision as CsvPrecision,
    hogOut: values['hog-out'],
    alignedOut: values['aligned-out'],
    fps,
    timings: values.timings === true,
    allFaces: values['all-faces'] === true,
    executionProvider: ep as ExecutionProvider,
    threads,
    ...(values['test-start-shift'] === undefined ? {} : { startShift: parseStartShift(values['test-start-shift']) }),
  };
}

/** --test-start-shift FRAMES,DX,DY (tests only). */
function parseStartShift(text: string): StartBoxShift {
  const [frames, dx, dy] = text.split(',').map(Number);
  try {
    return checkStartBoxShift({ frames: frames!, dx: dx!, dy: dy ?? 0 });
  } catch {
    throw new SplitFaceError(`--test-start-shift takes FRAMES,DX,DY (a whole number of frames, moves in box widths and heights), not '${text}'`);
  }
}

function report(summary: ProcessSummary, options: CommandLine): number {
  const { out, frames, tracked, stoppedBy, seconds } = summary;
  if (stoppedBy) {
    console.error(`splitface: stopped after frame ${frames}: ${stoppedBy}`);
    console.error(`splitface: the ${frames} frames computed so far are in ${out} (a partial result: the end-of-video calibration saw only these frames)`);
  }
  console.log(`${out}: ${frames} frames (${tracked} tracked) in ${seconds.toFixed(1)} s, ${(frames / seconds).toFixed(1)} fps`);
  if (summary.note) console.log(`note: ${summary.note}`);
  if (summary.trackingQuality.verdict !== 'good') console.log(`tracking: ${summary.trackingQuality.summary}`);
  if (summary.trackingQuality.recalibration) console.log(`calibration: ${summary.trackingQuality.recalibration.reason}`);
  if (options.timings) {
    const perFrame = (ms: number) => (ms / Math.max(frames, 1)).toFixed(2);
    console.log(Object.entries(summary.stageMs).map(([stage, ms]) => `${stage} ${perFrame(ms)} ms`).join(', ') + ' (per frame)');
  }
  return stoppedBy ? 2 : 0;
}

export async function main(argv: string[]): Promise<number> {
  try {
    if (argv[0] === 'mirror') return await runMirrorCommand(argv.slice(1));
    const options = parseCommandLine(argv);
    if (!options) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (options.executionProvider === 'coreml' && !options.landmarksFrom) {
      console.error('splitface: CoreML (Apple Neural Engine): the first run compiles the models, which takes 30-60 s before the first frame');
    }
    return report(await processVideo(options), options);
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
