/**
 * Finds and follows faces through a video: a face detector and a rough
 * 68-point landmark net start a track, OpenFace's CLNF follows it frame to
 * frame from its previous parameters, and its validator decides when a track
 * is lost and the detector must look again.
 *
 * One face (the default, like OpenFace FeatureExtraction): the largest face
 * found is tracked; after a failure the detector looks again on the first
 * failed frame and then every `redetectEvery` failed frames, so a face that
 * leaves and comes back is found again.
 *
 * All faces: every track is followed each frame; the detector also runs every
 * `detectEvery` frames to start tracks for new faces. Ids are stable: a face
 * found where a recently lost track was takes that track's id back. One face
 * never carries two ids: when two tracks land on one face, the one that was
 * following it keeps it, and a detection of a followed face starts nothing.
 *
 * Second opinion (both modes): CLNF tracking keeps the local optimum its start
 * put it in, and our start (BlazeFace + face-api) is not OpenFace's (dlib's
 * box), so now and then a track settles in a worse optimum than OpenFace's
 * and stays there for hundreds of frames (0417_02_003_bill_clinton: the jaw
 * line slides onto the cheek on frames 3-5 and stays until frame 263). So
 * `secondOpinionAfter` frames after the detector started a track, its face
 * is fitted afresh from the detector once more, and the fresh fit replaces
 * the tracked one only when the validator trusts it clearly more
 * (`secondOpinionMargin`); on a face tracked as OpenFace tracks it the two
 * agree and nothing changes. Only once per start: after it, our tracking
 * steps are OpenFace's own, so OpenFace's fits are what we follow, even
 * through the stretches where a fresh fit would be surer (alanis_morissette
 * frames 241-261, bill_gates 151-154: asking there again moves us off them).
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
}

export interface FaceTrackerOptions {
  /** follow every face (true) or the largest one (false, OpenFace's behaviour) */
  readonly allFaces: boolean;
  /** after a failure: look again on the first failed frame, then every n-th (OpenFace: 4) */
  readonly redetectEvery: number;
  /** all faces: look for new faces every n frames */
  readonly detectEvery: number;
  /** a track failing this many frames in a row ends (its id can come back) */
  readonly maxFailures: number;
  /** a new face within this many frames of a lost track, where it was, takes its id */
  readonly reuseIdWithin: number;
  /** this many frames after the detector started a track, fit its face afresh once more (0: never) */
  readonly secondOpinionAfter: number;
  /** how much lower (surer) the fresh fit's validator certainty must be to replace the tracked fit */
  readonly secondOpinionMargin: number;
}

export const DEFAULT_TRACKER_OPTIONS: FaceTrackerOptions = Object.freeze({
  allFaces: false,
  redetectEvery: 4,
  detectEvery: 10,
  maxFailures: 30,
  reuseIdWithin: 90,
  // Measured on the 15 reference videos (fresh fit vs tracked fit, validator
  // certainty, 10-60 frames after the start): on faces tracked as OpenFace
  // does the two differ by at most 0.024; on bill_clinton's stuck track the
  // fresh fit is surer by 0.07-0.4 from frame 31 on (0.01-0.04 before).
  secondOpinionAfter: 30,
  secondOpinionMargin: 0.05,
});

/** One face in one frame. */
export interface TrackedFace {
  readonly faceId: number;
  /** CLNF's fit (on failure: the last estimate, with success false) */
  readonly fit: ClnfResult;
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
  /** frames followed since the detector last started this track */
  sinceStart: number;
}

interface LostTrack {
  readonly id: number;
  readonly box: PixelBox;
  readonly frame: number;
}

