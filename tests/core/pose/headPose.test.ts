/**
 * Head pose (pose_T*, pose_R*) and 3D landmarks (X_, Y_, Z_) as OpenFace 1.x's
 * FeatureExtraction writes them.
 *
 * Self-contained part: a synthetic face-like shape posed with a known R, T and
 * projected through a pinhole camera must be recovered by the PnP refinement;
 * the Rodrigues Jacobian must match finite differences; Euler / axis-angle
 * conversions must round-trip.
 *
 * Reference part (needs ../shared): from each CSV row's x_/y_ and p_* columns,
 * recompute the pose and the 3D landmarks and compare with the row's pose_*
 * and X_/Y_/Z_ columns. Measured (all tracked frames):
 *   clip (size)                     frames  |ΔT| max / mean mm   |ΔR| max / mean rad   |Δ3D| max / mean mm
 *   0188_03_021_al_pacino (320x240)    324  2.3e-7 / 2.9e-8      9.7e-10 / 2.1e-10     1.7e-7 / 4.5e-8
 *   lab_640x480_h264                   842  1.0e-7 / 1.2e-8      6.5e-10 / 8.2e-11     2.2e-7 / 4.4e-8
 *   lab_1080p60_h264 (1440x1080)      1684  1.2e-7 / 1.2e-8      1.1e-9  / 9.0e-11     2.6e-7 / 2.4e-8
 *   lab_portrait_rot90_h264 (360x480)  842  9.8e-8 / 1.2e-8      4.9e-10 / 8.2e-11     1.8e-7 / 3.8e-8
 * That is the floor set by the CSV itself: perturbing the inputs (x_, y_, p_)
 * within their 10th significant digit moves the result by as much (T 2.4e-7 mm,
 * R 1.1e-9 rad on al_pacino). The LM's early stop is reproduced, not just its
 * minimum: iterating to full convergence instead would be off by up to 9e-6 mm.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cameraForFrame, headPose, type CameraIntrinsics } from '../../../src/core/pose/headPose.ts';
import { rodriguesJacobian, solvePnPIterative } from '../../../src/core/pose/solvePnP.ts';
import { parsePdm, type Pdm } from '../../../src/core/pdm/pdm.ts';
import { shape3d } from '../../../src/core/pdm/shape.ts';
import { mat3Mul } from '../../../src/core/pdm/linalg.ts';
import { axisAngle2RotationMatrix, euler2RotationMatrix, rotationMatrix2Euler } from '../../../src/core/pdm/rotation.ts';
import { sharedPath, sharedSkipReason, suiteTitle } from '../../helpers/shared.ts';
import { rng } from '../../helpers/rng.ts';


function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

/**
 * A small PDM with a face-sized, roughly face-shaped mean (68 points on an
 * ellipsoid cap, mm, z toward the camera negative like OpenFace's model) and
 * a few orthonormal modes.
 */
function syntheticPdm(numPoints = 68, modes = 4, seed = 3): Pdm {
  const random = rng(seed);
  const n = numPoints, rows = 3 * n;
  const meanShape = new Float64Array(rows);
  for (let i = 0; i < n; i++) {
    const u = (random() - 0.5) * 140, v = (random() - 0.5) * 160;
    meanShape[i] = u;
    meanShape[i + n] = v;
    meanShape[i + 2 * n] = -60 * Math.sqrt(Math.max(0, 1 - (u / 90) ** 2 - (v / 100) ** 2));
  }
  const princComp = new Float64Array(rows * modes);
  const cols: Float64Array[] = [];
  for (let j = 0; j < modes; j++) {
    const c = Float64Array.from({ length: rows }, () => random() - 0.5);
    for (const prev of cols) {
      let d = 0;
      for (let r = 0; r < rows; r++) d += c[r] * prev[r];
      for (let r = 0; r < rows; r++) c[r] -= d * prev[r];
    }
    let norm = 0;
    for (let r = 0; r < rows; r++) norm += c[r] * c[r];
    norm = Math.sqrt(norm);
    for (let r = 0; r < rows; r++) c[r] /= norm;
    cols.push(c);
  }
  for (let r = 0; r < rows; r++) for (let j = 0; j < modes; j++) princComp[r * modes + j] = cols[j][r];
  return { numPoints: n, numModes: modes, meanShape, princComp, eigenValues: Float64Array.from({ length: modes }, (_, j) => 300 / (j + 1)) };
}

