/**
 * One video's analysis after the landmark stage: one AU pipeline per face
 * (the running median is person-specific), fed frame by frame in order, and
 * the rows of the whole video at the end. The CLI and the browser worker
 * both drive it, so their CSVs are the same for the same landmarks.
 */
import type { BgrImage } from '../image.ts';
import type { OpenFaceModels } from '../model/openfaceModels.ts';
import type { AuColumns, FrameResult } from '../result.ts';
import { AuAnalyser } from '../au/auAnalyser.ts';
import { AuPipeline, STAGES, type FaceObservation, type FrameFeatures } from '../pipeline.ts';

export interface VideoRows {
  /** by frame, then face id */
  readonly rows: FrameResult[];
  /** null without AU models (landmarks only) */
  readonly auColumns: AuColumns | null;
}

export class VideoAnalysis {
  private readonly pipelines = new Map<number, AuPipeline>();
  /** landmark-only runs keep the observations as they are */
  private readonly plainRows: FrameResult[] = [];

  /** `models` null: no OpenFace folder, rows carry landmarks only */
  constructor(private readonly models: OpenFaceModels | null) {}

  /** Adds one frame's faces; returns face 0's features (for .hog and aligned-face output), or null. */
  addFrame(image: BgrImage, faces: readonly FaceObservation[]): FrameFeatures | null {
    let first: FrameFeatures | null = null;
    for (const face of faces) {
      if (!this.models) {
        this.plainRows.push({ ...face, auIntensity: null, auPresence: null });
        continue;
      }
      let pipeline = this.pipelines.get(face.faceId);
      if (!pipeline) this.pipelines.set(face.faceId, (pipeline = new AuPipeline(this.models)));
      const features = pipeline.addFrame(image, face);
      if (face.faceId === 0) first = features;
    }
    return first;
  }

  /** Number of faces seen so far. */
  get faces(): number {
    return this.models ? this.pipelines.size : new Set(this.plainRows.map((r) => r.faceId)).size;
  }

  /** The rows of the whole video, after OpenFace's offline postprocessing. */
  finish(): VideoRows {
    if (!this.models) return { rows: [...this.plainRows], auColumns: null };
    const rows: FrameResult[] = [];
    let auColumns: AuColumns | null = null;
    for (const pipeline of this.pipelines.values()) {
      const result = pipeline.finish();
      rows.push(...result.rows);
      auColumns = result.auColumns;
    }
    rows.sort((a, b) => a.frame - b.frame || a.faceId - b.faceId);
    // A video in which no face was ever seen still names its AU columns.
    if (!auColumns) {
      const names = new AuAnalyser(this.models.au, this.models.pdm);
      auColumns = { intensityNames: names.intensityNames, presenceNames: names.presenceNames };
    }
    return { rows, auColumns };
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
