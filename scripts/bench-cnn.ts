/**
 * Speed of the two users of the CNN convolution (src/core/cnn), on ../shared:
 * - the detection validator (validateLandmarks) on every al_pacino frame with
 *   OpenFace 2.2's landmarks and rotation from its CSV: ms per validation;
 * - MTCNN's detect() on the first frame of lab_640x480_h264 and of
 *   lab_1080p60_h264 (1440x1080): ms per detection.
 * Each figure is the minimum over several passes (the machine is shared).
 * --typescript runs the layers' TypeScript (as where WebAssembly is unavailable).
 *
 *   npx tsx scripts/bench-cnn.ts [--runs N] [--typescript]
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeVideo } from '../src/cli/ffmpegDecode.ts';
import { setWasmLayersEnabled } from '../src/core/cnn/wasmLayers.ts';
import { parseValidator, validateLandmarks } from '../src/core/clnf/validator.ts';
import { MtcnnDetector } from '../src/core/detect/mtcnn/index.ts';
import { bgrToGray, type BgrImage } from '../src/core/image.ts';
import { OPENFACE_MODELS, SHARED, hasSharedData, referenceCsv } from './sharedData.ts';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
const layers = process.argv.includes('--typescript') ? 'TypeScript' : 'WebAssembly';
setWasmLayersEnabled(layers === 'WebAssembly');

if (!hasSharedData) {
  console.log('bench-cnn: skipped, ../shared is not present');
  process.exit(0);
}

interface ValidationCase {
  readonly gray: { data: Uint8Array; width: number; height: number };
  readonly landmarks: Float64Array;
  readonly rotation: readonly [number, number, number];
}

async function validationCases(name: string): Promise<ValidationCase[]> {
  const lines = readFileSync(referenceCsv(name), 'utf8').trim().split('\n');
  const header = lines[0].split(',').map((h) => h.trim());
  const col = (c: string): number => header.indexOf(c);
  const rows = new Map(lines.slice(1).map((l) => {
    const v = l.split(',').map(Number);
    return [v[col('frame')], v] as const;
  }));
  const cases: ValidationCase[] = [];
  let frame = 0;
  for await (const decoded of decodeVideo(join(SHARED, 'videos', `${name}.avi`))) {
    const v = rows.get(++frame);
    if (!v) continue;
    const landmarks = new Float64Array(136);
    for (let i = 0; i < 68; i++) {
      landmarks[i] = v[col(`x_${i}`)];
      landmarks[68 + i] = v[col(`y_${i}`)];
    }
    const { width, height, data } = decoded.image;
    cases.push({ gray: { data: bgrToGray(data, width, height), width, height }, landmarks, rotation: [v[col('p_rx')], v[col('p_ry')], v[col('p_rz')]] });
  }
  return cases;
}

async function firstFrame(video: string): Promise<BgrImage> {
  for await (const frame of decodeVideo(join(SHARED, 'videos', video))) return frame.image;
  throw new Error(`${video}: no frames`);
}

function minTime(runs: number, pass: () => void): number {
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    pass();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

const validator = parseValidator(new Uint8Array(readFileSync(join(OPENFACE_MODELS, 'model/detection_validation/validator_cnn.txt'))), 'validator_cnn.txt');
const cases = await validationCases('0188_03_021_al_pacino');
let sink = 0;
const validate = (): void => {
  for (const c of cases) sink += validateLandmarks(validator, c.gray, c.landmarks, ...c.rotation);
};
validate(); // warm-up
const perValidation = minTime(RUNS, validate) / cases.length;
console.log(`CNN layers in ${layers}`);
console.log(`validator: ${perValidation.toFixed(3)} ms per validation (al_pacino, ${cases.length} frames, min of ${RUNS} passes)`);

const detector = await MtcnnDetector.load(async (p) => new Uint8Array(await readFile(join(OPENFACE_MODELS, p))));
for (const video of ['lab_640x480_h264.mp4', 'lab_1080p60_h264.mp4']) {
  const image = await firstFrame(video);
  const detect = (): void => {
    sink += detector.detect(image).length;
  };
  detect(); // warm-up
  console.log(`mtcnn: ${minTime(RUNS, detect).toFixed(1)} ms per detection (${video}, ${image.width}x${image.height}, min of ${RUNS})`);
}
if (Number.isNaN(sink)) console.log('');
