/**
 * OpenFace 2.2's MTCNN face detector (FaceDetectorMTCNN::DetectFaces), the
 * detector 2.2 uses to (re)start tracking, reproduced step by step:
 *
 * 1. PNet, fully convolutional, on every level of an image pyramid of the
 *    float frame (BGR as read; the networks get the planes reversed): each
 *    heatmap cell >= 0.6 is a candidate box with PNet's score and edge
 *    regression; per level, NMS at IoU 0.5; then NMS at 0.7 across levels;
 *    the regression applied; boxes made square and truncated to integers.
 * 2. RNet on each box's 24x24 crop: new score and regression; boxes below
 *    0.7 dropped; NMS at IoU 0.7; regression; square.
 * 3. ONet on 48x48 crops: score and regression; below 0.7 dropped;
 *    regression on boxes one pixel larger; NMS at 0.7 of the smaller area.
 * 4. Each box corrected to the shape CLNF's initialisation expects.
 *
 * The order of the faces is OpenFace's: by ONet score, highest first.
 */

import type { BgrImage } from '../../image.ts';
import type { ModelFileReader } from '../../model/openfaceModels.ts';
import * as pm from '../../math/portableMath.ts';
import { channelPlane, createConvolutionScratch, type CnnLayer, type RunCnnOptions } from '../../cnn/index.ts';
import { applyRegression, clnfOrientedBox, nonMaximumSuppression, squareBox, widestIndex, type BoxRegression, type FloatBox } from './boxes.ts';
import { loadMtcnnModel, type MtcnnModelFiles } from './mtcnnModel.ts';
import { runMtcnnNetwork } from './mtcnnNetwork.ts';
import { pyramidImage, proposalInput, type FloatImage } from './proposalCrop.ts';
import { proposalsFromHeatmap, pyramidLevels } from './pyramid.ts';

const f32 = Math.fround;

/** A face as DetectFaces returns it: the box after the CLNF-oriented correction, and ONet's probability. */
export interface MtcnnFace {
  readonly box: FloatBox;
  readonly confidence: number;
}

/** DetectFaces' parameters; OpenFace's defaults are what FeatureExtraction uses. */
export interface MtcnnOptions {
  /** smallest face searched for, in pixels */
  readonly minFace: number;
  /** PNet, RNet and ONet score thresholds (float32 in OpenFace) */
  readonly pnetThreshold: number;
  readonly rnetThreshold: number;
  readonly onetThreshold: number;
}

export const OPENFACE_MTCNN_OPTIONS: MtcnnOptions = { minFace: 60, pnetThreshold: 0.6, rnetThreshold: 0.7, onetThreshold: 0.7 };

/** Candidate boxes with their scores and regressions, kept side by side as OpenFace keeps them. */
export interface Candidates {
  readonly boxes: FloatBox[];
  readonly scores: number[];
  readonly regressions: BoxRegression[];
}

/** What happened at one pyramid level (for tests against OpenFace's logs). */
export interface PyramidTrace {
  readonly scale: number;
  readonly width: number;
  readonly height: number;
  readonly heatmapWidth: number;
  readonly heatmapHeight: number;
  /** heatmap cells at or above the PNet threshold */
  readonly proposals: number;
  /** survivors of the level's NMS, in the order kept */
  readonly kept: Candidates;
}

/** Every intermediate of one detection, in the order OpenFace computes them. */
export interface MtcnnTrace {
  levels: PyramidTrace[];
  /** RNet's input boxes (squared) with the PNet scores */
  rnetInput: Candidates;
  /** RNet's probability and regression per input box */
  rnetOutput: Candidates;
  rnetAboveThreshold: number;
  rnetAfterNms: number;
  onetInput: Candidates;
  onetOutput: Candidates;
  /** boxes after ONet's regression (on boxes one pixel larger), before the last NMS */
  onetBeforeNms: Candidates;
  /** boxes kept by the last NMS, before the CLNF-oriented correction */
  onetAfterNms: Candidates;
}

export function emptyTrace(): MtcnnTrace {
  const none = (): Candidates => ({ boxes: [], scores: [], regressions: [] });
  return { levels: [], rnetInput: none(), rnetOutput: none(), rnetAboveThreshold: 0, rnetAfterNms: 0, onetInput: none(), onetOutput: none(), onetBeforeNms: none(), onetAfterNms: none() };
}

function subset(c: Candidates, indices: readonly number[]): Candidates {
  return { boxes: indices.map((i) => c.boxes[i]), scores: indices.map((i) => c.scores[i]), regressions: indices.map((i) => c.regressions[i]) };
}

function copyCandidates(c: Candidates): Candidates {
  return { boxes: [...c.boxes], scores: [...c.scores], regressions: [...c.regressions] };
}

/**
 * RNet's and ONet's face probability from their first two outputs (the
 * "no face" and "face" logits): 1 / (1 + e^(out0 - out1)), exp in float
 * (std::exp on a float), the rest in double, stored as float.
 */
function faceProbability(noFaceLogit: number, faceLogit: number): number {
  return f32(1 / (1 + f32(pm.exp(f32(noFaceLogit - faceLogit)))));
}

/** PNet's heatmap, the same probability per cell but entirely in float (OpenCV matrix operations). */
function pnetHeatmap(noFaceLogits: Float32Array, faceLogits: Float32Array): Float32Array {
  const out = new Float32Array(faceLogits.length);
  for (let i = 0; i < out.length; i++) out[i] = f32(1 / f32(1 + f32(pm.exp(f32(noFaceLogits[i] - faceLogits[i])))));
  return out;
}