/** Camera-space points R P + T (3n layout) and their pinhole projection (2n layout). */
function poseAndProject(shape: Float64Array, r: Float64Array, t: ArrayLike<number>, cam: CameraIntrinsics): { camera: Float64Array; image: Float64Array } {
  const n = shape.length / 3;
  const camera = new Float64Array(3 * n), image = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const X = shape[i], Y = shape[i + n], Z = shape[i + 2 * n];
    const xc = r[0] * X + r[1] * Y + r[2] * Z + t[0];
    const yc = r[3] * X + r[4] * Y + r[5] * Z + t[1];
    const zc = r[6] * X + r[7] * Y + r[8] * Z + t[2];
    camera[i] = xc; camera[i + n] = yc; camera[i + 2 * n] = zc;
    image[i] = cam.fx * (xc / zc) + cam.cx;
    image[i + n] = cam.fy * (yc / zc) + cam.cy;
  }
  return { camera, image };
}

/** OpenFace's camera correction of a head rotation seen from translation t. */
function cameraCorrected(r: Float64Array, t: ArrayLike<number>): Float64Array {
  const eulX = Math.atan2(t[1], Math.hypot(t[0], t[2]));
  const eulY = -Math.atan2(t[0], Math.hypot(t[1], t[2]));
  return rotationMatrix2Euler(mat3Mul(euler2RotationMatrix(eulX, eulY, 0), r));
}

describe('cameraForFrame (FeatureExtraction defaults)', () => {
  it('uses fx = fy = mean(500 w / 640, 500 h / 480) and the image centre', () => {
    expect(cameraForFrame(640, 480)).toEqual({ fx: 500, fy: 500, cx: 320, cy: 240 });
    expect(cameraForFrame(320, 240)).toEqual({ fx: 250, fy: 250, cx: 160, cy: 120 });
    expect(cameraForFrame(1440, 1080)).toEqual({ fx: 1125, fy: 1125, cx: 720, cy: 540 });
    // Portrait: 281.25 and 500 averaged.
    expect(cameraForFrame(360, 480)).toEqual({ fx: 390.625, fy: 390.625, cx: 180, cy: 240 });
  });

  it('holds the values in single precision, as OpenFace\'s float variables do', () => {
    const cam = cameraForFrame(1001, 777);
    expect(cam.fx).toBe(Math.fround(cam.fx));
    expect(cam.fx).toBeCloseTo((500 * 1001 / 640 + 500 * 777 / 480) / 2, 4);
    expect(cam.cx).toBe(500.5);
  });
});

