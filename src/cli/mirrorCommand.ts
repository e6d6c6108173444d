import { parseArgs } from 'node:util';
import { SplitFaceError } from '../core/errors.ts';
import { CSV_PRECISIONS, type CsvPrecision } from '../core/csv/auCsv.ts';
import { DEFAULT_EXECUTION_PROVIDER, EXECUTION_PROVIDERS, type ExecutionProvider } from '../models/node.ts';
import { mirrorVideo, type MirrorOptions } from './mirrorVideo.ts';
import { parseThreads } from './threadFaceSource.ts';

export const MIRROR_USAGE = `  splitface mirror VIDEO --out-dir DIR [--openface-models DIR] [--lossless] [--no-qa-video]

  Face Mirror: the patient's right and left half-faces each with its mirror image, AUs for each side,
  and symmetry measures. Writes into DIR: NAME_right_mirrored.mp4 / NAME_left_mirrored.mp4,
  NAME_debug.mp4 (QA: landmarks, midline, pose, quality banner), NAME_right_mirrored.csv /
  NAME_left_mirrored.csv (OpenFace format, with --openface-models), NAME_mirror.csv (per frame:
  midline, pose, quality flag and score, geometric measures, right-minus-left AUs), NAME_mirror.json
  (summary and provenance). Without --openface-models: geometric measures only.
  --lossless              FFV1 in MKV instead of H.264 in MP4 (exactly the pixels SplitFace measured)
  --no-qa-video           skip NAME_debug
  --precision, --ep, --timings, --threads as for process
`;

interface MirrorCommandLine extends MirrorOptions {
  timings: boolean;
}

function parseMirrorCommandLine(argv: string[]): MirrorCommandLine | null {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'openface-models': { type: 'string' },
      'out-dir': { type: 'string' },
      lossless: { type: 'boolean' },
      'no-qa-video': { type: 'boolean' },
      precision: { type: 'string' },
      ep: { type: 'string' },
      timings: { type: 'boolean' },
      threads: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return null;
  const [video, ...extra] = positionals;
  if (!video) throw new SplitFaceError('mirror needs a VIDEO file');
  if (extra.length) throw new SplitFaceError(`unexpected argument '${extra[0]}'`);
  const outDir = values['out-dir'];
  if (!outDir) throw new SplitFaceError('mirror needs --out-dir DIR (where the mirrored videos, CSVs and summary go)');
  const ep = values.ep ?? DEFAULT_EXECUTION_PROVIDER;
  if (!(EXECUTION_PROVIDERS as readonly string[]).includes(ep)) throw new SplitFaceError(`--ep takes one of ${EXECUTION_PROVIDERS.join(', ')}, not '${ep}'`);
  const precision = values.precision ?? 'stock';
  if (!(CSV_PRECISIONS as readonly string[]).includes(precision)) throw new SplitFaceError(`--precision takes one of ${CSV_PRECISIONS.join(', ')}, not '${precision}'`);
  return {
    video,
    models: values['openface-models'],
    outDir,
    lossless: values.lossless === true,
    qaVideo: values['no-qa-video'] !== true,
    precision: precision as CsvPrecision,
    executionProvider: ep as ExecutionProvider,
    timings: values.timings === true,
    threads: parseThreads(values.threads),
  };
}

/** `splitface mirror ...` (argv after the word mirror); returns the exit code. */
export async function runMirrorCommand(argv: string[]): Promise<number> {
  const options = parseMirrorCommandLine(argv);
  if (!options) {
    process.stdout.write(`Usage:\n${MIRROR_USAGE}`);
    return 0;
  }
  const summary = await mirrorVideo(options);
  const fps = summary.frames / summary.seconds;
  console.log(`${options.video}: ${summary.frames} frames (${summary.facesFound} with a face, ${summary.flagged} flagged) in ${summary.seconds.toFixed(1)} s, ${fps.toFixed(1)} fps`);
  for (const path of summary.outputs) console.log(`  ${path}`);
  for (const note of summary.notes) console.log(`note: ${note}`);
  if (options.timings) {
    const perFrame = (ms: number) => (ms / Math.max(summary.frames, 1)).toFixed(2);
    console.log(Object.entries(summary.stageMs).map(([stage, ms]) => `${stage} ${perFrame(ms)} ms`).join(', ') + ' (per frame)');
  }
  return 0;
}
