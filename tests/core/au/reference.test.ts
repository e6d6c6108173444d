import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AuAnalyser, type AuFramePrediction } from '../../../src/core/au/auAnalyser.ts';
import { parseAuModelSet, type AuModelSet } from '../../../src/core/au/auModels.ts';
import { parsePdm } from '../../../src/core/pdm/pdm.ts';

/**
 * Feeds OpenFace's own per-frame HOG (the .hog files) and PDM parameters (the
 * CSV's p_0..p_33) to the AU stage and compares with OpenFace's per-frame
 * predictions (NAME.raw.csv) and its final postprocessed output (NAME.csv).
 * The CSVs hold 10 significant digits, so agreement is to ~1e-9.
 */
const SHARED = fileURLToPath(new URL('../../../../shared/', import.meta.url));
const REFERENCE = `${SHARED}reference/`;
const AU_DIR = `${SHARED}openface/AU_predictors/`;
const PDM_FILE = `${SHARED}openface/model/pdms/In-the-wild_aligned_PDM_68.txt`;
const available = existsSync(REFERENCE) && existsSync(`${AU_DIR}AU_all_best.txt`) && existsSync(PDM_FILE);
const skipReason = available ? null : 'needs ../shared (OpenFace AU models and reference outputs), which is not present';

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

function run(name: string, paramsFrom: Table): { analyser: AuAnalyser; online: AuFramePrediction[]; final: readonly AuFramePrediction[] } {
  const pdm = parsePdm(readFileSync(PDM_FILE, 'utf8'), PDM_FILE);
  const analyser = new AuAnalyser(loadModels(), pdm);
  const hog = readHog(`${REFERENCE}${name}.hog`);
  expect(hog.length).toBe(paramsFrom.rows.length);
  const success = paramsFrom.col('success');
  const p0 = paramsFrom.col('p_0');
  const online = hog.map((values, f) => {
    const row = paramsFrom.rows[f];
    return analyser.addFrame({ hog: values, paramsLocal: Float64Array.from(row.slice(p0, p0 + 34)), success: row[success] === 1 });
  });
  return { analyser, online, final: analyser.finish().frames };
}

describe.skipIf(skipReason !== null)(`AU stage against OpenFace's reference outputs${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('reads the shipped model list: 17 intensity and 18 presence models', () => {
    const models = loadModels();
    expect(models.models).toHaveLength(35);
    const pdm = parsePdm(readFileSync(PDM_FILE, 'utf8'), PDM_FILE);
    const analyser = new AuAnalyser(models, pdm);
    expect(analyser.intensityNames).toEqual(['AU01', 'AU02', 'AU04', 'AU05', 'AU06', 'AU07', 'AU09', 'AU10', 'AU12', 'AU14', 'AU15', 'AU17', 'AU20', 'AU23', 'AU25', 'AU26', 'AU45']);
    expect(analyser.presenceNames).toHaveLength(18);
    expect(models.models.filter((m) => m.kind === 'svr-dynamic').map((m) => m.cutoff)).toContain(0.35000000000000003);
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
