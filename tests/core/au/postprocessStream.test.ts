import { describe, expect, it } from 'vitest';
import { rng as random } from '../../helpers/rng.ts';
import { cutoffOffset, postprocessAuStream, postprocessIntensity, smoothPresence, type RawAuFrame } from '../../../src/core/au/postprocess.ts';


interface Track {
  readonly intensity: Float64Array[]; // per AU
  readonly presence: Float64Array[];
  readonly success: Uint8Array;
}

/** Raw predictions over `n` frames: drifting intensities with spikes beyond [0, 5], 0/1 presences in runs, lost stretches. */
function syntheticTrack(n: number, intensities: number, presences: number, seed: number): Track {
  const next = random(seed);
  const success = new Uint8Array(n);
  let lost = 0;
  for (let f = 0; f < n; f++) {
    if (lost === 0 && next() < 0.002) lost = 1 + Math.floor(next() * 200);
    success[f] = lost > 0 ? 0 : 1;
    if (lost > 0) lost--;
  }
  const intensity = Array.from({ length: intensities }, () => {
    const track = new Float64Array(n);
    let level = next() * 2;
    for (let f = 0; f < n; f++) {
      level += (next() - 0.5) * 0.2;
      // failed frames carry 0, as the analyser records them
      track[f] = success[f] ? level + (next() < 0.01 ? (next() - 0.5) * 14 : (next() - 0.5) * 0.3) : 0;
    }
    return track;
  });
  const presence = Array.from({ length: presences }, () => {
    const track = new Float64Array(n);
    let on = 0;
    for (let f = 0; f < n; f++) {
      if (next() < 0.15) on = 1 - on;
      track[f] = success[f] ? on : 0;
    }
    return track;
  });
  return { intensity, presence, success };
}

function* rawFrames(track: Track): Generator<RawAuFrame> {
  const n = track.success.length;
  for (let f = 0; f < n; f++) {
    yield { intensity: track.intensity.map((t) => t[f]), presence: track.presence.map((t) => t[f]), success: track.success[f] === 1 };
  }
}

/** The stream against the whole-track functions, every value compared as the same double. */
function compare(n: number, seed: number): number {
  const cutoffs = [0.3, null, 0.65, -1, 0.05, 0.9];
  const track = syntheticTrack(n, cutoffs.length, 5, seed);
  const expectedIntensity = track.intensity.map((t, j) => postprocessIntensity(t, track.success, cutoffs[j]));
  const expectedPresence = track.presence.map((t) => smoothPresence(t));
  const offsets = Float64Array.from(track.intensity, (t, j) => cutoffOffset(t, track.success, cutoffs[j]));
  let f = 0;
  let mismatches = 0;
  for (const frame of postprocessAuStream(rawFrames(track), offsets, track.presence.length)) {
    for (let j = 0; j < cutoffs.length; j++) if (!Object.is(frame.intensity[j], expectedIntensity[j][f])) mismatches++;
    for (let j = 0; j < track.presence.length; j++) if (!Object.is(frame.presence[j], expectedPresence[j][f])) mismatches++;
    f++;
  }
  expect(f).toBe(n);
  return mismatches;
}

describe('postprocessAuStream', () => {
  it('gives exactly the whole-track postprocessing on a long synthetic track (an hour at 30 fps)', () => {
    expect(compare(108_000, 7)).toBe(0);
  });

  it('is exact at the short lengths where the ends meet (0 to 9 frames)', () => {
    for (let n = 0; n <= 9; n++) expect(compare(n, 100 + n)).toBe(0);
  });

  it('smooths across the window as OpenFace does (hand-checked frame)', () => {
    const presence = [1, 1, 1, 0, 0, 0, 1, 1, 0, 1];
    const frames = presence.map((p, f): RawAuFrame => ({ intensity: [f === 4 ? 6 : 0.6], presence: [p], success: true }));
    const out = [...postprocessAuStream(frames, [0.6], 1)];
    expect(out.map((o) => o.presence[0])).toEqual([1, 1, 1, 1, 1, 0, 0, 1, 0, 1]);
    // frame 4: 5.4 clamped to 5, neighbours 0: (0 + 5 + 0) / 3
    expect(out[3].intensity[0]).toBe(5 / 3);
    expect(out[0].intensity[0]).toBe(0);
  });
});