describe('rodriguesJacobian (OpenCV cvRodrigues2)', () => {
  it('gives the same matrix as axisAngle2RotationMatrix, to the bit', () => {
    const random = rng(11);
    const r = new Float64Array(9);
    for (let k = 0; k < 50; k++) {
      const v = [random() * 4 - 2, random() * 4 - 2, random() * 4 - 2];
      rodriguesJacobian(v[0], v[1], v[2], r);
      expect(Array.from(r)).toEqual(Array.from(axisAngle2RotationMatrix(v)));
    }
  });

  it('has a Jacobian that matches central differences', () => {
    const random = rng(12);
    const r = new Float64Array(9), j = new Float64Array(27), rp = new Float64Array(9), rm = new Float64Array(9);
    const h = 1e-6;
    for (let k = 0; k < 20; k++) {
      const v = [random() * 2 - 1, random() * 2 - 1, random() * 2 - 1];
      rodriguesJacobian(v[0], v[1], v[2], r, j);
      for (let i = 0; i < 3; i++) {
        const vp = v.slice(), vm = v.slice();
        vp[i] += h; vm[i] -= h;
        rodriguesJacobian(vp[0], vp[1], vp[2], rp);
        rodriguesJacobian(vm[0], vm[1], vm[2], rm);
        for (let e = 0; e < 9; e++) expect(Math.abs(j[9 * i + e] - (rp[e] - rm[e]) / (2 * h))).toBeLessThan(1e-8);
      }
    }
  });

  it('uses OpenCV\'s constant Jacobian at the zero rotation', () => {
    const r = new Float64Array(9), j = new Float64Array(27);
    rodriguesJacobian(0, 0, 0, r, j);
    expect(Array.from(r)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    // dR/dr_x = [e_x]x, etc.
    expect(Array.from(j.subarray(0, 9))).toEqual([0, 0, 0, 0, 0, -1, 0, 1, 0]);
    expect(Array.from(j.subarray(9, 18))).toEqual([0, 0, 1, 0, 0, 0, -1, 0, 0]);
    expect(Array.from(j.subarray(18, 27))).toEqual([0, -1, 0, 1, 0, 0, 0, 0, 0]);
  });
});

describe('solvePnPIterative (OpenCV LM with an extrinsic guess)', () => {
  const pdm = syntheticPdm();
  const cam = cameraForFrame(640, 480);

  it('recovers a known pose from an exact pinhole projection', () => {
    const random = rng(21);
    const shape = shape3d(pdm, [10, -5, 3, 1]);
    for (let k = 0; k < 30; k++) {
      const rTrue = [random() * 0.8 - 0.4, random() * 1.2 - 0.6, random() * 0.6 - 0.3];
      const tTrue = [random() * 200 - 100, random() * 150 - 75, 400 + random() * 600];
      const { image } = poseAndProject(shape, axisAngle2RotationMatrix(rTrue), tTrue, cam);
      // A guess off by ~0.1 rad and several percent in depth, like OpenFace's weak-perspective one.
      const rvec = Float64Array.from(rTrue, (v) => v + (random() - 0.5) * 0.2);
      const tvec = Float64Array.of(tTrue[0] * 1.05, tTrue[1] * 0.95, tTrue[2] * (0.9 + random() * 0.2));
      const stats = solvePnPIterative(shape, image, cam, rvec, tvec);
      expect(stats.iterations).toBeLessThanOrEqual(20);
      expect(stats.errorNorm).toBeLessThan(1e-6);
      expect(maxAbsDiff(rvec, rTrue)).toBeLessThan(1e-8);
      expect(maxAbsDiff(tvec, tTrue)).toBeLessThan(1e-5);
    }
  });

  it('fits noisy landmarks no worse than the true pose does', () => {
    const random = rng(22);
    const shape = shape3d(pdm, [0, 0, 0, 0]);
    const rTrue = [0.1, -0.3, 0.05], tTrue = [30, -20, 600];
    const { image } = poseAndProject(shape, axisAngle2RotationMatrix(rTrue), tTrue, cam);
    for (let i = 0; i < image.length; i++) image[i] += (random() - 0.5) * 2;
    const rvec = Float64Array.of(0, 0, 0), tvec = Float64Array.of(0, 0, 500);
    const stats = solvePnPIterative(shape, image, cam, rvec, tvec);
    const residual = (r: ArrayLike<number>, t: ArrayLike<number>) => {
      const p = poseAndProject(shape, axisAngle2RotationMatrix(r), t, cam).image;
      let s = 0;
      for (let i = 0; i < p.length; i++) s += (p[i] - image[i]) ** 2;
      return Math.sqrt(s);
    };
    expect(stats.errorNorm).toBeCloseTo(residual(rvec, tvec), 9);
    expect(stats.errorNorm).toBeLessThanOrEqual(residual(rTrue, tTrue));
    expect(maxAbsDiff(rvec, rTrue)).toBeLessThan(0.02);
  });

  it('rejects mismatched point counts', () => {
    expect(() => solvePnPIterative(new Float64Array(9), new Float64Array(8), cam, new Float64Array(3), new Float64Array(3))).toThrow(RangeError);
  });
});

describe('headPose (OpenFace GetCorrectedPoseCamera + CLNF::GetShape)', () => {
  const pdm = syntheticPdm();

  /** params_global of the weak-perspective camera that best mimics a true pose (scale = fx / Tz). */
  function weakParams(rTrue: Float64Array, tTrue: readonly number[], cam: CameraIntrinsics): Float64Array {
    const e = rotationMatrix2Euler(rTrue);
    const scale = cam.fx / tTrue[2];
    return Float64Array.of(scale, e[0], e[1], e[2], cam.cx + scale * tTrue[0], cam.cy + (cam.fy / tTrue[2]) * tTrue[1]);
  }

  for (const [w, h] of [[640, 480], [320, 240], [1440, 1080], [360, 480]]) {
    it(`recovers T and the camera-corrected rotation of a synthetic head (${w}x${h})`, () => {
      const cam = cameraForFrame(w, h);
      const random = rng(w + h);
      const local = Float64Array.of(8, -4, 2, -1);
      const shape = shape3d(pdm, local);
      for (let k = 0; k < 10; k++) {
        const rTrue = euler2RotationMatrix(random() * 0.6 - 0.3, random() * 1.0 - 0.5, random() * 0.4 - 0.2);
        const tTrue = [random() * 100 - 50, random() * 80 - 40, 450 + random() * 400];
        const { camera, image } = poseAndProject(shape, rTrue, tTrue, cam);
        const global = weakParams(rTrue, tTrue, cam);
        const { pose, landmarks3d } = headPose(pdm, image, global, local, cam);
        expect(maxAbsDiff(pose.subarray(0, 3), tTrue)).toBeLessThan(1e-5);
        expect(maxAbsDiff(pose.subarray(3), cameraCorrected(rTrue, tTrue))).toBeLessThan(1e-9);
        // With the weak-perspective depth equal to Tz and the true rotation,
        // GetShape's back-projection is the true camera-space shape.
        expect(maxAbsDiff(landmarks3d, camera)).toBeLessThan(1e-9);
      }
    });
  }

  it('reads the rotation straight off when the head is on the optical axis', () => {
    const cam = cameraForFrame(640, 480);
    const shape = shape3d(pdm, new Float64Array(4));
    const e = [0.2, -0.35, 0.1];
    const rTrue = euler2RotationMatrix(e[0], e[1], e[2]);
    const { image } = poseAndProject(shape, rTrue, [0, 0, 700], cam);
    const { pose } = headPose(pdm, image, weakParams(rTrue, [0, 0, 700], cam), new Float64Array(4), cam);
    expect(maxAbsDiff(pose, [0, 0, 700, ...e])).toBeLessThan(1e-8);
  });

  it('writes zeros for a zero scale (no face)', () => {
    const cam = cameraForFrame(640, 480);
    const { pose, landmarks3d } = headPose(pdm, new Float64Array(136), new Float64Array(6), new Float64Array(4), cam);
    expect(Array.from(pose)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(landmarks3d.every((v) => v === 0)).toBe(true);
  });

  it('checks its input sizes', () => {
    const cam = cameraForFrame(640, 480);
    expect(() => headPose(pdm, new Float64Array(10), new Float64Array(6), new Float64Array(4), cam)).toThrow(RangeError);
    expect(() => headPose(pdm, new Float64Array(136), new Float64Array(5), new Float64Array(4), cam)).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------
// Against OpenFace's own CSVs.

const skip = sharedSkipReason();

interface Row {
  landmarks: Float64Array;
  global: Float64Array;
  local: Float64Array;
  pose: Float64Array;
  landmarks3d: Float64Array;
}

function readRows(name: string): Row[] {
  const lines = readFileSync(sharedPath(`reference/${name}.csv`), 'utf8').trim().split('\n');
  const header = lines[0].split(',').map((s) => s.trim());
  const col = (s: string): number => {
    const i = header.indexOf(s);
    if (i < 0) throw new Error(`${name}.csv has no column ${s}`);
    return i;
  };
  const range = (prefix: string) => Array.from({ length: 68 }, (_, i) => col(`${prefix}_${i}`));
  const lm = [...range('x'), ...range('y')];
  const l3 = [...range('X'), ...range('Y'), ...range('Z')];
  const g = ['p_scale', 'p_rx', 'p_ry', 'p_rz', 'p_tx', 'p_ty'].map(col);
  const loc = Array.from({ length: 34 }, (_, i) => col(`p_${i}`));
  const p = ['pose_Tx', 'pose_Ty', 'pose_Tz', 'pose_Rx', 'pose_Ry', 'pose_Rz'].map(col);
  const success = col('success');
  const rows: Row[] = [];
  for (const line of lines.slice(1)) {
    const v = line.split(',').map(Number);
    if (v[success] !== 1) continue;
    rows.push({
      landmarks: Float64Array.from(lm, (c) => v[c]),
      global: Float64Array.from(g, (c) => v[c]),
      local: Float64Array.from(loc, (c) => v[c]),
      pose: Float64Array.from(p, (c) => v[c]),
      landmarks3d: Float64Array.from(l3, (c) => v[c]),
    });
  }
  return rows;
}

describe.skipIf(skip !== null)(suiteTitle('headPose against OpenFace FeatureExtraction CSVs', skip), () => {
  const clips: [string, number, number][] = [
    ['0188_03_021_al_pacino', 320, 240],
    ['lab_640x480_h264', 640, 480],
    ['lab_1080p60_h264', 1440, 1080],
    ['lab_portrait_rot90_h264', 360, 480],
  ];
  const pdm = skip === null ? parsePdm(readFileSync(sharedPath('openface/model/pdms/In-the-wild_aligned_PDM_68.txt'), 'utf8')) : null;

  for (const [name, width, height] of clips) {
    it(`${name} (${width}x${height}): pose and 3D landmarks to the CSV's precision`, () => {
      if (!pdm) return;
      const rows = readRows(name);
      expect(rows.length).toBeGreaterThan(100);
      const cam = cameraForFrame(width, height);
      let maxT = 0, maxR = 0, max3 = 0, sumT = 0, sumR = 0, sum3 = 0;
      const t0 = performance.now();
      const results = rows.map((r) => headPose(pdm, r.landmarks, r.global, r.local, cam));
      const msPerFrame = (performance.now() - t0) / rows.length;
      rows.forEach((row, f) => {
        const { pose, landmarks3d } = results[f];
        for (let k = 0; k < 3; k++) {
          const d = Math.abs(pose[k] - row.pose[k]);
          maxT = Math.max(maxT, d); sumT += d;
          const e = Math.abs(pose[k + 3] - row.pose[k + 3]);
          maxR = Math.max(maxR, e); sumR += e;
        }
        for (let i = 0; i < 204; i++) {
          const d = Math.abs(landmarks3d[i] - row.landmarks3d[i]);
          max3 = Math.max(max3, d); sum3 += d;
        }
      });
      const n = rows.length;
      console.log(
        `${name}: ${n} frames | T max ${maxT.toExponential(2)} mean ${(sumT / (3 * n)).toExponential(2)} mm` +
        ` | R max ${maxR.toExponential(2)} mean ${(sumR / (3 * n)).toExponential(2)} rad` +
        ` | 3D max ${max3.toExponential(2)} mean ${(sum3 / (204 * n)).toExponential(2)} mm | ${msPerFrame.toFixed(3)} ms/frame`,
      );
      // Bounds a few times the measured worst case (see the header), i.e. the
      // rounding of the CSV's 10-digit inputs; a real departure from
      // OpenFace's numerics (e.g. a different LM stop) is 10-100x larger.
      expect(maxT).toBeLessThan(1e-6);
      expect(sumT / (3 * n)).toBeLessThan(1e-7);
      expect(maxR).toBeLessThan(5e-9);
      expect(sumR / (3 * n)).toBeLessThan(1e-9);
      expect(max3).toBeLessThan(1e-6);
      expect(sum3 / (204 * n)).toBeLessThan(2e-7);
    });
  }
});
