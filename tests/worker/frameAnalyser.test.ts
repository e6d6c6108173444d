/**
 * The browser's analysis (FrameAnalyser, as the workers run it) and the CLI
 * give the same CSV for the same frames and models: here both run on
 * onnxruntime-node, fed the CLI decoder's frames, so any difference would be
 * the worker's own doing (ordering, per-face pipelines, CSV assembly).
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { readdir, readFile } from 'node:fs/promises';
import { FrameAnalyser, previewRgba } from '../../src/worker/frameAnalyser.ts';
import { createNodeBackend } from '../../src/models/node.ts';
import { readModelFile } from '../../src/models/nodeModelStore.ts';
import { MODEL_FILES } from '../../src/models/manifest.ts';
import { decodeVideo } from '../../src/cli/ffmpegDecode.ts';
import type { RawVideoFrame, VideoInfo } from '../../src/video/types.ts';
import type { AnalysisModels, FrameUpdate } from '../../src/worker/analysisApi.ts';
import { createBgrImage } from '../../src/core/image.ts';
import type { DecodedFrame } from '../../src/core/analysis/frame.ts';
import { runCli } from '../helpers/cli.ts';
import { sharedPath, sharedSkipReason, suiteTitle, openfaceModelsPath } from '../helpers/shared.ts';

async function readFolder(root: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(root, path).split('\\').join('/'), new Uint8Array(await readFile(path)));
  }
  return files;
}

const VIDEO = '0188_03_021_al_pacino.avi';
const INFO: VideoInfo = { name: VIDEO, sizeBytes: 0, width: 0, height: 0, durationSeconds: null, frameCountHint: null, codec: 'mpeg4', decoder: 'ffmpeg.wasm', rotation: 0 };

/** A CLI-decoded frame as a decoder would hand it to a worker (already BGR). */
function bgrRawFrame(frame: DecodedFrame): RawVideoFrame {
  const { width, height, data } = frame.image;
  return {
    index: frame.index, timestamp: frame.timestamp, format: 'BGR', width, height,
    data: data.slice().buffer, planes: [{ offset: 0, stride: width * 3 }], rotation: 0,
    color: { matrix: 'bt601', fullRange: false },
  };
}
const skip = sharedSkipReason(true);

describe.skipIf(skip)(suiteTitle('FrameAnalyser (the worker engine) against the CLI', skip), () => {
  it(`writes the CLI's CSV, byte for byte, on ${VIDEO}`, async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'splitface-worker-')), 'cli.csv');
    const cli = runCli(['process', sharedPath(`videos/${VIDEO}`), '--openface-models', openfaceModelsPath(), '--out', out]);
    expect(cli.status, cli.stderr).toBe(0);

    const models: AnalysisModels = {
      blazeFaceBack: readModelFile(MODEL_FILES.blazeFaceBack).bytes,
      faceApi68: readModelFile(MODEL_FILES.faceApiLandmarks68).bytes,
      openface: await readFolder(openfaceModelsPath()),
      openfaceCenWeights: false,
    };
    const analyser = await FrameAnalyser.create(createNodeBackend(), models);
    await analyser.begin(INFO, { allFaces: false, precision: 'stock' });
    let landmarksSeen = 0;
    const updates: Promise<FrameUpdate>[] = [];
    for await (const frame of decodeVideo(sharedPath(`videos/${VIDEO}`))) updates.push((await analyser.sendFrame(bgrRawFrame(frame))).analysed);
    analyser.endFrames();
    for (const [index, update] of (await Promise.all(updates)).entries()) {
      // each frame's update in order, although its AUs waited for the next frame's hand-over
      expect(update.index).toBe(index);
      if (update.faces[0]?.landmarks) landmarksSeen++;
    }
    const result = await analyser.finish(null);
    expect(landmarksSeen).toBeGreaterThan(300);
    expect(result.partial).toBe(false);
    expect(result.frames).toBe(324);
    expect(result.csv.type).toBe('text/csv;charset=utf-8');
    expect(await result.csv.text()).toBe(readFileSync(out, 'utf8'));
    expect(result.auSummary.length).toBeGreaterThan(17);
    expect(result.series.intensities).toHaveLength(17);
  });

  it('without an OpenFace folder writes landmarks only and says why', async () => {
    const analyser = await FrameAnalyser.create(createNodeBackend(), {
      blazeFaceBack: readModelFile(MODEL_FILES.blazeFaceBack).bytes,
      faceApi68: readModelFile(MODEL_FILES.faceApiLandmarks68).bytes,
      openface: null,
      openfaceCenWeights: false,
    });
    await analyser.begin(INFO, { allFaces: false, precision: 'stock' });
    for await (const frame of decodeVideo(sharedPath(`videos/${VIDEO}`))) {
      if (frame.index >= 5) break;
      await analyser.sendFrame(bgrRawFrame(frame));
    }
    // a cancelled run keeps the frames handed over, the last one included
    const result = await analyser.finish('cancelled by the user');
    expect(result.partial).toBe(true);
    expect(result.auColumns).toBeNull();
    expect(result.tracked).toBe(5);
    expect(result.note).toMatch(/AU columns, pose and PDM parameters need the OpenFace model folder/);
    const header = (await result.csv.text()).split('\n')[0];
    expect(header).toContain('x_67');
    expect(header).not.toContain('AU01_r');
  });
});

describe('previewRgba', () => {
  it('swaps BGR to RGBA and subsamples wide frames', () => {
    const image = createBgrImage(4, 2);
    image.data.set([10, 20, 30], 0); // pixel (0,0)
    image.data.set([1, 2, 3], 2 * 3); // pixel (2,0)
    const full = previewRgba(image, 4);
    expect([full.width, full.height]).toEqual([4, 2]);
    expect(Array.from(full.rgba.subarray(0, 4))).toEqual([30, 20, 10, 255]);
    const half = previewRgba(image, 2);
    expect([half.width, half.height]).toEqual([2, 1]);
    expect([full.scale, half.scale]).toEqual([1, 0.5]); // pixel 2 of the image is pixel 1 of the preview
    expect(Array.from(half.rgba.subarray(4, 8))).toEqual([3, 2, 1, 255]);
  });
});
