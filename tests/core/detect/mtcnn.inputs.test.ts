/**
 * MTCNN's inputs on synthetic images: OpenCV's float bilinear resize (copy,
 * exact halving by 2x2 means, the source-coordinate mapping and its border
 * rules), the proposal crop with OpenFace's one-pixel offset and zero
 * padding, the normalisation, the channel order the networks get, and
 * MTCNN_detector.txt with hand-made network files.
 */
import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../../src/core/errors.ts';
import { loadMtcnnModel, parseMtcnnNetwork } from '../../../src/core/detect/mtcnn/mtcnnModel.ts';
import { reversedPlanes } from '../../../src/core/detect/mtcnn/mtcnnNetwork.ts';
import { normaliseForMtcnn, proposalPatch } from '../../../src/core/detect/mtcnn/proposalCrop.ts';
import { resizeFloatLikeOpenCv } from '../../../src/core/detect/mtcnn/resizeFloat.ts';

const f32 = Math.fround;

describe('OpenCV float resize (INTER_LINEAR)', () => {
  it('copies an image resized to its own size', () => {
    const src = new Float32Array([1.5, 2, 3, 4, 5, 6]);
    const out = resizeFloatLikeOpenCv(src, 2, 1, 3, 2, 1);
    expect(out).toEqual(src);
    expect(out).not.toBe(src);
  });

  it('halves exactly by the mean of each 2x2 block', () => {
    // 4x2, one channel
    const src = new Float32Array([1, 2, 10, 30, 3, 5, 50, 70]);
    expect(Array.from(resizeFloatLikeOpenCv(src, 4, 2, 1, 2, 1))).toEqual([2.75, 40]);
  });

  it('maps output x to source (x + 0.5) * scale - 0.5: a ramp shrunk by 5 is sampled at 5x + 2', () => {
    const w = 640;
    const h = 10;
    const src = new Float32Array(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) src[(y * w + x) * 3 + c] = x * (c + 1) + 1000 * c;
    const out = resizeFloatLikeOpenCv(src, w, h, 3, 128, 2);
    for (let x = 0; x < 128; x++) for (let c = 0; c < 3; c++) expect(out[x * 3 + c]).toBe((5 * x + 2) * (c + 1) + 1000 * c);
  });

  it('at the borders: clamped taps, the last column unweighted, edge rows still weighted', () => {
    // enlarging [0, 8] to 4 samples: sources -0.25, 0.25, 0.75, 1.25
    expect(Array.from(resizeFloatLikeOpenCv(new Float32Array([0, 8]), 2, 1, 1, 4, 1))).toEqual([0, 2, 6, 8]);
    expect(Array.from(resizeFloatLikeOpenCv(new Float32Array([0, 8]), 1, 2, 1, 1, 4))).toEqual([0, 2, 6, 8]);
    // vertically, the row above the image is the first row with weight 0.25: v*0.25 + v*0.75 in float
    const v = f32(0.1);
    const out = resizeFloatLikeOpenCv(new Float32Array([v, v]), 1, 2, 1, 1, 4);
    expect(out[0]).toBe(f32(f32(v * 0.25) + f32(v * 0.75)));
  });

  it('interpolates in float: each product and sum rounded to float32', () => {
    const src = new Float32Array([f32(1 / 3), f32(2 / 3), f32(5 / 7)]);
    const out = resizeFloatLikeOpenCv(src, 3, 1, 1, 2, 1);
    // output 0 reads source 0.25: (1 - 0.25) * s0 + 0.25 * s1
    expect(out[0]).toBe(f32(f32(src[0] * 0.75) + f32(src[1] * 0.25)));
  });
});

describe('MTCNN network inputs', () => {
  it('normalises as v * 0.0078125 - 0.99609375 in float', () => {
    expect(Array.from(normaliseForMtcnn(new Float32Array([0, 127.5, 255, 100.3])))).toEqual([-0.99609375, 0, 0.99609375, f32(f32(100.3) / 128 - 0.99609375)]);
  });

  it('crops (w + 1) x (h + 1) pixels from (x - 1, y - 1), zero outside the frame', () => {
    // 6x6, one channel, value 10 y + x
    const frame = { width: 6, height: 6, channels: 1, data: new Float32Array(36).map((_, i) => 10 * Math.floor(i / 6) + (i % 6)) };
    expect(Array.from(proposalPatch(frame, { x: 2, y: 3, width: 2, height: 2 })?.data ?? [])).toEqual([21, 22, 23, 31, 32, 33, 41, 42, 43]);
    // at the left edge: the column x - 1 = -1 is zero
    expect(Array.from(proposalPatch(frame, { x: 0, y: 1, width: 1, height: 1 })?.data ?? [])).toEqual([0, 0, 0, 10]);
    // past the right and bottom edges
    expect(Array.from(proposalPatch(frame, { x: 5, y: 5, width: 2, height: 2 })?.data ?? [])).toEqual([44, 45, 0, 54, 55, 0, 0, 0, 0]);
    // wholly outside
    expect(proposalPatch(frame, { x: 20, y: 20, width: 2, height: 2 })).toBeNull();
  });

  it('hands the networks the channels in reverse order (BGR frame, RGB networks)', () => {
    const planes = reversedPlanes({ width: 2, height: 1, channels: 3, data: new Float32Array([1, 2, 3, 4, 5, 6]) });
    expect([planes.channels, planes.height, planes.width]).toEqual([3, 1, 2]);
    expect(Array.from(planes.data)).toEqual([3, 6, 2, 5, 1, 4]);
  });
});