export function boxIou(a: PixelBox, b: PixelBox): number {
  const x0 = Math.max(a.x, b.x);
  const y0 = Math.max(a.y, b.y);
  const x1 = Math.min(a.x + a.width, b.x + b.width);
  const y1 = Math.min(a.y + a.height, b.y + b.height);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

const SAME_FACE_IOU = 0.3;
/** one-face mode fits at most this many of the largest detections to choose among */
const SINGLE_FACE_CANDIDATES = 4;

/** The detection that overlaps `box` most, if any overlaps it as one face does. */
export function detectionAt(detections: readonly FaceDetection[], box: PixelBox): FaceDetection | undefined {
  let best: FaceDetection | undefined;
  let bestIou = SAME_FACE_IOU;
  for (const d of detections) {
    const iou = boxIou(d.box, box);
    if (iou > bestIou) {
      best = d;
      bestIou = iou;
    }
  }
  return best;
}

/** Whether a fresh fit should replace a tracked one: it succeeded and the validator is surer of it by `margin`. */
export function clearlyBetterFit(fresh: ClnfResult, tracked: ClnfResult, margin: number): boolean {
  return fresh.success && fresh.certainty < tracked.certainty - margin;
}

export class FaceTracker {
  private readonly options: FaceTrackerOptions;
  private tracks: Track[] = [];
  private lost: LostTrack[] = [];
  private nextId = 0;
  private frameIndex = -1;
  private gray = new Uint8Array(0);
  /** this frame's detections, once the detector has run on it */
  private detections: { readonly frame: number; readonly faces: readonly FaceDetection[] } | null = null;
  readonly timings: TrackerTimings = { detect: 0, landmarks: 0, clnf: 0 };

  constructor(
    private readonly detector: FaceDetectorStage,
    private readonly initial: InitialLandmarkStage,
    private readonly clnf: LandmarkFitStage,
    options: Partial<FaceTrackerOptions> = {},
  ) {
    this.options = { ...DEFAULT_TRACKER_OPTIONS, ...options };
  }

  /** The faces in the next frame of the video, by face id. */
  async next(image: BgrImage): Promise<TrackedFace[]> {
    this.frameIndex++;
    if (this.gray.length !== image.width * image.height) this.gray = new Uint8Array(image.width * image.height);
    bgrToGray(image.data, image.width, image.height, this.gray);

    const steps: { track: Track; fit: ClnfResult }[] = [];
    for (const track of this.tracks) {
      if (track.failuresInARow < this.options.maxFailures) steps.push({ track, fit: this.follow(track, image) });
      else track.failuresInARow++; // dormant (one-face mode): only the detector looks
    }
    this.settle(steps);
    for (const { track } of steps) track.sinceStart++;
    if (this.wantsDetection()) await this.startTracks(image);
    await this.secondOpinions(image, steps.map((s) => s.track));
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
    for (const { track, fit, box } of ranked) {
      if (!fit.success) {
        this.adopt(track, fit);
      } else if (taken.some((t) => boxIou(t, box) > SAME_FACE_IOU)) {
        track.lastSuccess = false;
        track.failuresInARow++;
        track.lastFit = { ...track.lastFit, success: false };
      } else {
        taken.push(box);
        this.adopt(track, fit);
      }
    }
  }

  /** A track (re)started from a detection: follows `fit`, second opinion in `secondOpinionAfter` frames. */
  private restart(track: Track, fit: ClnfResult): void {
    this.adopt(track, fit);
    track.sinceStart = 0;
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

  private wantsDetection(): boolean {
    const { allFaces, redetectEvery, detectEvery } = this.options;
    const failing = this.tracks.some(
      (t) => !t.lastSuccess && (t.failuresInARow >= this.options.maxFailures || (t.failuresInARow - 1) % redetectEvery === 0),
    );
    if (!allFaces) return this.tracks.length === 0 || failing;
    return this.tracks.length === 0 || failing || this.frameIndex % detectEvery === 0;
  }

  /** This frame's faces from the detector, largest first (it runs at most once a frame). */
  private async detect(image: BgrImage): Promise<readonly FaceDetection[]> {
    if (this.detections?.frame === this.frameIndex) return this.detections.faces;
    const start = performance.now();
    const faces = [...(await this.detector.detect(image))].sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
    this.timings.detect += performance.now() - start;
    this.detections = { frame: this.frameIndex, faces };
    return faces;
  }

  private async startTracks(image: BgrImage): Promise<void> {
    const detections = await this.detect(image);
    if (!this.options.allFaces) {
      // One face: re-start the (failing or missing) track on the face CLNF is most certain of.
      // OpenFace keeps its detector's most confident face, not the largest (multi_face.avi:
      // it takes the most frontal of three and, when that one is lost, the next most certain).
      let fit: ClnfResult | null = null;
      for (const detection of detections.slice(0, SINGLE_FACE_CANDIDATES)) {
        const candidate = await this.fitDetection(image, detection);
        if (candidate.success && (!fit || candidate.confidence > fit.confidence)) fit = candidate;
      }
      if (!fit) return;
      const track = this.tracks[0];
      if (track) this.restart(track, fit);
      else this.tracks.push(this.newTrack(this.nextId++, fit));
      return;
    }
    for (const detection of detections) {
      if (this.followedAt(detection.box)) continue;
      const fit = await this.fitDetection(image, detection);
      if (!fit.success) continue;
      const box = landmarkBox(fit.landmarks);
      // CLNF can settle on a face another track already follows.
      if (this.followedAt(box)) continue;
      // A face found where a failing track lost its face is that track's.
      const owner = this.failingAt(box) ?? this.failingAt(detection.box);
      if (owner) this.restart(owner, fit);
      else this.tracks.push(this.newTrack(this.reclaimId(box), fit));
    }
  }

  /**
   * Tracks followed this frame that are due their second opinion: the
   * detector's box on the track's face, fitted from scratch as a new track
   * would be, replaces the tracked fit when clearly better (see the file
   * comment). Taking it is no new start: there is no third opinion.
   */
  private async secondOpinions(image: BgrImage, followed: readonly Track[]): Promise<void> {
    const after = this.options.secondOpinionAfter;
    if (after <= 0) return;
    const due = followed.filter((t) => t.lastSuccess && t.sinceStart === after);
    if (due.length === 0) return;
    const detections = await this.detect(image);
    for (const track of due) {
      const detection = detectionAt(detections, track.lastBox);
      if (!detection) continue;
      const fit = await this.fitDetection(image, detection);
      const box = landmarkBox(fit.landmarks);
      // the fresh fit must stay on this track's face, and not reach one another track follows
      const sameFace = boxIou(box, track.lastBox) > SAME_FACE_IOU && !this.tracks.some((t) => t !== track && t.lastSuccess && boxIou(t.lastBox, box) > SAME_FACE_IOU);
      if (sameFace && clearlyBetterFit(fit, track.lastFit, this.options.secondOpinionMargin)) this.adopt(track, fit);
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
      sinceStart: 0,
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

  private retireFailedTracks(): void {
    const { maxFailures, allFaces } = this.options;
    const keep: Track[] = [];
    for (const track of this.tracks) {
      if (track.failuresInARow < maxFailures) keep.push(track);
      else if (allFaces) this.lost.push({ id: track.id, box: track.lastBox, frame: this.frameIndex });
    }
    // One face keeps its (dormant) track and id for the whole video, as OpenFace's single track does.
    this.tracks = allFaces ? keep : this.tracks;
  }
}
