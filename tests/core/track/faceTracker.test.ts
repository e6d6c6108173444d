/**
 * FaceTracker's scheduling and id rules, driven by fake stages over a
 * scripted scene. Each frame is a small BgrImage with every face painted as a
 * square of its own grey level; the fakes read where the faces are from the
 * scene and check that they were handed this frame's pixels.
 *
 * The fake CLNF: a fit starts from a centre (the previous parameters
 * [size, 0, 0, 0, cx, cy], or the rough landmarks' box), finds the nearest face
 * whose centre is within the small search radius (tracking) or the wide one
 * (landmark start, or `wideSearch` after a failure), and succeeds with 68
 * points spanning that face's box exactly; a face marked `fittable: false` is
 * one the validator rejects. Without a face in reach it fails and reports its
 * start unchanged. Like real CLNF, a tracking step stays in the optimum its
 * start found: a fit from rough landmarks gets the face's `startCertainty` on
 * that frame, and tracking steps keep the certainty of the fit they continue
 * (carried in paramsLocal[0]).
 */
import { describe, expect, it } from 'vitest';
import {
  boxIou,
  clearlyBetterFit,
  DEFAULT_TRACKER_OPTIONS,
  detectionAt,
  FaceTracker,
  type FaceDetectorStage,
  type FaceTrackerOptions,
  type InitialLandmarkStage,
  type LandmarkFitStage,
  type TrackedFace,
} from '../../../src/core/track/faceTracker.ts';
import { createBgrImage, type BgrImage } from '../../../src/core/image.ts';
import type { FaceDetection, PixelBox } from '../../../src/core/detect/faceDetection.ts';
import type { ClnfInit, ClnfResult } from '../../../src/core/clnf/index.ts';
import { landmarkBox } from '../../../src/core/landmarks/faceCrop.ts';

const WIDTH = 96;
const HEIGHT = 72;

interface FaceSpec {
  /** 'A', 'B', ...: also picks the grey level it is painted with */
  readonly key: string;
  readonly x: number;
  readonly y: number;
  readonly size: number;
  /** false: the detector sees it, the validator rejects every fit on it */
  readonly fittable?: boolean;
  /** validator certainty of a fit started from rough landmarks on this frame (default -0.9) */
  readonly startCertainty?: number;
}

type Scene = (frame: number) => readonly FaceSpec[];

type ClnfCall = 'track' | 'track-wide' | 'landmarks';

interface FrameLog {
  detectorCalls: number;
  landmarkCalls: number;
  clnf: ClnfCall[];
  faces: TrackedFace[];
}

interface WorldOptions {
  /** search radius of a tracking step (pixels, centre to centre) */
  readonly smallRadius: number;
  /** search radius from rough landmarks or after a failure */
  readonly wideRadius: number;
  /** the detector reports each face twice: shifted by a pixel, or as a box a quarter its area inside it */
  readonly duplicates: 'none' | 'shifted' | 'inner';
}

const WORLD_DEFAULTS: WorldOptions = { smallRadius: 7, wideRadius: 14, duplicates: 'none' };

const GOOD_CERTAINTY = -0.9;

function face(key: string, x: number, y: number, size = 12, fittable = true): FaceSpec {
  return { key, x, y, size, fittable };
}

function greyOf(key: string): number {
  return 60 + 30 * (key.charCodeAt(0) - 65);
}

function boxOfFace(f: FaceSpec): PixelBox {
  return { x: f.x, y: f.y, width: f.size, height: f.size };
}

/** 68 points (x_0..x_67, y_0..y_67) on a 17 x 4 grid spanning the box exactly. */
function gridLandmarks(box: PixelBox): Float64Array {
  const out = new Float64Array(136);
  for (let i = 0; i < 68; i++) {
    out[i] = box.x + (box.width * (i % 17)) / 16;
    out[68 + i] = box.y + (box.height * Math.floor(i / 17)) / 3;
  }
  return out;
}

