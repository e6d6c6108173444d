/**
 * The `--all-faces` tracker: finds every face in a video and follows each
 * with a stable id. A face detector (BlazeFace) and a rough 68-point landmark
 * net (face-api) start a track, OpenFace's CLNF follows it frame to frame
 * from its previous parameters, and CLNF's validator decides when a track is
 * failing and the detector must look again.
 *
 * The single face (the default, OpenFace FeatureExtraction's behaviour) is
 * not tracked here: singleFaceTracker.ts follows it exactly as OpenFace 2.2
 * does, with 2.2's MTCNN detector.
 *
 * Every track is followed each frame. The detector runs on the first frame,
 * every `detectEvery` frames to start tracks for new faces, and whenever a
 * track is failing: on its first failed frame, then every `redetectEvery`
 * failed frames, and on its last one. A track failing `maxFailures` frames in
 * a row ends. Ids are stable: a face found where a failing track lost its
 * face restarts that track, and one found where a track ended at most
 * `reuseIdWithin` frames ago takes that track's id back. One face never
 * carries two ids: when two tracks land on one face, the one that was
 * following it keeps it, and a detection of a followed face starts nothing.
 */
import type { BgrImage } from '../image.ts';
import type { FaceDetection, PixelBox } from '../detect/faceDetection.ts';
import { landmarkBox } from '../landmarks/faceCrop.ts';
import { bgrToGray, type ClnfInit, type ClnfResult } from '../clnf/index.ts';
import * as pm from '../math/portableMath.ts';

/** Where faces are in a frame (BlazeFace). */
export interface FaceDetectorStage {
  detect(image: BgrImage): Promise<readonly FaceDetection[]>;
}

/** Rough 68 landmarks for a detected face (face-api), to start CLNF close to the face. */
export interface InitialLandmarkStage {
  landmarksFor(image: BgrImage, detection: FaceDetection): Promise<Float64Array>;
}

/** One CLNF fit: stateless, from a start (ClnfTracker.detectLandmarks). */
export interface LandmarkFitStage {
  detectLandmarks(gray: Uint8Array, width: number, height: number, init: ClnfInit): ClnfResult;
  /** what computes the fit's hot loops (ClnfTracker.kernels) */
  readonly kernels?: string;
}

export interface FaceTrackerOptions {
  /**
   * The caller's choice of faces, read by whoever picks the tracker (every
   * face: this one; one face: singleFaceTracker.ts). FaceTracker itself
   * always follows every face and ignores it.
   */
  readonly allFaces?: boolean;
  /** a failing track: look again on its first failed frame, then every n-th (OpenFace: 4) */
  readonly redetectEvery: number;
  /** look for new faces every n frames */
  readonly detectEvery: number;
  /** a track failing this many frames in a row ends (its id can come back) */
  readonly maxFailures: number;
  /** a new face within this many frames of a lost track, where it was, takes its id */
  readonly reuseIdWithin: number;
}

export const DEFAULT_TRACKER_OPTIONS: FaceTrackerOptions = Object.freeze({
  redetectEvery: 4,
  detectEvery: 10,
  maxFailures: 30,
  reuseIdWithin: 90,
});

/** One face in one frame. */
export interface TrackedFace {
  readonly faceId: number;
  /** CLNF's fit (on failure: the last estimate, with success false) */
  readonly fit: ClnfResult;
  /** the fit started afresh from the face detector's box on this frame (undefined: the tracker does not say) */
  readonly redetected?: boolean;
}

/** Where a tracker's time goes, in milliseconds summed over all frames. */
export interface TrackerTimings {
  detect: number;
  landmarks: number;
  clnf: number;
}

interface Track {
  readonly id: number;
  paramsGlobal: Float64Array;
  paramsLocal: Float64Array;
  lastSuccess: boolean;
  failuresInARow: number;
  lastFit: ClnfResult;
  lastBox: PixelBox;
}

interface LostTrack {
  readonly id: number;
  readonly box: PixelBox;
  readonly frame: number;
}

