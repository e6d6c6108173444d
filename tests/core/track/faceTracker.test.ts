/**
 * FaceTracker's (the --all-faces tracker's) scheduling and id rules, driven by
 * fake stages over a scripted scene. Each frame is a small BgrImage with every face painted as a
 * square of its own grey level; the fakes read where the faces are from the
 * scene and check that they were handed this frame's pixels.
 *
 * The fake CLNF: a fit starts from a centre (the previous parameters
 * [size, 0, 0, 0, cx, cy], or the rough landmarks' box), finds the nearest face
 * whose centre is within the small search radius (tracking) or the wide one
 * (landmark start, or `wideSearch` after a failure), and succeeds with 68
 * points spanning that face's box exactly; a face marked `fittable: false` is
 * one the validator rejects. Without a face in reach it fails and reports its
 * start unchanged.
 */
import { describe, expect, it } from 'vitest';
import {
  boxIou,
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
      if ('paramsGlobal' in init) {
        start = { size: init.paramsGlobal[0], x: init.paramsGlobal[4], y: init.paramsGlobal[5] };
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
        return clnfResult(true, { ...centre(box), size: best.size });
      }
      return clnfResult(false, start);
    },
  };
}

function detection(box: PixelBox): FaceDetection {
  const c = centre(box);
  return { score: 0.9, box, keypoints: Array.from({ length: 6 }, () => c) };
}

function clnfResult(success: boolean, at: { x: number; y: number; size: number }): ClnfResult {
  return {
    success,
    detectionSuccess: success,
    landmarks: gridLandmarks({ x: at.x - at.size / 2, y: at.y - at.size / 2, width: at.size, height: at.size }),
    paramsGlobal: Float64Array.from([at.size, 0, 0, 0, at.x, at.y]),
    paramsLocal: new Float64Array(34),
    confidence: success ? 0.95 : 0.1,
    certainty: success ? -0.9 : 0.5,
    modelLikelihood: 0,
    parts: [],
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

/** What every frame of a run must satisfy. */
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

describe('FaceTracker, all faces', () => {
  const ALL = { detectEvery: 10, redetectEvery: 4 } as const;

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

  it('follows every face whatever the caller passes as allFaces (one face is singleFaceTracker.ts\'s job)', async () => {
    const scene: Scene = () => [face('A', 10, 10, 14), face('B', 60, 40)];
    for (const allFaces of [false, true, undefined]) {
      expect(idMap(await run({ ...ALL, allFaces }, scene, 3), scene)).toEqual(repeat({ 0: 'A', 1: 'B' }, 3));
    }
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

  it('forgets an ended track once its id can no longer come back (a long video with faces coming and going stays flat)', async () => {
    // B shows for 12 frames of every 30, alternately at two places: each time its track ends and the
    // next time it is found it is elsewhere, more than reuseIdWithin frames later, so it takes a new id
    const places = [face('B', 60, 40), face('B', 20, 48)];
    const scene: Scene = (f) => [face('A', 10, 10, 14), ...(f % 30 < 12 ? [places[Math.floor(f / 30) % 2]] : [])];
    const world = new FakeWorld();
    const tracker = new FaceTracker(world.detector, world.initial, world.clnf, { ...ALL, maxFailures: 5, reuseIdWithin: 12 });
    let mostWaiting = 0;
    for (let f = 0; f < 300; f++) {
      world.end(await tracker.next(world.begin(scene(f))));
      mostWaiting = Math.max(mostWaiting, tracker.idsWaiting);
    }
    checkFrameInvariants(world.log);
    const idsOfB = new Set(idMap(world.log, scene).flatMap((ids) => Object.entries(ids).filter(([, key]) => key === 'B').map(([id]) => id)));
    expect(idsOfB.size).toBeGreaterThanOrEqual(9);
    // one track ends per 30 frames and may come back for 12: never more than one id waiting
    expect(mostWaiting).toBe(1);
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
