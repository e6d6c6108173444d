/**
 * Gaze as OpenFace 2.2 computes it (EstimateGaze, GetGazeAngle).
 *
 * Self-contained: a synthetic eye whose pupil sits on the 12 mm eyeball at a
 * known direction gives that direction back; a ray that misses the eyeball
 * aims at (0, 0, -1); the angles of known vectors.
 *
 * Reference part (needs ../shared): from each tracked row's eye_lmk_X/Y/Z,
 * X/Y/Z and pose_* columns of 2.2's 10-digit CSVs (exact floats), recompute
 * gaze_0_*, gaze_1_* and gaze_angle_*. Measured: bit-identical to 2.2's
 * floats on every tracked frame of the 8 clips (the printed worst
 * differences, 5e-11, are the CSV's 10-digit rounding).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gazeAngle, gazeDirection, gazeOutputs } from '../../../src/core/gaze/gazeEstimate.ts';
import { parseLandmarkCsv } from '../../../src/core/csv/landmarkCsv.ts';
import { euler2RotationMatrix } from '../../../src/core/pdm/rotation.ts';
import { referenceCsvPath, sharedSkipReason, suiteTitle } from '../../helpers/shared.ts';
import { REFERENCE_CLIPS } from '../pose/referenceClips.ts';
import { rng } from '../../helpers/rng.ts';

type Vec3 = [number, number, number];
const add = (a: Vec3, b: Vec3): Vec3 => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
const scale = (a: Vec3, s: number): Vec3 => [a[0] * s, a[1] * s, a[2] * s];
const unit = (a: Vec3): Vec3 => scale(a, 1 / Math.hypot(...a));

/**
 * Face and eye 3D landmarks (CSV layouts: 204 and 168 values) for a head
 * rotated by `euler` whose eye `eye` has its eyeball centre at `centre` and
 * looks along `gaze`: the corners are placed so that their mid-point plus the
 * rotated (0, -3.5, 7) offset is the centre, and the 8 iris points ring the
 * pupil, 12 mm from the centre along the gaze.
 */
function syntheticEye(euler: Vec3, centre: Vec3, gaze: Vec3, eye: 0 | 1): { face: Float64Array; eyes: Float64Array; pose: Float64Array } {
  const r = euler2RotationMatrix(euler[0], euler[1], euler[2]);
  const offset: Vec3 = [r[1] * -3.5 + r[2] * 7, r[4] * -3.5 + r[5] * 7, r[7] * -3.5 + r[8] * 7];
  const mid = add(centre, scale(offset, -1));
  const face = new Float64Array(204);
  const across: Vec3 = [r[0] * 15, r[3] * 15, r[6] * 15];
  for (const [index, side] of [[36 + 6 * eye, -1], [39 + 6 * eye, 1]]) {
    for (let axis = 0; axis < 3; axis++) face[axis * 68 + index] = mid[axis] + side * across[axis];
  }
  const pupil = add(centre, scale(gaze, 12));
  const eyes = new Float64Array(168);
  for (let k = 0; k < 8; k++) {
    const angle = (k * Math.PI) / 4;
    // a ring in the head's x/y plane, symmetric so that its mean is the pupil
    const ring: Vec3 = [0, 1, 2].map((axis) => 2 * (Math.cos(angle) * r[3 * axis] + Math.sin(angle) * r[3 * axis + 1])) as Vec3;
    for (let axis = 0; axis < 3; axis++) eyes[axis * 56 + 28 * eye + k] = pupil[axis] + ring[axis];
  }
  return { face, eyes, pose: Float64Array.of(0, 0, 0, ...euler) };
}

describe('gazeDirection (EstimateGaze)', () => {
  it('finds the direction from the eyeball centre to the pupil', () => {
    const random = rng(17);
    for (let k = 0; k < 50; k++) {
      const euler: Vec3 = [random() * 0.6 - 0.3, random() - 0.5, random() * 0.4 - 0.2];
      const centre: Vec3 = [random() * 200 - 100, random() * 160 - 80, 350 + random() * 500];
      // towards the camera, within ~30 degrees of the line of sight
      const gaze = unit(add(unit(scale(centre, -1)), [random() * 0.8 - 0.4, random() * 0.8 - 0.4, random() * 0.8 - 0.4]));
      const eye = (k % 2) as 0 | 1;
      const { face, eyes, pose } = syntheticEye(euler, centre, gaze, eye);
      const found = gazeDirection(eyes, face, pose, eye);
      // 2.2 solves the ray-sphere quadratic in float: b² and 4ac are ~10⁶
      // (float steps of 0.06-0.25) and cancel down to ~10², which moves the
      // hit point by up to ~5e-3 mm, a few 1e-4 of the 12 mm radius (measured
      // worst here 1.9e-4)
      expect(Math.hypot(found[0] - gaze[0], found[1] - gaze[1], found[2] - gaze[2])).toBeLessThan(5e-4);
      expect(Array.from(found)).toEqual(Array.from(found, Math.fround));
    }
  });

  it('aims at (0, 0, -1) when the ray misses the eyeball', () => {
    const centre: Vec3 = [10, 5, 500];
    const { face, eyes, pose } = syntheticEye([0, 0, 0], centre, [0, 0, -1], 0);
    // move the iris 40 mm sideways: its ray passes far from the eyeball
    for (let k = 0; k < 8; k++) eyes[k] += 40;
    const expected = unit(add([0, 0, -1], scale(centre, -1)));
    const found = gazeDirection(eyes, face, pose, 0);
    for (let axis = 0; axis < 3; axis++) expect(found[axis]).toBeCloseTo(expected[axis], 6);
  });

  it('checks its input sizes', () => {
    expect(() => gazeDirection(new Float64Array(84), new Float64Array(204), new Float64Array(6), 0)).toThrow(RangeError);
    expect(() => gazeDirection(new Float64Array(168), new Float64Array(136), new Float64Array(6), 0)).toThrow(RangeError);
  });
});

