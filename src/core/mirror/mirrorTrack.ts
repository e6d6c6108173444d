/**
 * What the first pass over a video learns about each frame's source face,
 * kept compactly (about 600 bytes a frame: the landmarks as floats, the raw
 * midline ends, pose and confidence) so that the second pass can mirror with
 * the centred-smoothed midline without holding any frame's pixels.
 */
import type { FaceObservation } from '../pipeline.ts';
import { LANDMARK_COUNT } from './faceLandmarks.ts';
import { fitMidline, type MidlineFit } from './midline.ts';
import { ENDS_PER_FRAME, midlineAt, smoothMidlineEnds, type MidlineEnds } from './midlineSmoothing.ts';
import { interOcularDistance } from './faceGeometry.ts';
import { mirrorQuality, type MirrorQuality } from './mirrorQuality.ts';
import type { Midline } from './midline.ts';

const POINT_VALUES = 2 * LANDMARK_COUNT;

/** Growable typed array (doubling). */
class Column<T extends Float64Array | Float32Array | Uint8Array> {
  private data: T;
  length = 0;

  constructor(private readonly make: (n: number) => T, private readonly stride: number) {
    this.data = make(1024 * stride);
  }

  push(values: ArrayLike<number>): void {
    if ((this.length + 1) * this.stride > this.data.length) {
      const bigger = this.make(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data.set(values, this.length * this.stride);
    this.length++;
  }

  view(): T {
    return this.data.subarray(0, this.length * this.stride) as T;
  }
}

export class MirrorTrack {
  private readonly landmarks = new Column((n) => new Float32Array(n), POINT_VALUES);
  private readonly ends = new Column((n) => new Float64Array(n), ENDS_PER_FRAME);
  /** timestamp, confidence, yaw/pitch/roll source (pose Rx, Ry, Rz, NaN when unknown), midline rms residual, inter-ocular distance */
  private readonly scalars = new Column((n) => new Float64Array(n), 7);
  private readonly found = new Column((n) => new Uint8Array(n), 1);
  private readonly hasPose = new Column((n) => new Uint8Array(n), 1);
  private smoothed: MidlineEnds | null = null;
  private readonly missing = new Float32Array(POINT_VALUES).fill(Number.NaN);

  /** Adds the source face of the next frame (the first observation of face 0). Returns this frame's raw fit. */
  add(face: FaceObservation): MidlineFit | null {
    const landmarks = face.success ? face.landmarks : null;
    const fit = landmarks ? fitMidline(landmarks) : null;
    this.landmarks.push(landmarks ?? this.missing);
    this.ends.push(fit ? [fit.top[0], fit.top[1], fit.bottom[0], fit.bottom[1]] : [Number.NaN, Number.NaN, Number.NaN, Number.NaN]);
    const pose = face.pose;
    this.scalars.push([
      face.timestamp,
      face.confidence,
      pose ? pose[3] : Number.NaN,
      pose ? pose[4] : Number.NaN,
      pose ? pose[5] : Number.NaN,
      fit ? fit.rmsResidual : Number.NaN,
      landmarks ? interOcularDistance(landmarks) : Number.NaN,
    ]);
    this.found.push([fit ? 1 : 0]);
    this.hasPose.push([pose ? 1 : 0]);
    this.smoothed = null;
    return fit;
  }

  get frames(): number {
    return this.found.length;
  }

  /** Smooths the midlines over the whole track (centred); call once all frames are in. */
  smooth(sigmaFrames?: number): void {
    this.smoothed = smoothMidlineEnds(this.ends.view(), sigmaFrames);
  }

  private smoothedEnds(): MidlineEnds {
    if (!this.smoothed) this.smooth();
    return this.smoothed as MidlineEnds;
  }

  /** The smoothed midline of frame f, or null when the frame has no face. */
  midline(f: number): Midline | null {
    return midlineAt(this.smoothedEnds(), f);
  }

  /** The smoothed ends x1 y1 x2 y2 of frame f (NaN without a face). */
  midlineEnds(f: number): Float64Array {
    return this.smoothedEnds().subarray(f * ENDS_PER_FRAME, (f + 1) * ENDS_PER_FRAME);
  }

  /** Frame f's landmarks as floats (x_0..x_67, y_0..y_67), or null. */
  landmarksAt(f: number): Float32Array | null {
    if (!this.found.view()[f]) return null;
    return this.landmarks.view().subarray(f * POINT_VALUES, (f + 1) * POINT_VALUES);
  }

  timestamp(f: number): number {
    return this.scalars.view()[f * 7];
  }

  /** The mirror quality of frame f (with the raw fit's residual and the source's pose and confidence). */
  quality(f: number): MirrorQuality {
    const s = this.scalars.view().subarray(f * 7, f * 7 + 7);
    const found = this.found.view()[f] === 1;
    const pose = this.hasPose.view()[f] ? [0, 0, 0, s[2], s[3], s[4]] : null;
    return mirrorQuality(found, pose, s[1], s[5], s[6]);
  }

  /** Approximate bytes held (for the memory report). */
  get bytes(): number {
    return this.frames * (POINT_VALUES * 4 + ENDS_PER_FRAME * 8 * 2 + 7 * 8 + 2);
  }
}
