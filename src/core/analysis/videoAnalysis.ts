/**
 * One video's analysis after the landmark stage: one AU pipeline per face
 * (the running median is person-specific), fed frame by frame in order, and
 * the rows of the whole video at the end. The CLI and the browser worker
 * both drive it, so their CSVs are the same for the same landmarks.
 *
 * Memory does not grow with the video beyond what the AU postprocessing
 * must see whole (one double per AU model and frame): each frame's row
 * without its AU columns goes to a record store as it is made (a temporary
 * file in the CLI, OPFS in the browser), and `finish` hands the rows back
 * one at a time, in CSV order, with the postprocessed AUs streamed beside
 * them.
 *
 * It also judges the tracking (src/core/quality) as the frames come, and
 * when the evidence says the start of face 0's track was wrong, leaves
 * those frames out of that face's person calibration there and then (the
 * AU stage keeps what it needs to take the last START_WINDOW frames out),
 * so the final AUs of the whole video rest on the calibration without them.
 * On a video without that evidence nothing changes (the same bits).
 */
import type { BgrImage } from '../image.ts';
import type { OpenFaceModels } from '../model/openfaceModels.ts';
import type { AuColumns, FrameResult } from '../result.ts';
import { AuAnalyser } from '../au/auAnalyser.ts';
import type { PostprocessedAuFrame } from '../au/postprocess.ts';
import { AuPipeline, STAGES, type FaceObservation, type FrameFeatures } from '../pipeline.ts';
import { memoryRecordStore, type RecordStore, type RecordStoreFactory } from './recordStore.ts';
import { ROW_RECORD_BYTES, decodeRow, encodeRow, type RowWithoutAus } from './rowRecord.ts';
import { START_WINDOW, TrackingQualityAccumulator, recalibrationReason, type QualityReason, type Recalibration, type SuspectStart, type TrackingQuality } from '../quality/trackingQuality.ts';

/** The rows of a whole video, read back one at a time. */
export interface VideoOutput {
  /** null without AU models (landmarks only) */
  readonly auColumns: AuColumns | null;
  /** rows in all (one per face per frame) */
  readonly rowCount: number;
  /** the rows by frame, then face id; one pass (a second call starts over) */
  rows(): Generator<FrameResult>;
  /** how far the tracking can be trusted, and whether the calibration left a suspect start out */
  readonly trackingQuality: TrackingQuality;
}

export interface VideoAnalysisOptions {
  /**
   * Leave a suspect track start out of the person calibration (default
   * true). false: OpenFace 2.2's calibration whatever the tracking (the
   * tests compare both).
   */
  readonly recalibrate?: boolean;
}

/** records read from the store at a time */
const READ_BATCH = 256;

export class VideoAnalysis {
  private readonly pipelines = new Map<number, AuPipeline>();
  private readonly store: RecordStore;
  private readonly record = new Uint8Array(ROW_RECORD_BYTES);
  private readonly faceIds = new Set<number>();
  private readonly quality = new TrackingQualityAccumulator();
  private readonly recalibrate: boolean;
  private recalibration: Recalibration | null = null;
  private flags: readonly QualityReason[] = [];

  /**
   * `models` null: no OpenFace folder, rows carry landmarks only.
   * `storeFactory`: where the rows wait for the end of the video (memory by default).
   */
  constructor(
    private readonly models: OpenFaceModels | null,
    storeFactory: RecordStoreFactory = memoryRecordStore,
    options: VideoAnalysisOptions = {},
  ) {
    this.store = storeFactory(ROW_RECORD_BYTES);
    this.recalibrate = options.recalibrate ?? true;
  }

  /** Adds one frame's faces; returns face 0's features (for .hog and aligned-face output), or null. */
  addFrame(image: BgrImage, faces: readonly FaceObservation[]): FrameFeatures | null {
    let first: FrameFeatures | null = null;
    const face0 = faces.find((f) => f.faceId === 0);
    const before = this.quality.startSuspect;
    this.flags = face0 ? this.quality.add(face0) : [];
    const suspect = this.quality.startSuspect;
    if (suspect && suspect !== before) this.leaveOutOfCalibration(suspect);
    for (const face of faces) {
      this.faceIds.add(face.faceId);
      if (!this.models) {
        this.keep(face);
        continue;
      }
      let pipeline = this.pipelines.get(face.faceId);
      if (!pipeline) {
        // face 0's calibration can drop a suspect start: its AU stage keeps that many frames' bins
        const calibrationWindow = face.faceId === 0 && this.recalibrate ? START_WINDOW + 1 : 0;
        this.pipelines.set(face.faceId, (pipeline = new AuPipeline(this.models, { keepRows: false, calibrationWindow })));
      }
      const features = pipeline.addFrame(image, face);
      this.keep(features.row);
      if (face.faceId === 0) first = features;
    }
    return first;
  }