function centre(box: PixelBox): { x: number; y: number } {
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

function paint(faces: readonly FaceSpec[]): BgrImage {
  const image = createBgrImage(WIDTH, HEIGHT);
  for (const f of faces) {
    const v = greyOf(f.key);
    for (let y = Math.max(0, f.y); y < Math.min(HEIGHT, f.y + f.size); y++) {
      for (let x = Math.max(0, f.x); x < Math.min(WIDTH, f.x + f.size); x++) image.data.fill(v, (y * WIDTH + x) * 3, (y * WIDTH + x) * 3 + 3);
    }
  }
  return image;
}

class FakeWorld {
  readonly log: FrameLog[] = [];
  private scene: readonly FaceSpec[] = [];
  private image: BgrImage = createBgrImage(WIDTH, HEIGHT);
  private readonly options: WorldOptions;

  constructor(options: Partial<WorldOptions> = {}) {
    this.options = { ...WORLD_DEFAULTS, ...options };
  }

  private get current(): FrameLog {
    const entry = this.log[this.log.length - 1];
    if (!entry) throw new Error('no frame started');
    return entry;
  }

  begin(scene: readonly FaceSpec[]): BgrImage {
    this.scene = scene;
    this.image = paint(scene);
    this.log.push({ detectorCalls: 0, landmarkCalls: 0, clnf: [], faces: [] });
    return this.image;
  }

  end(faces: TrackedFace[]): void {
    this.current.faces = faces;
  }

  readonly detector: FaceDetectorStage = {
    detect: async (image) => {
      expect(image).toBe(this.image);
      this.current.detectorCalls++;
      const out: FaceDetection[] = [];
      for (const f of this.scene) {
        out.push(detection(boxOfFace(f)));
        if (this.options.duplicates === 'shifted') out.push(detection({ x: f.x + 1, y: f.y + 1, width: f.size, height: f.size }));
        if (this.options.duplicates === 'inner') out.push(detection({ x: f.x + f.size / 4, y: f.y + f.size / 4, width: f.size / 2, height: f.size / 2 }));
      }
      return out;
    },
  };

  readonly initial: InitialLandmarkStage = {
    landmarksFor: async (image, det) => {
      expect(image).toBe(this.image);
      this.current.landmarkCalls++;
      // rough: a pixel off
      return gridLandmarks({ ...det.box, x: det.box.x + 1, y: det.box.y + 1 });
    },
  };

  readonly clnf: LandmarkFitStage = {
    detectLandmarks: (gray: Uint8Array, width: number, height: number, init: ClnfInit): ClnfResult => {
      expect([width, height, gray.length]).toEqual([WIDTH, HEIGHT, WIDTH * HEIGHT]);
      let start: { x: number; y: number; size: number };
      let radius: number;
      // the optimum a tracking step continues in (a failed start carries none)
      let carried: number | null = null;
      if ('paramsGlobal' in init) {
        start = { size: init.paramsGlobal[0], x: init.paramsGlobal[4], y: init.paramsGlobal[5] };
        carried = init.paramsLocal[0] < 0 ? init.paramsLocal[0] : null;
        radius = init.wideSearch ? this.options.wideRadius : this.options.smallRadius;
        this.current.clnf.push(init.wideSearch ? 'track-wide' : 'track');
      } else if ('landmarks' in init) {
        const box = landmarkBox(Float64Array.from(init.landmarks));
        start = { ...centre(box), size: box.width };
        radius = this.options.wideRadius;
        this.current.clnf.push('landmarks');
      } else {
        throw new Error('the tracker starts CLNF from rough landmarks, never from a box');
      }
      let best: FaceSpec | null = null;
      let bestDistance = Infinity;
      for (const f of this.scene) {
        const c = centre(boxOfFace(f));
        const d = Math.hypot(c.x - start.x, c.y - start.y);
        if (d <= radius && d < bestDistance) {
          best = f;
          bestDistance = d;
        }
      }
      if (best && best.fittable !== false) {
        const box = boxOfFace(best);
        // the tracker must hand CLNF this frame's grey image
        expect(gray[Math.floor(box.y + box.height / 2) * WIDTH + Math.floor(box.x + box.width / 2)]).toBe(greyOf(best.key));
        return clnfResult(true, { ...centre(box), size: best.size }, carried ?? best.startCertainty ?? GOOD_CERTAINTY);
      }
      return clnfResult(false, start);
    },
  };
}

function detection(box: PixelBox): FaceDetection {
  const c = centre(box);
  return { score: 0.9, box, keypoints: Array.from({ length: 6 }, () => c) };
}

function clnfResult(success: boolean, at: { x: number; y: number; size: number }, certainty = GOOD_CERTAINTY): ClnfResult {
  const paramsLocal = new Float64Array(34);
  paramsLocal[0] = success ? certainty : 0.5;
  return {
    success,
    landmarks: gridLandmarks({ x: at.x - at.size / 2, y: at.y - at.size / 2, width: at.size, height: at.size }),
    paramsGlobal: Float64Array.from([at.size, 0, 0, 0, at.x, at.y]),
    paramsLocal,
    confidence: success ? 0.5 * (1 - certainty) : 0.1,
    certainty: success ? certainty : 0.5,
    modelLikelihood: 0,
    timings: { mainFit: 0, parts: 0, pdmFit: 0, validation: 0 },
  };
}

async function run(options: Partial<FaceTrackerOptions>, scene: Scene, frames: number, world = new FakeWorld()): Promise<FrameLog[]> {
  const tracker = new FaceTracker(world.detector, world.initial, world.clnf, options);
  for (let f = 0; f < frames; f++) {
    const image = world.begin(scene(f));
    world.end(await tracker.next(image));
  }
  return world.log;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

function detectorFrames(log: readonly FrameLog[]): number[] {
  for (const entry of log) expect(entry.detectorCalls).toBeLessThanOrEqual(1);
  return log.flatMap((entry, f) => (entry.detectorCalls > 0 ? [f] : []));
}

function boxOf(tracked: TrackedFace): PixelBox {
  return landmarkBox(tracked.fit.landmarks);
}

/** Per frame: face id -> the scene face it sits on ('-' when its fit failed). */
function idMap(log: readonly FrameLog[], scene: Scene): Record<number, string>[] {
  return log.map((entry, f) =>
    Object.fromEntries(
      entry.faces.map((t) => {
        if (!t.fit.success) return [t.faceId, '-'];
        const on = scene(f).find((s) => boxIou(boxOfFace(s), boxOf(t)) > 0.99);
        return [t.faceId, on ? on.key : '?'];
      }),
    ),
  );
}

/** What every frame of an all-faces run must satisfy. */
function checkFrameInvariants(log: readonly FrameLog[]): void {
  log.forEach((entry, f) => {
    const ids = entry.faces.map((t) => t.faceId);
    expect(ids, `frame ${f}: ids unique and sorted`).toEqual([...new Set(ids)].sort((a, b) => a - b));
    const ok = entry.faces.filter((t) => t.fit.success);
    for (let i = 0; i < ok.length; i++) {
      for (let j = i + 1; j < ok.length; j++) {
        expect(boxIou(boxOf(ok[i]), boxOf(ok[j])), `frame ${f}: ids ${ok[i].faceId} and ${ok[j].faceId} on one face`).toBeLessThan(0.3);
      }
    }
  });
}

/** n copies of a per-frame value. */
function repeat<T>(value: T, n: number): T[] {
  return Array.from({ length: n }, () => value);
}

describe('FaceTracker, one face (OpenFace FeatureExtraction behaviour)', () => {
  it('uses OpenFace\'s defaults: one face, re-detect every 4th failed frame', () => {
    expect(DEFAULT_TRACKER_OPTIONS.allFaces).toBe(false);
    expect(DEFAULT_TRACKER_OPTIONS.redetectEvery).toBe(4);
  });

  it('detects a face present from frame 0 once, then follows it with small-window CLNF steps (and a second opinion 30 frames in)', async () => {
    const scene: Scene = (f) => [face('A', 10 + f, 20 + (f % 3))];
    const log = await run({}, scene, 40);
    expect(detectorFrames(log)).toEqual([0, 30]);
    expect(log.map((e) => e.landmarkCalls)).toEqual([1, ...repeat(0, 29), 1, ...repeat(0, 9)]);
    expect(log.map((e) => e.clnf)).toEqual([['landmarks'], ...repeat(['track'], 29), ['track', 'landmarks'], ...repeat(['track'], 9)]);
    log.forEach((entry, f) => {
      expect(entry.faces.map((t) => [t.faceId, t.fit.success])).toEqual([[0, true]]);
      expect(boxOf(entry.faces[0])).toEqual(boxOfFace(scene(f)[0]));
    });
  });

  it('reports no face until one is found, looking every frame', async () => {
    const scene: Scene = (f) => (f < 3 ? [] : [face('A', 30, 30, 12, f >= 6)]);
    const log = await run({}, scene, 9);
    expect(detectorFrames(log)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    // frames 3-5: a face is detected but the validator rejects CLNF's fit on it
    expect(log.map((e) => e.clnf)).toEqual([[], [], [], ['landmarks'], ['landmarks'], ['landmarks'], ['landmarks'], ['track'], ['track']]);
    expect(log.map((e) => e.faces.map((t) => t.faceId))).toEqual([[], [], [], [], [], [], [0], [0], [0]]);
  });

  it('tracks the largest face when several fit equally well', async () => {
    const scene: Scene = () => [face('A', 5, 5, 10), face('B', 50, 30, 16), face('C', 30, 50, 12)];
    const log = await run({}, scene, 5);
    expect(log.map((e) => e.faces.map((t) => t.faceId))).toEqual(repeat([0], 5));
    for (const entry of log) expect(boxOf(entry.faces[0])).toEqual(boxOfFace(face('B', 50, 30, 16)));
  });

  it('tracks the face CLNF is most certain of, not the largest, as OpenFace keeps its most confident detection', async () => {
    const certain: FaceSpec = { ...face('C', 30, 50, 12), startCertainty: -0.95 };
    const scene: Scene = () => [face('A', 5, 5, 10), face('B', 50, 30, 16), certain];
    const log = await run({}, scene, 5);
    expect(log.map((e) => e.faces.map((t) => t.faceId))).toEqual(repeat([0], 5));
    for (const entry of log) expect(boxOf(entry.faces[0])).toEqual(boxOfFace(certain));
    // all three were fitted to choose
    expect(log[0].clnf).toEqual(['landmarks', 'landmarks', 'landmarks']);
  });

  it('after losing the face: detects on the first failed frame, then every redetectEvery-th, and finds it again as face 0', async () => {
    // present 0-9 at (20,20); gone 10-30; back from 31 at (60,30), out of CLNF's reach from where it was
    const scene: Scene = (f) => (f < 10 ? [face('A', 20, 20)] : f <= 30 ? [] : [face('A', 60, 30)]);
    const log = await run({ redetectEvery: 4, maxFailures: 100 }, scene, 40);
    // failure k = f - 9; detect at k = 1, 5, 9, ... until it is found (k = 25, frame 34)
    expect(detectorFrames(log)).toEqual([0, 10, 14, 18, 22, 26, 30, 34]);
    expect(log.map((e) => e.faces.map((t) => t.faceId))).toEqual(repeat([0], 40));
    // frames 31-33: the face is back but nobody looks yet
    expect(log.map((e) => e.faces[0].fit.success)).toEqual([...repeat(true, 10), ...repeat(false, 24), ...repeat(true, 6)]);
    expect(boxOf(log[34].faces[0])).toEqual(boxOfFace(face('A', 60, 30)));
    // wide search after a failure, small windows again once found
    expect(log.map((e) => e.clnf)).toEqual([
      ['landmarks'],
      ...repeat(['track'], 9),
      ['track'],
      ...repeat(['track-wide'], 23),
      ['track-wide', 'landmarks'],
      ...repeat(['track'], 5),
    ]);
  });

  it('re-detects at the same cadence with another redetectEvery', async () => {
    const scene: Scene = (f) => (f < 5 ? [face('A', 20, 20)] : []);
    const log = await run({ redetectEvery: 3, maxFailures: 100 }, scene, 20);
    // k = f - 4: detect at k = 1, 4, 7, 10, 13
    expect(detectorFrames(log)).toEqual([0, 5, 8, 11, 14, 17]);
  });

  it('a face back where it was is picked up by CLNF\'s wide search without the detector', async () => {
    const scene: Scene = (f) => (f < 5 || f >= 7 ? [face('A', 20, 20)] : []);
    const log = await run({ redetectEvery: 4, maxFailures: 100 }, scene, 12);
    expect(detectorFrames(log)).toEqual([0, 5]);
    expect(log.map((e) => e.faces[0].fit.success)).toEqual([...repeat(true, 5), false, false, ...repeat(true, 5)]);
    expect(log[7].clnf).toEqual(['track-wide']);
    expect(log[8].clnf).toEqual(['track']);
  });

  it('after maxFailures failures the track goes dormant: no CLNF, the detector looks every frame; id 0 comes back', async () => {
    // present 0-4; gone 5-19; back from 20 elsewhere
    const scene: Scene = (f) => (f < 5 ? [face('A', 20, 20)] : f < 20 ? [] : [face('A', 60, 30)]);
    const log = await run({ redetectEvery: 4, maxFailures: 6 }, scene, 25);
    // k = f - 4: CLNF follows on k = 1..6 (frames 5-10), then sleeps
    expect(log.map((e) => e.clnf)).toEqual([
      ['landmarks'],
      ...repeat(['track'], 4),
      ['track'],
      ...repeat(['track-wide'], 5),
      ...repeat([], 9),
      ['landmarks'],
      ...repeat(['track'], 4),
    ]);
    // detection on k = 1 and 5 by the cadence, then on every dormant frame until found
    expect(detectorFrames(log)).toEqual([0, 5, 9, ...range(10, 21)]);
    expect(log.map((e) => e.faces.map((t) => [t.faceId, t.fit.success]))).toEqual([
      ...repeat([[0, true]], 5),
      ...repeat([[0, false]], 15),
      ...repeat([[0, true]], 5),
    ]);
    expect(boxOf(log[20].faces[0])).toEqual(boxOfFace(face('A', 60, 30)));
  });
});

describe('FaceTracker, second opinion', () => {
  /** Face A, started on frame 0 in an optimum the validator gives `certainty`; a fresh start later finds the good one. */
  const poorStart = (certainty: number): Scene => (f) => [{ ...face('A', 20 + (f % 2), 20), startCertainty: f === 0 ? certainty : GOOD_CERTAINTY }];
  const certainties = (log: readonly FrameLog[]): number[] => log.map((e) => e.faces[0].fit.certainty);

  it('a track stuck in a poor optimum takes the fresh fit at its second opinion, then follows it', async () => {
    const log = await run({}, poorStart(-0.6), 70);
    expect(detectorFrames(log)).toEqual([0, 30]);
    expect(log[30].clnf).toEqual(['track', 'landmarks']);
    expect(certainties(log)).toEqual([...repeat(-0.6, 30), ...repeat(GOOD_CERTAINTY, 40)]);
    expect(log.map((e) => e.faces.map((t) => [t.faceId, t.fit.success]))).toEqual(repeat([[0, true]], 70));
  });

  it('keeps the tracked fit when the fresh one is not surer by secondOpinionMargin', async () => {
    const log = await run({ secondOpinionMargin: 0.05 }, poorStart(-0.87), 40);
    expect(log[30].clnf).toEqual(['track', 'landmarks']);
    expect(certainties(log)).toEqual(repeat(-0.87, 40));
    const lowMargin = await run({ secondOpinionMargin: 0.02 }, poorStart(-0.87), 40);
    expect(certainties(lowMargin)).toEqual([...repeat(-0.87, 30), ...repeat(GOOD_CERTAINTY, 10)]);
  });

  it('asks once, secondOpinionAfter frames after the track started, or never with 0', async () => {
    const after10 = await run({ secondOpinionAfter: 10 }, poorStart(-0.6), 45);
    expect(detectorFrames(after10)).toEqual([0, 10]);
    expect(certainties(after10)).toEqual([...repeat(-0.6, 10), ...repeat(GOOD_CERTAINTY, 35)]);
    // a tracked fit as good as a fresh one is asked once too
    expect(detectorFrames(await run({ secondOpinionAfter: 10 }, poorStart(GOOD_CERTAINTY), 45))).toEqual([0, 10]);
    const never = await run({ secondOpinionAfter: 0 }, poorStart(-0.6), 70);
    expect(detectorFrames(never)).toEqual([0]);
    expect(certainties(never)).toEqual(repeat(-0.6, 70));
  });

  it('counts from a re-detection: a track restarted after a failure is not asked again at once', async () => {
    // A vanishes on frames 20-21 and comes back out of CLNF's reach: failures k = 1.. from frame 20, the detector
    // looks at k = 1 (nothing there) and k = 5 (frame 24: restart); the next opinion is 30 frames after that
    const scene: Scene = (f) => (f < 20 ? [face('A', 20, 20)] : f < 22 ? [] : [face('A', 60, 30)]);
    const log = await run({ secondOpinionAfter: 30, maxFailures: 100 }, scene, 60);
    expect(detectorFrames(log)).toEqual([0, 20, 24, 54]);
  });

  it('all faces: each track is asked 30 frames after its own start; the detector runs once on a frame they share', async () => {
    // C appears at frame 13: its track starts when the detector next looks (frame 20), its opinion is at frame 50
    const scene: Scene = (f) => [
      { ...face('A', 10, 10, 14), startCertainty: f === 0 ? -0.6 : GOOD_CERTAINTY },
      face('B', 60, 40),
      ...(f >= 13 ? [face('C', 40, 56, 10)] : []),
    ];
    const log = await run({ allFaces: true, detectEvery: 10, redetectEvery: 4 }, scene, 55);
    checkFrameInvariants(log);
    expect(detectorFrames(log)).toEqual([0, 10, 20, 30, 40, 50]);
    expect(log[30].clnf).toEqual(['track', 'track', 'track', 'landmarks', 'landmarks']);
    expect(log[50].clnf).toEqual(['track', 'track', 'track', 'landmarks']);
    // starts on frames 0 (A, B) and 20 (C), opinions on 30 (A, B) and 50 (C)
    expect(log.map((e) => e.landmarkCalls)).toEqual(log.map((_, f) => ({ 0: 2, 20: 1, 30: 2, 50: 1 })[f] ?? 0));
    expect(idMap(log, scene)).toEqual([...repeat({ 0: 'A', 1: 'B' }, 20), ...repeat({ 0: 'A', 1: 'B', 2: 'C' }, 35)]);
    expect(log.map((e) => e.faces[0].fit.certainty)).toEqual([...repeat(-0.6, 30), ...repeat(GOOD_CERTAINTY, 25)]);
  });
});

describe('second opinion helpers', () => {
  const box = (x: number, y: number, size = 10): PixelBox => ({ x, y, width: size, height: size });
  const fit = (success: boolean, certainty: number): ClnfResult => ({ ...clnfResult(success, { x: 0, y: 0, size: 10 }, certainty), certainty });

  it('detectionAt picks the detection overlapping the box most, none below one face\'s overlap', () => {
    const near = detection(box(2, 0));
    const nearer = detection(box(1, 1));
    expect(detectionAt([near, detection(box(40, 40)), nearer], box(0, 0))).toBe(nearer);
    // IoU 0.25: another face next to it
    expect(detectionAt([detection(box(0, 6))], box(0, 0))).toBeUndefined();
    expect(detectionAt([], box(0, 0))).toBeUndefined();
  });

  it('clearlyBetterFit wants a successful fit surer by more than the margin', () => {
    expect(clearlyBetterFit(fit(true, -0.9), fit(true, -0.8), 0.05)).toBe(true);
    expect(clearlyBetterFit(fit(true, -0.84), fit(true, -0.8), 0.05)).toBe(false);
    expect(clearlyBetterFit(fit(false, -0.9), fit(true, -0.5), 0.05)).toBe(false);
  });
});

describe('FaceTracker, all faces', () => {
  const ALL = { allFaces: true, detectEvery: 10, redetectEvery: 4 } as const;

  it('gives two faces ids 0 and 1 that stay with them as they move; a third face found later gets id 2', async () => {
    const scene: Scene = (f) => [
      face('B', 70 - f, 40, 12),
      face('A', 10 + f, 10 + (f % 2), 14),
      ...(f >= 13 ? [face('C', 40, 58, 10)] : []),
    ];
    const log = await run({ ...ALL }, scene, 30);
    checkFrameInvariants(log);
    // the detector: frame 0 (no tracks), then every detectEvery frames; no failures
    expect(detectorFrames(log)).toEqual([0, 10, 20]);
    // the larger face first
    expect(idMap(log, scene)).toEqual([...repeat({ 0: 'A', 1: 'B' }, 20), ...repeat({ 0: 'A', 1: 'B', 2: 'C' }, 10)]);
    // followed faces are not fitted again when the detector sees them
    expect(log[10].clnf).toEqual(['track', 'track']);
    expect(log[20].clnf).toEqual(['track', 'track', 'landmarks']);
  });

  it('looks again on a track\'s first failed frame and every redetectEvery-th, besides every detectEvery frames', async () => {
    const scene: Scene = (f) => [face('A', 10, 10), ...(f < 12 ? [face('B', 60, 40)] : [])];
    const log = await run({ ...ALL, maxFailures: 100 }, scene, 31);
    // B fails from frame 12: k = f - 11, detect at k = 1, 5, 9, 13, 17 -> 12, 16, 20, 24, 28
    expect(detectorFrames(log)).toEqual([0, 10, 12, 16, 20, 24, 28, 30]);
    expect(idMap(log, scene)).toEqual([...repeat({ 0: 'A', 1: 'B' }, 12), ...repeat({ 0: 'A', 1: '-' }, 19)]);
  });

  it('ends a track after maxFailures failures; back where it was within reuseIdWithin frames of that, the face gets its id back', async () => {
    const scene: Scene = (f) => [face('A', 10, 10, 14), ...(f < 3 || f >= 15 ? [face('B', 60, 40)] : [])];
    // B fails at frames 3..7 (k = 1..5) and ends on its 5th failure (frame 7, no longer reported);
    // the detector next runs at frame 20, 13 frames later
    const expected = (bId: number): Record<number, string>[] => [
      ...repeat({ 0: 'A', 1: 'B' }, 3),
      ...repeat({ 0: 'A', 1: '-' }, 4),
      ...repeat({ 0: 'A' }, 13),
      ...repeat({ 0: 'A', [bId]: 'B' }, 5),
    ];
    const reused = await run({ ...ALL, maxFailures: 5, reuseIdWithin: 13 }, scene, 25);
    checkFrameInvariants(reused);
    expect(detectorFrames(reused)).toEqual([0, 3, 7, 10, 20]);
    expect(idMap(reused, scene)).toEqual(expected(1));

    const tooLate = await run({ ...ALL, maxFailures: 5, reuseIdWithin: 12 }, scene, 25);
    expect(idMap(tooLate, scene)).toEqual(expected(2));

    // back where it was, but found 113 frames after its track ended
    const muchLater: Scene = (f) => [face('A', 10, 10, 14), ...(f < 3 || f >= 112 ? [face('B', 60, 40)] : [])];
    const log = await run({ ...ALL, maxFailures: 5, reuseIdWithin: 90 }, muchLater, 123);
    expect(idMap(log, muchLater).slice(110)).toEqual([...repeat({ 0: 'A' }, 10), ...repeat({ 0: 'A', 2: 'B' }, 3)]);
  });

  it('lists faces by id even when an old id comes back after a newer one started', async () => {
    // B (id 1) is lost at frames 3..7; at frame 20 the detector finds C (larger, so first: id 2) and B back (id 1)
    const scene: Scene = (f) => [
      face('A', 10, 10, 14),
      ...(f < 3 || f >= 15 ? [face('B', 60, 40)] : []),
      ...(f >= 15 ? [face('C', 20, 45, 16)] : []),
    ];
    const log = await run({ ...ALL, maxFailures: 5, reuseIdWithin: 90 }, scene, 25);
    checkFrameInvariants(log);
    expect(log.slice(20).map((e) => e.faces.map((t) => t.faceId))).toEqual(repeat([0, 1, 2], 5));
    expect(idMap(log, scene).slice(20)).toEqual(repeat({ 0: 'A', 1: 'B', 2: 'C' }, 5));
  });

  it('a face coming back somewhere else within reuseIdWithin gets a new id', async () => {
    const scene: Scene = (f) => [
      face('A', 10, 10, 14),
      ...(f < 3 ? [face('B', 60, 40)] : f >= 15 ? [face('B', 20, 48)] : []),
    ];
    const log = await run({ ...ALL, maxFailures: 5, reuseIdWithin: 90 }, scene, 25);
    checkFrameInvariants(log);
    expect(idMap(log, scene).slice(20)).toEqual(repeat({ 0: 'A', 2: 'B' }, 5));
  });

  it('a lost face found again by the detector before its track ends keeps its id', async () => {
    // B comes back 4 px right of where it was: beyond CLNF's wide search, found by the detector at k = 5
    const scene: Scene = (f) => [face('A', 10, 10, 14), ...(f < 3 ? [face('B', 60, 40)] : f >= 5 ? [face('B', 64, 40)] : [])];
    const log = await run({ ...ALL, maxFailures: 30 }, scene, 12, new FakeWorld({ smallRadius: 2, wideRadius: 3 }));
    checkFrameInvariants(log);
    expect(detectorFrames(log)).toEqual([0, 3, 7, 10]);
    expect(idMap(log, scene)).toEqual([...repeat({ 0: 'A', 1: 'B' }, 3), ...repeat({ 0: 'A', 1: '-' }, 4), ...repeat({ 0: 'A', 1: 'B' }, 5)]);
  });

  it('two detections of one face start one track (overlapping boxes, or a box CLNF takes to a followed face)', async () => {
    const scene: Scene = (f) => [face('A', 10, 10, 14), face('B', 60, 40), ...(f >= 5 ? [face('C', 40, 56, 10)] : [])];
    const shifted = await run({ ...ALL }, scene, 12, new FakeWorld({ duplicates: 'shifted' }));
    checkFrameInvariants(shifted);
    expect(idMap(shifted, scene)).toEqual([...repeat({ 0: 'A', 1: 'B' }, 10), ...repeat({ 0: 'A', 1: 'B', 2: 'C' }, 2)]);
    expect(shifted[0].clnf).toEqual(['landmarks', 'landmarks']);

    const inner = await run({ ...ALL }, scene, 12, new FakeWorld({ duplicates: 'inner' }));
    checkFrameInvariants(inner);
    expect(idMap(inner, scene)).toEqual([...repeat({ 0: 'A', 1: 'B' }, 10), ...repeat({ 0: 'A', 1: 'B', 2: 'C' }, 2)]);
    // the inner boxes barely overlap the faces, so CLNF is tried from them and lands on the followed face
    expect(inner[0].clnf.filter((c) => c === 'landmarks')).toHaveLength(4);
  });

  it('a failing track whose CLNF search reaches a face another id follows does not take it', async () => {
    // A jumps away at frame 5 (track 0 fails, the detector starts track 1 on it), then walks back
    // to where track 0 lost it, well within track 0's wide search
    const at = (f: number): FaceSpec => (f < 5 ? face('A', 20, 20) : f < 25 ? face('A', 60 - 2 * (f - 5), 40 - (f - 5)) : face('A', 20, 20));
    const scene: Scene = (f) => [at(f)];
    const log = await run({ ...ALL, maxFailures: 30 }, scene, 40);
    checkFrameInvariants(log);
    expect(idMap(log, scene)).toEqual([
      ...repeat({ 0: 'A' }, 5),
      ...repeat({ 0: '-', 1: 'A' }, 29), // track 0 fails at frames 5..34 and ends on the 30th failure
      ...repeat({ 1: 'A' }, 6),
    ]);
  });

  it('a failing track does not take a followed face the detector finds where it was lost', async () => {
    // B (id 0, the larger) vanishes at frame 3; A (id 1) walks onto B's place; the detector runs at k = 5 (frame 7)
    const scene: Scene = (f) => [
      ...(f < 3 ? [face('B', 60, 40, 14)] : []),
      // ends at (55,40): box IoU 0.33 with B's last box, its centre 6 px from B's (beyond B's wide search)
      face('A', Math.min(55, 21 + 5 * f), Math.min(40, 21 + 3 * f), 12),
    ];
    const log = await run({ ...ALL, maxFailures: 30 }, scene, 12, new FakeWorld({ smallRadius: 7, wideRadius: 5 }));
    checkFrameInvariants(log);
    expect(idMap(log, scene)).toEqual([...repeat({ 0: 'B', 1: 'A' }, 3), ...repeat({ 0: '-', 1: 'A' }, 9)]);
  });

  it('when one face disappears next to another, its track\'s fit on the other face loses to that face\'s own track', async () => {
    // B: id 0 (alone at frame 0); A appears at frame 3, id 1 at frame 10.
    // B walks towards A and vanishes 7 px from it: B's small-window step reaches A.
    const scene: Scene = (f) => [
      ...(f < 24 ? [face('B', 30 + Math.max(0, f - 10), 30)] : []),
      ...(f >= 3 ? [face('A', 50, 30)] : []),
    ];
    const log = await run({ ...ALL, maxFailures: 30 }, scene, 30);
    checkFrameInvariants(log);
    expect(idMap(log, scene)).toEqual([
      ...repeat({ 0: 'B' }, 10),
      ...repeat({ 0: 'B', 1: 'A' }, 14),
      ...repeat({ 0: '-', 1: 'A' }, 6),
    ]);
  });
});