export class MtcnnDetector {
  /** im2col memory reused across layers and calls (one detector per thread) */
  private readonly runOptions: RunCnnOptions = { scratch: createConvolutionScratch() };

  constructor(
    private readonly model: MtcnnModelFiles,
    private readonly options: MtcnnOptions = OPENFACE_MTCNN_OPTIONS,
  ) {}

  /** Reads MTCNN_detector.txt and its three networks from an OpenFace model folder. */
  static async load(read: ModelFileReader, folderName?: string, options?: MtcnnOptions): Promise<MtcnnDetector> {
    return new MtcnnDetector(await loadMtcnnModel(read, folderName), options);
  }

  /**
   * The faces in a BGR frame, as FaceDetectorMTCNN::DetectFaces returns them.
   * Pass a trace (emptyTrace()) to have every intermediate recorded.
   */
  detect(image: BgrImage, trace?: MtcnnTrace): MtcnnFace[] {
    const frame: FloatImage = { width: image.width, height: image.height, channels: 3, data: Float32Array.from(image.data) };
    let candidates = this.pnetStage(frame, trace);
    candidates = this.rnetStage(frame, candidates, trace);
    return this.onetStage(frame, candidates, trace);
  }

  private pnetStage(frame: FloatImage, trace?: MtcnnTrace): Candidates {
    const all: Candidates = { boxes: [], scores: [], regressions: [] };
    for (const level of pyramidLevels(frame.width, frame.height, this.options.minFace)) {
      const out = runMtcnnNetwork(this.model.pnet, pyramidImage(frame, level.width, level.height), this.runOptions);
      const plane = (c: number): Float32Array => channelPlane(out, c);
      const heatmap = pnetHeatmap(plane(0), plane(1));
      const proposals = proposalsFromHeatmap(heatmap, [plane(2), plane(3), plane(4), plane(5)], out.width, out.height, level.scale, this.options.pnetThreshold);
      const kept = subset(proposals, nonMaximumSuppression(proposals.boxes, proposals.scores, 0.5, false));
      trace?.levels.push({ ...level, heatmapWidth: out.width, heatmapHeight: out.height, proposals: proposals.boxes.length, kept });
      all.boxes.push(...kept.boxes);
      all.scores.push(...kept.scores);
      all.regressions.push(...kept.regressions);
    }
    return squaredAfterRegression(subset(all, nonMaximumSuppression(all.boxes, all.scores, 0.7, false)));
  }

  /** RNet: rescore and regress each box, drop the unlikely, NMS, regression, squares (the ONet inputs). */
  private rnetStage(frame: FloatImage, input: Candidates, trace?: MtcnnTrace): Candidates {
    if (trace) trace.rnetInput = copyCandidates(input);
    const scored = this.score(frame, input, this.model.rnet, 24);
    if (trace) trace.rnetOutput = copyCandidates(scored);
    const limit = f32(this.options.rnetThreshold);
    const above = subset(scored, scored.scores.flatMap((s, i) => (s >= limit ? [i] : [])));
    const kept = subset(above, nonMaximumSuppression(above.boxes, above.scores, 0.7, false));
    if (trace) {
      trace.rnetAboveThreshold = above.boxes.length;
      trace.rnetAfterNms = kept.boxes.length;
    }
    return squaredAfterRegression(kept);
  }

  private onetStage(frame: FloatImage, input: Candidates, trace?: MtcnnTrace): MtcnnFace[] {
    if (trace) trace.onetInput = copyCandidates(input);
    const scored = this.score(frame, input, this.model.onet, 48);
    if (trace) trace.onetOutput = copyCandidates(scored);
    const limit = f32(this.options.onetThreshold);
    const above = subset(scored, scored.scores.flatMap((s, i) => (s >= limit ? [i] : [])));
    const regressed: Candidates = { boxes: above.boxes.map((b, i) => applyRegression(b, above.regressions[i], true)), scores: above.scores, regressions: above.regressions };
    if (trace) trace.onetBeforeNms = copyCandidates(regressed);
    const kept = subset(regressed, nonMaximumSuppression(regressed.boxes, regressed.scores, 0.7, true));
    if (trace) trace.onetAfterNms = copyCandidates(kept);
    return kept.boxes.map((b, i) => ({ box: clnfOrientedBox(b), confidence: kept.scores[i] }));
  }

  /** A network's probability and regression for each box's crop (boxes unchanged). */
  private score(frame: FloatImage, input: Candidates, network: readonly CnnLayer[], size: number): Candidates {
    const scores: number[] = [];
    const regressions: BoxRegression[] = [];
    for (const box of input.boxes) {
      // a row vector: two logits, four regressions (ONet: then ten landmark coordinates)
      const out = runMtcnnNetwork(network, proposalInput(frame, box, size), this.runOptions).data;
      scores.push(faceProbability(out[0], out[1]));
      regressions.push({ dx: out[2], dy: out[3], dw: out[4], dh: out[5] });
    }
    return { boxes: input.boxes, scores, regressions };
  }
}

/** OpenFace's apply_correction (no extra pixel) followed by rectify. */
function squaredAfterRegression(c: Candidates): Candidates {
  return { boxes: c.boxes.map((b, i) => squareBox(applyRegression(b, c.regressions[i], false))), scores: c.scores, regressions: c.regressions };
}

/** The face DetectSingleFaceMTCNN keeps: the widest, the first one on ties; null when there is none. */
export function widestFace(faces: readonly MtcnnFace[]): MtcnnFace | null {
  const i = widestIndex(faces.map((f) => f.box));
  return i < 0 ? null : faces[i];
}
