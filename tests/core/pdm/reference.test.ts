/**
 * calcParams against OpenFace 2.2. FaceAnalyser never writes its fit out, but
 * its static AU models see nothing but the frame's HOG (in the .hog file) and
 * the fit's local parameters, so 2.2's per-frame static predictions
 * (NAME.raw.csv) pin those parameters down: one float ulp of p_0 moves them by
 * about 1e-8, while the CSV prints 10 significant digits. (The translation is
 * pinned by the aligned faces: tests/core/align/alignFace.reference.test.ts.)
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAuModelSet } from '../../../src/core/au/auModels.ts';
import { AuPredictorBank } from '../../../src/core/au/predict.ts';
import { computeGeometryFeatures, geometryFeatureLength } from '../../../src/core/au/geometry.ts';
import { readHogFile } from '../../../src/core/hog/hogFile.ts';
import { calcParams, toFloat32Pdm } from '../../../src/core/pdm/calcParams.ts';
import { parsePdm } from '../../../src/core/pdm/pdm.ts';
import { OPENFACE_DIR, REFERENCE_DIR, sharedPath, sharedSkipReason, suiteTitle } from '../../helpers/shared.ts';

const skip = sharedSkipReason();

describe.skipIf(skip !== null)(suiteTitle('calcParams against OpenFace 2.2 (static AU predictions)', skip), () => {
  for (const name of ['0188_03_021_al_pacino', '2015-10-15-15-14']) {
    it(`${name}: the fit to 2.2's landmarks gives 2.2's static AU predictions on every frame`, () => {
      const auDir = sharedPath(`${OPENFACE_DIR}/AU_predictors/`);
      const models = parseAuModelSet(readFileSync(`${auDir}AU_all_best.txt`, 'utf8'), (p) => (existsSync(auDir + p) ? new Uint8Array(readFileSync(auDir + p)) : undefined));
      const statics = models.models.filter((m) => m.kind === 'svr-static');
      const pdm = toFloat32Pdm(parsePdm(readFileSync(sharedPath(`${OPENFACE_DIR}/model/pdms/In-the-wild_aligned_PDM_68.txt`), 'utf8')));
      const bank = new AuPredictorBank(statics, 4464, geometryFeatureLength(pdm));
      const hog = readHogFile(readFileSync(sharedPath(`${REFERENCE_DIR}/${name}.hog`)));
      const lines = readFileSync(sharedPath(`${REFERENCE_DIR}/${name}.raw.csv`), 'utf8').trim().split('\n');
      const header = lines[0].split(',').map((h) => h.trim());
      const xy = [...Array.from({ length: 68 }, (_, i) => header.indexOf(`x_${i}`)), ...Array.from({ length: 68 }, (_, i) => header.indexOf(`y_${i}`))];
      const predicted = statics.map((m) => header.indexOf(`${m.auName}_r`));
      const projection = new Float64Array(bank.size), out = new Float64Array(bank.size);
      let worst = 0;
      let iterations = 0;
      for (let f = 1; f < lines.length; f++) {
        const row = lines[f].split(',').map(Number);
        const fit = calcParams(pdm, Float64Array.from(xy, (c) => row[c]));
        iterations = Math.max(iterations, fit.iterations);
        bank.project(hog[f - 1].values, computeGeometryFeatures(pdm, fit.paramsLocal), projection);
        bank.evaluate(projection, out);
        for (let k = 0; k < statics.length; k++) worst = Math.max(worst, Math.abs(out[k] - row[predicted[k]]));
      }
      expect(statics.length).toBeGreaterThanOrEqual(6);
      expect(worst).toBeLessThan(2e-9);
      expect(iterations).toBeLessThan(40);
    });
  }
});