/** Intersection over union of two boxes (0 when they do not meet). */
export function boxIou(a: PixelBox, b: PixelBox): number {
  const x0 = Math.max(a.x, b.x);
  const y0 = Math.max(a.y, b.y);
  const x1 = Math.min(a.x + a.width, b.x + b.width);
  const y1 = Math.min(a.y + a.height, b.y + b.height);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/** two boxes overlapping more than this are one face */
const SAME_FACE_IOU = 0.3;
/**
 * How far (in face widths, centre to centre) a failing track's own CLNF
 * search may find a face and still call it its own. A failing track keeps
 * searching from its last parameters, and over many failed frames that
 * search can drift onto another, untracked person (multi_face.avi).
 */
const LOST_FACE_REACH = 0.5;

export class FaceTracker {
  private readonly options: FaceTrackerOptions;
  private tracks: Track[] = [];
  private lost: LostTrack[] = [];
  private nextId = 0;
  private frameIndex = -1;
  private gray = new Uint8Array(0);
  readonly timings: TrackerTimings = { detect: 0, landmarks: 0, clnf: 0 };

  constructor(
    private readonly detector: FaceDetectorStage,
    private readonly initial: InitialLandmarkStage,
    private readonly clnf: LandmarkFitStage,
    options: Partial<FaceTrackerOptions> = {},
  ) {
    this.options = { ...DEFAULT_TRACKER_OPTIONS, ...options };
  }

  /** What computes CLNF's hot loops (see ClnfTracker.kernels). */
  get kernels(): string | undefined {
    return this.clnf.kernels;
  }

  /** The faces in the next frame of the video, by face id. */
  async next(image: BgrImage): Promise<TrackedFace[]> {
    this.frameIndex++;
    if (this.gray.length !== image.width * image.height) this.gray = new Uint8Array(image.width * image.height);
    bgrToGray(image.data, image.width, image.height, this.gray);

    this.settle(this.tracks.map((track) => ({ track, fit: this.follow(track, image) })));
    if (this.wantsDetection()) await this.startTracks(image);
    this.retireFailedTracks();
    return this.tracks.map((t) => ({ faceId: t.id, fit: t.lastFit })).sort((a, b) => a.faceId - b.faceId);
  }

  /** One CLNF step from the track's previous parameters; wide search after a failure, as OpenFace. */
  private follow(track: Track, image: BgrImage): ClnfResult {
    return this.fit(image, { paramsGlobal: track.paramsGlobal, paramsLocal: track.paramsLocal, wideSearch: !track.lastSuccess });
  }

  /**
   * Takes this frame's CLNF steps. Two tracks' fits can settle on one face (a
   * failing track's wide search reaching a face another track follows, or a
   * face vanishing next to another): one face, one id. The face goes to the
   * track that was following a face on the previous frame, then to the one that
   * moved least; the other track counts the frame as a failure and keeps its
   * previous parameters, so it goes on looking where its own face was.
   */
  private settle(steps: readonly { track: Track; fit: ClnfResult }[]): void {
    const moved = (track: Track, box: PixelBox): number => {
      const last = track.lastBox;
      const dx = box.x + box.width / 2 - (last.x + last.width / 2);
      const dy = box.y + box.height / 2 - (last.y + last.height / 2);
      return pm.hypot(dx, dy) / Math.max(last.width, 1e-9);
    };
    const ranked = steps
      .map((step) => ({ ...step, box: landmarkBox(step.fit.landmarks) }))
      .map((step) => ({ ...step, moved: moved(step.track, step.box) }))
      .sort((a, b) => Number(b.track.lastSuccess) - Number(a.track.lastSuccess) || a.moved - b.moved);
    const taken: PixelBox[] = [];
    for (const { track, fit, box, moved: distance } of ranked) {
      if (!fit.success) {
        this.adopt(track, fit);
      } else if (taken.some((t) => boxIou(t, box) > SAME_FACE_IOU) || (!track.lastSuccess && distance > LOST_FACE_REACH)) {
        // another track's face, or (a failing track's search having drifted) a face
        // far from where this one was lost: not this id's face
        track.lastSuccess = false;
        track.failuresInARow++;
        track.lastFit = { ...track.lastFit, success: false };
      } else {
        taken.push(box);
        this.adopt(track, fit);
      }
    }
  }

  private adopt(track: Track, fit: ClnfResult): void {
    // OpenFace continues from a failed fit's parameters too: the face may only be blurred.
    track.paramsGlobal = fit.paramsGlobal;
    track.paramsLocal = fit.paramsLocal;
    track.lastSuccess = fit.success;
    track.failuresInARow = fit.success ? 0 : track.failuresInARow + 1;
    track.lastFit = fit;
    if (fit.success) track.lastBox = landmarkBox(fit.landmarks);
  }

  /**
   * Whether the detector looks on this frame: no tracks yet, every
   * `detectEvery` frames, or a failing track due a look (its first failure,
   * every `redetectEvery`-th after, and its last before it ends).
   */
  private wantsDetection(): boolean {
    const { redetectEvery, detectEvery, maxFailures } = this.options;
    const failing = this.tracks.some((t) => !t.lastSuccess && (t.failuresInARow >= maxFailures || (t.failuresInARow - 1) % redetectEvery === 0));
    return this.tracks.length === 0 || failing || this.frameIndex % detectEvery === 0;
  }

  /** This frame's faces from the detector, largest first. */
  private async detect(image: BgrImage): Promise<readonly FaceDetection[]> {
    const start = performance.now();
    const faces = [...(await this.detector.detect(image))].sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
    this.timings.detect += performance.now() - start;
    return faces;
  }

  /** Starts a track on every detected face nobody follows, or restarts the failing track that lost it. */
  private async startTracks(image: BgrImage): Promise<void> {
    const detections = await this.detect(image);
    for (const detection of detections) {
      if (this.followedAt(detection.box)) continue;
      const fit = await this.fitDetection(image, detection);
      if (!fit.success) continue;
      const box = landmarkBox(fit.landmarks);
      // CLNF can settle on a face another track already follows.
      if (this.followedAt(box)) continue;
      // A face found where a failing track lost its face is that track's.
      const owner = this.failingAt(box) ?? this.failingAt(detection.box);
      if (owner) this.adopt(owner, fit);
      else this.tracks.push(this.newTrack(this.reclaimId(box), fit));
    }
  }

  /** Whether a track followed a face at this place on this frame. */
  private followedAt(box: PixelBox): boolean {
    return this.tracks.some((t) => t.lastSuccess && boxIou(t.lastBox, box) > SAME_FACE_IOU);
  }

  /** The failing track that lost its face nearest this place, if any. */
  private failingAt(box: PixelBox): Track | undefined {
    let best: Track | undefined;
    let bestIou = SAME_FACE_IOU;
    for (const t of this.tracks) {
      const iou = boxIou(t.lastBox, box);
      if (!t.lastSuccess && iou > bestIou) {
        best = t;
        bestIou = iou;
      }
    }
    return best;
  }

  private async fitDetection(image: BgrImage, detection: FaceDetection): Promise<ClnfResult> {
    const start = performance.now();
    const landmarks = await this.initial.landmarksFor(image, detection);
    this.timings.landmarks += performance.now() - start;
    return this.fit(image, { landmarks });
  }

  private fit(image: BgrImage, init: ClnfInit): ClnfResult {
    const start = performance.now();
    const fit = this.clnf.detectLandmarks(this.gray, image.width, image.height, init);
    this.timings.clnf += performance.now() - start;
    return fit;
  }

  private newTrack(id: number, fit: ClnfResult): Track {
    return {
      id,
      paramsGlobal: fit.paramsGlobal,
      paramsLocal: fit.paramsLocal,
      lastSuccess: true,
      failuresInARow: 0,
      lastFit: fit,
      lastBox: landmarkBox(fit.landmarks),
    };
  }

  /** A lost track's id when the new face is where it was lately; else a new id. */
  private reclaimId(box: PixelBox): number {
    const recent = this.lost.filter((l) => this.frameIndex - l.frame <= this.options.reuseIdWithin && boxIou(l.box, box) > SAME_FACE_IOU);
    recent.sort((a, b) => boxIou(b.box, box) - boxIou(a.box, box));
    const match = recent[0];
    if (!match) return this.nextId++;
    this.lost = this.lost.filter((l) => l !== match);
    return match.id;
  }

  /**
   * Ends the tracks that failed `maxFailures` frames in a row; their ids wait
   * in `lost` for their faces, for `reuseIdWithin` frames and no longer (an
   * older one can never be taken back, and over a long video with people
   * coming and going the list would otherwise grow with every lost face).
   */
  private retireFailedTracks(): void {
    const keep: Track[] = [];
    for (const track of this.tracks) {
      if (track.failuresInARow < this.options.maxFailures) keep.push(track);
      else this.lost.push({ id: track.id, box: track.lastBox, frame: this.frameIndex });
    }
    this.tracks = keep;
    const within = this.options.reuseIdWithin;
    if (this.lost.some((l) => this.frameIndex - l.frame > within)) this.lost = this.lost.filter((l) => this.frameIndex - l.frame <= within);
  }

  /** How many ended tracks' ids can still come back (at most those that ended within `reuseIdWithin` frames). */
  get idsWaiting(): number {
    return this.lost.length;
  }
}
