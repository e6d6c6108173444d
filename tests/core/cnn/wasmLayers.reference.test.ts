import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { decodeVideo } from '../../../src/cli/ffmpegDecode.ts';
import { parseValidator } from '../../../src/core/clnf/validator.ts';
import { runCnn, tensor3 } from '../../../src/core/cnn/index.ts';
import { emptyTrace, MtcnnDetector } from '../../../src/core/detect/mtcnn/index.ts';
import type { BgrImage } from '../../../src/core/image.ts';
import { openfaceModelsPath, sharedPath, sharedSkipReason, suiteTitle } from '../../helpers/shared.ts';
import { rng } from '../../helpers/rng.ts';
import { inTypeScript } from '../../helpers/cnnLayers.ts';

/**
 * OpenFace 2.2's own networks with and without the WebAssembly layers: the
 * MTCNN detector's every intermediate (PNet on each pyramid level, RNet and
 * ONet on their crops) on a real frame, and the detection validator's seven
 * view CNNs: the same bits.
 */
const skip = sharedSkipReason(true);

async function firstFrame(video: string): Promise<BgrImage> {
  for await (const frame of decodeVideo(sharedPath(`videos/${video}`))) return frame.image;
  throw new Error(`${video}: no frames`);
}

describe.skipIf(skip !== null)(suiteTitle('OpenFace 2.2\'s CNNs: WebAssembly layers against TypeScript', skip), () => {
  it('MTCNN: every stage of a detection on lab_640x480_h264 frame 1 is identical', async () => {
    const detector = await MtcnnDetector.load(async (p) => new Uint8Array(await readFile(`${openfaceModelsPath()}/${p}`)));
    const image = await firstFrame('lab_640x480_h264.mp4');
    const fast = emptyTrace(), plain = emptyTrace();
    const faces = detector.detect(image, fast);
    const facesTs = inTypeScript(() => detector.detect(image, plain));
    expect(faces.length).toBeGreaterThan(0);
    expect(fast.levels.length).toBeGreaterThan(3);
    expect(fast.rnetOutput.scores.length).toBeGreaterThan(0);
    expect(fast).toEqual(plain);
    expect(faces).toEqual(facesTs);
  });

  it('the detection validator: all seven views\' CNN outputs are identical', () => {
    const model = parseValidator(new Uint8Array(readFileSync(`${openfaceModelsPath()}/model/detection_validation/validator_cnn.txt`)), 'validator_cnn.txt');
    const random = rng(17);
    for (const view of model.views) {
      const { rows, cols } = view.paw;
      // a smooth face-sized pattern with noise, normalised like the validator's input
      const input = tensor3(1, rows, cols, Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i / 7) + Math.cos(i / 131) + (random() - 0.5) * 0.3));
      const scores = runCnn(view.cnn, input);
      const scoresTs = inTypeScript(() => runCnn(view.cnn, input));
      expect(scores.data.length).toBeGreaterThan(1);
      expect(Array.from(scores.data)).toEqual(Array.from(scoresTs.data));
    }
  });
});