/** A little-endian network file written by hand. */
function networkFile(write: (w: { i32(v: number): void; f32(v: number): void; mat(rows: number, cols: number, values: number[]): void }) => void): Uint8Array {
  const words: { kind: 'i' | 'f'; v: number }[] = [];
  const w = {
    i32: (v: number) => words.push({ kind: 'i', v }),
    f32: (v: number) => words.push({ kind: 'f', v }),
    mat: (rows: number, cols: number, values: number[]) => {
      w.i32(rows);
      w.i32(cols);
      w.i32(5); // CV_32F
      values.forEach((v) => w.f32(v));
    },
  };
  write(w);
  const view = new DataView(new ArrayBuffer(words.length * 4));
  words.forEach((x, i) => (x.kind === 'i' ? view.setInt32(4 * i, x.v, true) : view.setFloat32(4 * i, x.v, true)));
  return new Uint8Array(view.buffer);
}

describe('MTCNN network files', () => {
  const file = networkFile((w) => {
    w.i32(5);
    // convolution: 2 input maps, 1 kernel of 1x2
    w.i32(0);
    w.i32(2);
    w.i32(1);
    w.f32(0.5);
    w.mat(1, 2, [1, 2]);
    w.mat(1, 2, [3, 4]);
    w.i32(3); // PReLU
    w.mat(1, 1, [0.25]);
    w.i32(1); // max pooling 2x2 stride 2
    [2, 2, 2, 2].forEach((v) => w.i32(v));
    w.i32(2); // fully connected 3 inputs -> 2 outputs: bias 2x1, weights 3x2
    w.mat(2, 1, [7, 8]);
    w.mat(3, 2, [1, 2, 3, 4, 5, 6]);
    w.i32(4); // sigmoid
  });

  it('reads every layer type of the MTCNN dialect (PReLU with slopes, pooling with its sizes)', () => {
    const net = parseMtcnnNetwork(file, 'test.dat');
    expect(net.map((l) => l.kind)).toEqual(['convolution', 'prelu', 'maxPooling', 'fullyConnected', 'sigmoid']);
    const conv = net[0];
    if (conv.kind !== 'convolution') throw new Error('not a convolution');
    expect([conv.weights.inputMaps, conv.weights.outputMaps, conv.weights.kernelHeight, conv.weights.kernelWidth]).toEqual([2, 1, 1, 2]);
    expect(net[2]).toEqual({ kind: 'maxPooling', kernelX: 2, kernelY: 2, strideX: 2, strideY: 2 });
    const fc = net[3];
    if (fc.kind !== 'fullyConnected') throw new Error('not fully connected');
    expect([fc.weights.inputs, fc.weights.outputs]).toEqual([3, 2]);
  });

  it('fails with the file name on a truncated file or an unknown layer', () => {
    expect(() => parseMtcnnNetwork(file.subarray(0, 30), 'short.dat')).toThrow(/short\.dat.*ends early/);
    const bad = networkFile((w) => {
      w.i32(1);
      w.i32(9);
    });
    expect(() => parseMtcnnNetwork(bad, 'bad.dat')).toThrow(ModelFormatError);
    // a network followed by more bytes is not an MTCNN file
    const longer = new Uint8Array(file.length + 4);
    longer.set(file);
    expect(() => parseMtcnnNetwork(longer, 'long.dat')).toThrow(/long\.dat: 4 bytes after the last layer/);
  });

  it('loads the three networks named by MTCNN_detector.txt (CRLF lines, paths beside it)', async () => {
    const files = new Map<string, Uint8Array>([
      ['model/mtcnn_detector/MTCNN_detector.txt', new TextEncoder().encode('PNet PNet.dat\r\nRNet sub/RNet.dat\r\nONet ONet.dat\r\n')],
      ['model/mtcnn_detector/PNet.dat', file],
      ['model/mtcnn_detector/sub/RNet.dat', file],
      ['model/mtcnn_detector/ONet.dat', file],
    ]);
    const model = await loadMtcnnModel(async (p) => files.get(p));
    expect(model.files).toEqual(['model/mtcnn_detector/MTCNN_detector.txt', 'model/mtcnn_detector/PNet.dat', 'model/mtcnn_detector/sub/RNet.dat', 'model/mtcnn_detector/ONet.dat']);
    expect(model.onet.length).toBe(5);
    files.delete('model/mtcnn_detector/ONet.dat');
    await expect(loadMtcnnModel(async (p) => files.get(p), 'my folder')).rejects.toThrow(/my folder: model\/mtcnn_detector\/ONet\.dat is missing/);
  });
});