  /**
   * The suspect start out of face 0's calibration (START_EVIDENCE says its
   * frames lie within the window); when the stretch grows, the frames not yet
   * out follow.
   */
  private leaveOutOfCalibration(suspect: SuspectStart): void {
    const pipeline = this.pipelines.get(0);
    if (!this.recalibrate || !pipeline) return;
    const framesLeftOut = (this.recalibration?.framesLeftOut ?? 0) + pipeline.excludeFromCalibration(suspect.first, suspect.last);
    // none of them analysed (the validator rejected every fit there): the calibration never held them
    if (framesLeftOut > 0) this.recalibration = { first: suspect.first, last: suspect.last, framesLeftOut, reason: recalibrationReason(suspect) };
  }

  /** What the tracking verdict flagged on the last frame added (face 0), for pictures of those frames. */
  get frameFlags(): readonly QualityReason[] {
    return this.flags;
  }

  /** The evidence that the start of face 0's track was wrong, once there is some. */
  get startSuspect(): SuspectStart | null {
    return this.quality.startSuspect;
  }

  private keep(row: FaceObservation): void {
    encodeRow(row, this.record);
    this.store.append(this.record);
  }

  /** Number of faces seen so far. */
  get faces(): number {
    return this.faceIds.size;
  }

  /**
   * Ends the video: the AU postprocessing's first pass (the offsets), and the
   * rows to read, with their AU values from its second pass.
   */
  finish(): VideoOutput {
    const store = this.store;
    const rowCount = store.count;
    const trackingQuality = this.quality.result(this.recalibration);
    if (!this.models) return { auColumns: null, rowCount, rows: () => readRows(store, null), trackingQuality };
    const streams = new Map([...this.pipelines].map(([faceId, pipeline]) => [faceId, pipeline.finishStream()] as const));
    // A video in which no face was ever seen still names its AU columns.
    const names = streams.values().next().value ?? new AuAnalyser(this.models.au, this.models.pdm);
    const auColumns: AuColumns = { intensityNames: names.intensityNames, presenceNames: names.presenceNames };
    return {
      auColumns,
      rowCount,
      trackingQuality,
      rows: () => {
        const frames = new Map([...streams].map(([faceId, stream]) => [faceId, stream.frames()] as const));
        return readRows(store, (faceId) => {
          const next = frames.get(faceId)?.next();
          if (!next || next.done) throw new Error(`video analysis: no AU values left for face ${faceId}`);
          return next.value;
        });
      },
    };
  }

  /** Frees the stored rows (removes a spill file). */
  dispose(): void {
    this.store.dispose();
  }

  /** Milliseconds per AU-engine stage, summed over faces and frames. */
  timings(): Record<string, number> {
    const total: Record<string, number> = {};
    for (const stage of STAGES) total[stage] = 0;
    for (const pipeline of this.pipelines.values()) {
      const timings = pipeline.timings();
      for (const stage of STAGES) total[stage] += timings[stage];
    }
    return total;
  }
}

function withAus(row: RowWithoutAus, aus: PostprocessedAuFrame | null): FrameResult {
  return { ...row, auIntensity: aus ? aus.intensity : null, auPresence: aus ? aus.presence : null };
}

/**
 * The stored rows in CSV order. Records are in the order added: frames in
 * order, a frame's faces in the tracker's order, so each frame's group is
 * sorted by face id; `nextAus` hands out each face's AU frames in the order
 * that face's rows were added.
 */
function* readRows(store: RecordStore, nextAus: ((faceId: number) => PostprocessedAuFrame) | null): Generator<FrameResult> {
  const buffer = new Uint8Array(READ_BATCH * store.recordBytes);
  let group: FrameResult[] = [];
  for (let start = 0; start < store.count; start += READ_BATCH) {
    const count = Math.min(READ_BATCH, store.count - start);
    store.read(start, count, buffer);
    for (let i = 0; i < count; i++) {
      const row = decodeRow(buffer.subarray(i * store.recordBytes, (i + 1) * store.recordBytes));
      const result = withAus(row, nextAus ? nextAus(row.faceId) : null);
      if (group.length > 0 && group[0].frame !== result.frame) {
        yield* sortedByFace(group);
        group = [];
      }
      group.push(result);
    }
  }
  yield* sortedByFace(group);
}

function sortedByFace(group: FrameResult[]): FrameResult[] {
  return group.length > 1 ? group.sort((a, b) => a.faceId - b.faceId) : group;
}
