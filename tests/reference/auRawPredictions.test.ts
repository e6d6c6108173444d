/**
 * The whole AU engine, frame by frame, against OpenFace 2.2's predictions as
 * FeatureExtraction had them during tracking (NAME.raw.csv: the CSV copied
 * just before the end-of-video postprocessing): each frame decoded as the CLI
 * decodes it, 2.2's landmarks from its CSV, the analyser's own CalcParams
 * fit, alignment, FHOG, geometry, running medians and every SVR/SVM. The
 * online prediction (FrameFeatures.online) must equal 2.2's raw values; the
 * CSVs print 10 significant digits (which hold 2.2's float landmarks exactly),
 * so agreement is to about 5e-10.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeVideo, probeVideo } from '../../src/cli/ffmpegDecode.ts';
import { loadOpenFaceModels } from '../../src/core/model/openfaceModels.ts';
import { AuPipeline } from '../../src/core/pipeline.ts';
import { NO_OUTPUTS_3D } from '../../src/core/result.ts';
import { REFERENCE_DIR, openfaceModelsPath, sharedPath, sharedSkipReason, suiteTitle } from '../helpers/shared.ts';

const skip = sharedSkipReason(true);

interface Table {
  readonly header: string[];
  readonly rows: number[][];
}

function readCsv(path: string): Table {
  const lines = readFileSync(path, 'utf8').trim().split(/\r?\n/);
  return { header: lines[0].split(',').map((h) => h.trim()), rows: lines.slice(1).map((l) => l.split(',').map(Number)) };
}

describe.skipIf(skip !== null)(suiteTitle('AU engine, per frame, against OpenFace 2.2\'s online predictions (raw.csv)', skip), () => {
  for (const name of ['0188_03_021_al_pacino', '2015-10-15-15-14']) {
    it(`${name}: every frame's intensities within 1e-8 and presences equal, from 2.2's landmarks`, async () => {
      const models = await loadOpenFaceModels(async (path) => {
        try {
          return new Uint8Array(readFileSync(`${openfaceModelsPath()}/${path}`));
        } catch {
          return undefined;
        }
      }, 'openface-2.2');
      const raw = readCsv(sharedPath(`${REFERENCE_DIR}/${name}.raw.csv`));
      const col = (c: string): number => {
        const i = raw.header.indexOf(c);
        if (i < 0) throw new Error(`${name}.raw.csv has no column ${c}`);
        return i;
      };
      const xy = [...Array.from({ length: 68 }, (_, i) => col(`x_${i}`)), ...Array.from({ length: 68 }, (_, i) => col(`y_${i}`))];
      const pipeline = new AuPipeline(models);
      const video = sharedPath(`videos/${name}.avi`);
      let frames = 0;
      let worst = 0;
      let worstAt = '';
      let presenceMismatches = 0;
      let intensityCols: number[] | null = null;
      let presenceCols: number[] | null = null;
      for await (const frame of decodeVideo(video, probeVideo(video))) {
        const row = raw.rows[frame.index];
        const features = pipeline.addFrame(frame.image, {
          frame: frame.index + 1,
          faceId: 0,
          timestamp: frame.timestamp,
          success: row[col('success')] === 1,
          confidence: row[col('confidence')],
          landmarks: Float64Array.from(xy, (c) => row[c]),
          paramsGlobal: null,
          paramsLocal: null,
          pose: null,
          ...NO_OUTPUTS_3D,
        });
        const columns = pipeline.auColumns;
        intensityCols ??= columns.intensityNames.map((au) => col(`${au}_r`));
        presenceCols ??= columns.presenceNames.map((au) => col(`${au}_c`));
        intensityCols.forEach((c, j) => {
          const d = Math.abs(features.online.intensity[j] - row[c]);
          if (d > worst) {
            worst = d;
            worstAt = `${columns.intensityNames[j]} frame ${frame.index + 1}`;
          }
        });
        presenceCols.forEach((c, j) => {
          if (features.online.presence[j] !== row[c]) presenceMismatches++;
        });
        frames++;
      }
      expect(frames).toBe(raw.rows.length);
      expect(presenceMismatches).toBe(0);
      // the bar is 1e-6; the engine reproduces 2.2 to the CSV's printed digits
      expect(worst, `worst: ${worstAt}`).toBeLessThan(1e-8);
    }, 120_000);
  }
});
