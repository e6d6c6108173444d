import { describe, expect, it } from 'vitest';
import type { Pdm } from '../../../src/core/pdm/pdm.ts';
import { calcBoundingBox, paramsFromBoundingBox, pointExtent, projectShape, shape3d } from '../../../src/core/pdm/shape.ts';
import { maxAbsDiff, rng, syntheticPdm } from './syntheticPdm.ts';

/** Three points on the axes, 10 mm out, and one mode that moves the first point along z. */
const axes: Pdm = {
  numPoints: 3,
  numModes: 1,
  meanShape: Float64Array.of(10, 0, 0, 0, 10, 0, 0, 0, 10),
  princComp: Float64Array.of(0, 0, 0, 0, 0, 0, 1, 0, 0),
  eigenValues: Float64Array.of(4),
};

describe('shape3d (CalcShape3D)', () => {
  it('is mean + components * p', () => {
    const pdm = syntheticPdm();
    const p = Float64Array.of(3, -2, 1, 0.5);
    const s = shape3d(pdm, p);
    for (let r = 0; r < 3 * pdm.numPoints; r++) {
      let v = pdm.meanShape[r];
      for (let j = 0; j < pdm.numModes; j++) v += pdm.princComp[r * pdm.numModes + j] * p[j];
      expect(s[r]).toBeCloseTo(v, 12);
    }
    expect(Array.from(shape3d(axes, [2]))).toEqual([10, 0, 0, 0, 10, 0, 2, 0, 10]);
  });
});

describe('pointExtent', () => {
  it('takes the first n points of an x..., y... vector, whatever follows', () => {
    expect(pointExtent([3, -1, 2, 10, 5, 7, 99, -99], 3)).toEqual({ minX: -1, maxX: 3, minY: 5, maxY: 10 });
  });
});

describe('projectShape (CalcShape2D: scale, R = Rx Ry Rz, weak perspective, translation)', () => {
  it('hands back the 3D shape it projected when given a buffer for it', () => {
    const pdm = syntheticPdm();
    const p = Float64Array.of(3, -2, 1, 0.5), g = [1.5, 0.1, -0.2, 0.3, 50, 60];
    const s3 = new Float64Array(3 * pdm.numPoints);
    expect(Array.from(projectShape(pdm, p, g, undefined, s3))).toEqual(Array.from(projectShape(pdm, p, g)));
    expect(Array.from(s3)).toEqual(Array.from(shape3d(pdm, p)));
  });

  const at = (pdm: Pdm, p: number[], g: number[]) => Array.from(projectShape(pdm, p, g), (v) => Math.round(v * 1e9) / 1e9);
  const q = Math.PI / 2;
  it('scales and translates, x values first then y', () => {
    expect(at(axes, [0], [2, 0, 0, 0, 5, 7])).toEqual([25, 5, 5, 7, 27, 7]);
  });
  it('rz turns x towards y', () => {
    expect(at(axes, [0], [2, 0, 0, q, 5, 7])).toEqual([5, -15, 5, 27, 7, 7]);
  });
  it('ry turns z towards x', () => {
    expect(at(axes, [0], [2, 0, q, 0, 5, 7])).toEqual([5, 5, 25, 7, 27, 7]);
  });
  it('rx turns y towards z (and z towards -y)', () => {
    expect(at(axes, [0], [2, q, 0, 0, 5, 7])).toEqual([25, 5, 5, 7, 7, -13]);
  });
  it('projects the non-rigid deformation too', () => {
    // Mode 0 moves point 0 along z, which ry turns into x.
    expect(at(axes, [3], [1, 0, q, 0, 0, 0])[0]).toBeCloseTo(3, 9);
  });
});

describe('calcBoundingBox', () => {
  it('truncates like an integer cv::Rect', () => {
    // x spans 3.7 .. 25.9 and y 7 .. 27.25 with scale 1.1 and translation (3.7, 7).
    const box = calcBoundingBox(axes, [0], [1.1, 0, 0, 0, 3.7, 7]);
    expect(box).toEqual({ x: 3, y: 7, width: 11, height: 11 });
  });
});

describe('paramsFromBoundingBox (CalcParams from a box)', () => {
  it('centres the shape on the box with the mean of the two size ratios', () => {
    const pdm = syntheticPdm(20, [400, 100], 3);
    const box = { x: 100, y: 50, width: 200, height: 240 };
    const g = paramsFromBoundingBox(pdm, box);
    const s2 = projectShape(pdm, [0, 0], g);
    const xs = Array.from(s2.subarray(0, 20)), ys = Array.from(s2.subarray(20));
    const w = Math.max(...xs) - Math.min(...xs), h = Math.max(...ys) - Math.min(...ys);
    expect((Math.max(...xs) + Math.min(...xs)) / 2).toBeCloseTo(200, 9);
    expect((Math.max(...ys) + Math.min(...ys)) / 2).toBeCloseTo(170, 9);
    // Scale is the mean of the width and height ratios.
    const w0 = w / g[0], h0 = h / g[0];
    expect(g[0]).toBeCloseTo((200 / w0 + 240 / h0) / 2, 12);
    expect(maxAbsDiff(g.subarray(1, 4), [0, 0, 0])).toBe(0);
  });
  it('honours the requested rotation', () => {
    const pdm = syntheticPdm();
    const random = rng(4);
    const rot = [random() - 0.5, random() - 0.5, random() - 0.5];
    const g = paramsFromBoundingBox(pdm, { x: 0, y: 0, width: 100, height: 100 }, new Float64Array(4), rot);
    expect(Array.from(g.subarray(1, 4))).toEqual(rot);
  });
});
