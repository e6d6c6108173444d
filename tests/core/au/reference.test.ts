import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AuAnalyser, type AuFramePrediction } from '../../../src/core/au/auAnalyser.ts';
import { parseAuModelSet, type AuModelSet } from '../../../src/core/au/auModels.ts';
import { calcParams, toFloat32Pdm } from '../../../src/core/pdm/calcParams.ts';
import { parsePdm } from '../../../src/core/pdm/pdm.ts';
import { OPENFACE_DIR, REFERENCE_DIR, sharedPath, sharedSkipReason, suiteTitle } from '../../helpers/shared.ts';

/**
 * Feeds OpenFace 2.2's own per-frame HOG (the .hog files) and, as geometry,
 * the local parameters of FaceAnalyser's own CalcParams fit to 2.2's
 * landmarks (the CSV's p_* are the tracker's, which the analyser does not
 * use) to the AU stage, and compares with 2.2's per-frame predictions
 * (NAME.raw.csv) and its final postprocessed output (NAME.csv). The CSVs hold
 * 10 significant digits, so agreement is to ~1e-9.
 */
const REFERENCE = sharedPath(`${REFERENCE_DIR}/`);
const AU_DIR = sharedPath(`${OPENFACE_DIR}/AU_predictors/`);
const PDM_FILE = sharedPath(`${OPENFACE_DIR}/model/pdms/In-the-wild_aligned_PDM_68.txt`);
const skipReason = sharedSkipReason();

const TOLERANCE = 2e-9;
const HOG_VALUES = 4464;

interface Table {
  header: string[];
  rows: number[][];
  col(name: string): number;
}

function readCsv(path: string): Table {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines[0].split(',').map((h) => h.trim());
  const rows = lines.slice(1).map((l) => l.split(',').map(Number));
  return {
    header,
    rows,
    col(name: string): number {
      const i = header.indexOf(name);
      if (i < 0) throw new Error(`${path}: no column ${name}`);
      return i;
    },
  };
}

/** Per frame: int32 cols, int32 rows, int32 channels, float32 success, 4464 float32 values. */
function readHog(path: string): Float32Array[] {
  const bytes = readFileSync(path);
  const frameBytes = 16 + 4 * HOG_VALUES;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames: Float32Array[] = [];
  for (let at = 0; at + frameBytes <= bytes.length; at += frameBytes) {
    const values = new Float32Array(HOG_VALUES);
    for (let i = 0; i < HOG_VALUES; i++) values[i] = view.getFloat32(at + 16 + 4 * i, true);
    frames.push(values);
  }
  return frames;
}

function loadModels(): AuModelSet {
  return parseAuModelSet(readFileSync(`${AU_DIR}AU_all_best.txt`, 'utf8'), (p) =>
    existsSync(AU_DIR + p) ? new Uint8Array(readFileSync(AU_DIR + p)) : undefined,
  );
}

/** The largest |ours - reference| over all frames and AU intensity columns, and the number of differing presences. */
function compare(analyser: AuAnalyser, ours: readonly AuFramePrediction[], ref: Table): { maxDiff: number; worstAu: string; presenceMismatches: number } {
  let maxDiff = 0;
  let worstAu = '';
  let presenceMismatches = 0;
  expect(ours.length).toBe(ref.rows.length);
  analyser.intensityNames.forEach((au, j) => {
    const c = ref.col(`${au}_r`);
    ours.forEach((p, f) => {
      const d = Math.abs(p.intensity[j] - ref.rows[f][c]);
      if (d > maxDiff) {
        maxDiff = d;
        worstAu = `${au} frame ${f + 1}`;
      }
    });
  });
  analyser.presenceNames.forEach((au, j) => {
    const c = ref.col(`${au}_c`);
    ours.forEach((p, f) => {
      if (p.presence[j] !== ref.rows[f][c]) presenceMismatches++;
    });
  });
  return { maxDiff, worstAu, presenceMismatches };
}