describe('gazeAngle (GetGazeAngle) and gazeOutputs', () => {
  it('is zero looking straight into the camera and atan2(x, -z), atan2(y, -z) of the mean vector', () => {
    expect(Array.from(gazeAngle([0, 0, -1], [0, 0, -1]))).toEqual([0, 0]);
    const a = 0.3;
    const angles = gazeAngle([Math.sin(a), 0, -Math.cos(a)], [Math.sin(a), 0, -Math.cos(a)]);
    expect(angles[0]).toBeCloseTo(a, 6);
    expect(angles[1]).toBe(0);
    // the mean of two vectors, not renormalised
    expect(gazeAngle([0.2, 0.1, -0.9], [0.4, -0.3, -0.7])[1]).toBeCloseTo(Math.atan2(-0.1, 0.8), 6);
  });

  it('lays out gaze_0 (left_eye_28, points 0..27), gaze_1 (right_eye_28, 28..55) and the angles', () => {
    const left = syntheticEye([0.1, -0.2, 0], [-30, 0, 500], unit([0.2, 0.1, -1]), 0);
    const right = syntheticEye([0.1, -0.2, 0], [30, 0, 500], unit([-0.1, 0.05, -1]), 1);
    const face = left.face.map((v, i) => v + right.face[i]);
    const eyes = left.eyes.map((v, i) => v + right.eyes[i]);
    const out = gazeOutputs(eyes, face, left.pose);
    expect(out).toHaveLength(8);
    expect(Array.from(out.subarray(0, 3))).toEqual(Array.from(gazeDirection(eyes, face, left.pose, 0)));
    expect(Array.from(out.subarray(3, 6))).toEqual(Array.from(gazeDirection(eyes, face, left.pose, 1)));
    expect(Array.from(out.subarray(6))).toEqual(Array.from(gazeAngle(out.subarray(0, 3), out.subarray(3, 6))));
    expect(out[0]).toBeCloseTo(unit([0.2, 0.1, -1])[0], 4);
    expect(out[3]).toBeCloseTo(unit([-0.1, 0.05, -1])[0], 4);
  });
});

// ---------------------------------------------------------------------------
// Against OpenFace 2.2's own CSVs.

const skip = sharedSkipReason();

describe.skipIf(skip !== null)(suiteTitle('gazeOutputs against OpenFace 2.2\'s CSVs', skip), () => {
  for (const [name] of REFERENCE_CLIPS) {
    it(`${name}: gaze vectors and angles from the CSV's 3D eye and face landmarks and pose`, () => {
      const rows = parseLandmarkCsv(readFileSync(referenceCsvPath(name), 'utf8'), name).filter((row) => row.success);
      expect(rows.length).toBeGreaterThan(100);
      let maxVector = 0, maxAngle = 0, same = 0;
      for (const row of rows) {
        const gaze = gazeOutputs(row.eyeLandmarks3d!, row.landmarks3d!, row.pose!);
        for (let k = 0; k < 8; k++) {
          const d = Math.abs(gaze[k] - row.gaze![k]);
          if (k < 6) maxVector = Math.max(maxVector, d);
          else maxAngle = Math.max(maxAngle, d);
          if (gaze[k] === Math.fround(row.gaze![k])) same++;
        }
      }
      console.log(`${name}: ${rows.length} tracked frames | vectors max ${maxVector.toExponential(2)}, angles max ${maxAngle.toExponential(2)} rad | ${((100 * same) / (8 * rows.length)).toFixed(2)}% bit-identical`);
      expect(maxVector).toBeLessThan(1e-8);
      expect(maxAngle).toBeLessThan(1e-8);
      expect(same).toBeGreaterThanOrEqual(Math.floor(0.999 * 8 * rows.length));
    });
  }
});
