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
 */
import type { BgrImage } from '../image.ts';
import type { OpenFaceModels } from '../model/openfaceModels.ts';
import type { AuColumns, FrameResult } from '../result.ts';
import { AuAnalyser } from '../au/auAnalyser.ts';
import type { PostprocessedAuFrame } from '../au/postprocess.ts';
import { AuPipeline, STAGES, type FaceObservation, type FrameFeatures } from '../pipeline.ts';
import { memoryRecordStore, type RecordStore, type RecordStoreFactory } from './recordStore.ts';
import { ROW_RECORD_BYTES, decodeRow, encodeRow, type RowWithoutAus } from './rowRecord.ts';

/** The rows of a whole video, read back one at a time. */
export interface VideoOutput {
  /** null without AU models (landmarks only) */
  readonly auColumns: AuColumns | null;
  /** rows in all (one per face per frame) */
  readonly rowCount: number;
  /** the rows by frame, then face id; one pass (a second call starts over) */
  rows(): Generator<FrameResult>;
}

/** records read from the store at a time */
const READ_BATCH = 256;

export class VideoAnalysis {
  private readonly pipelines = new Map<number, AuPipeline>();
  private readonly store: RecordStore;
  private readonly record = new Uint8Array(ROW_RECORD_BYTES);
  private readonly faceIds = new Set<number>();

  /**
   * `models` null: no OpenFace folder, rows carry landmarks only.
   * `storeFactory`: where the rows wait for the end of the video (memory by default).
   */
  constructor(
    private readonly models: OpenFaceModels | null,
    storeFactory: RecordStoreFactory = memoryRecordStore,
  ) {
    this.store = storeFactory(ROW_RECORD_BYTES);
  }

  /** Adds one frame's faces; returns face 0's features (for .hog and aligned-face output), or null. */
  addFrame(image: BgrImage, faces: readonly FaceObservation[]): FrameFeatures | null {
    let first: FrameFeatures | null = null;
    for (const face of faces) {
      this.faceIds.add(face.faceId);
      if (!this.models) {
        this.keep(face);
        continue;
      }
      let pipeline = this.pipelines.get(face.faceId);
      if (!pipeline) this.pipelines.set(face.faceId, (pipeline = new AuPipeline(this.models, false)));
      const features = pipeline.addFrame(image, face);
      this.keep(features.row);
      if (face.faceId === 0) first = features;
    }
    return first;
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
    if (!this.models) return { auColumns: null, rowCount, rows: () => readRows(store, null) };
    const streams = new Map([...this.pipelines].map(([faceId, pipeline]) => [faceId, pipeline.finishStream()] as const));
    // A video in which no face was ever seen still names its AU columns.
    const names = streams.values().next().value ?? new AuAnalyser(this.models.au, this.models.pdm);
    const auColumns: AuColumns = { intensityNames: names.intensityNames, presenceNames: names.presenceNames };
    return {
      auColumns,
      rowCount,
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