function run(name: string, landmarksFrom: Table): { analyser: AuAnalyser; online: AuFramePrediction[]; final: readonly AuFramePrediction[] } {
  const pdm = toFloat32Pdm(parsePdm(readFileSync(PDM_FILE, 'utf8'), PDM_FILE));
  const analyser = new AuAnalyser(loadModels(), pdm);
  const hog = readHog(`${REFERENCE}${name}.hog`);
  expect(hog.length).toBe(landmarksFrom.rows.length);
  const success = landmarksFrom.col('success');
  const xy = [...Array.from({ length: 68 }, (_, i) => landmarksFrom.col(`x_${i}`)), ...Array.from({ length: 68 }, (_, i) => landmarksFrom.col(`y_${i}`))];
  const online = hog.map((values, f) => {
    const row = landmarksFrom.rows[f];
    const tracked = row[success] === 1;
    const fit = tracked ? calcParams(pdm, Float64Array.from(xy, (c) => row[c])) : null;
    return analyser.addFrame({ hog: values, paramsLocal: fit ? fit.paramsLocal : null, success: tracked });
  });
  return { analyser, online, final: analyser.finish().frames };
}

describe.skipIf(skipReason !== null)(suiteTitle('AU stage against OpenFace 2.2\'s reference outputs', skipReason), () => {
  it('reads 2.2\'s model list: 17 intensity and 18 presence models, AU28\'s presence from the dynamic SVM', () => {
    const models = loadModels();
    expect(models.models).toHaveLength(35);
    const pdm = parsePdm(readFileSync(PDM_FILE, 'utf8'), PDM_FILE);
    const analyser = new AuAnalyser(models, pdm);
    expect(analyser.intensityNames).toEqual(['AU01', 'AU02', 'AU04', 'AU05', 'AU06', 'AU07', 'AU09', 'AU10', 'AU12', 'AU14', 'AU15', 'AU17', 'AU20', 'AU23', 'AU25', 'AU26', 'AU45']);
    expect(analyser.presenceNames).toEqual(['AU01', 'AU02', 'AU04', 'AU05', 'AU06', 'AU07', 'AU09', 'AU10', 'AU12', 'AU14', 'AU15', 'AU17', 'AU20', 'AU23', 'AU25', 'AU26', 'AU28', 'AU45']);
    expect(models.models.find((m) => m.auName === 'AU28')?.kind).toBe('svm-dynamic');
    expect(models.models.filter((m) => m.kind === 'svr-dynamic').every((m) => m.cutoff !== null)).toBe(true);
  });

  for (const name of ['0188_03_021_al_pacino', '2015-10-15-15-14']) {
    it(`${name}: per-frame predictions match raw.csv, final values match the csv`, () => {
      const raw = readCsv(`${REFERENCE}${name}.raw.csv`);
      const final = readCsv(`${REFERENCE}${name}.csv`);
      const result = run(name, raw);
      const online = compare(result.analyser, result.online, raw);
      expect(online.presenceMismatches).toBe(0);
      expect(online.maxDiff, `worst: ${online.worstAu}`).toBeLessThan(TOLERANCE);
      const offline = compare(result.analyser, result.final, final);
      expect(offline.presenceMismatches).toBe(0);
      expect(offline.maxDiff, `worst: ${offline.worstAu}`).toBeLessThan(TOLERANCE);
    });
  }

  it('0490_03_007_bill_gates (no raw.csv): final values match the csv', () => {
    const final = readCsv(`${REFERENCE}0490_03_007_bill_gates.csv`);
    const result = run('0490_03_007_bill_gates', final);
    const offline = compare(result.analyser, result.final, final);
    expect(offline.presenceMismatches).toBe(0);
    expect(offline.maxDiff, `worst: ${offline.worstAu}`).toBeLessThan(TOLERANCE);
  });
});
