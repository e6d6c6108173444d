/**
 * SplitFace's port of OpenFace 2.2's CLNF facial landmark detector/tracker
 * (LandmarkDetector, as FeatureExtraction runs it with
 * `-mloc model/main_clnf_general.txt`), reading the user's OpenFace model folder.
 *
 *   const models = await loadClnfModels(readFile);            // model/main_clnf_general.txt and what it names
 *   const tracker = new ClnfTracker(models);                 // FeatureExtraction's video parameters
 *   for (const frame of frames) {
 *     const r = tracker.track(bgrToGray(frame.data, w, h), w, h, detectFace);   // detectFace: MTCNN's box, or null
 *     // r.landmarks (x_0..x_67, y_0..y_67), r.paramsGlobal, r.paramsLocal, r.success (CSV),
 *     // r.detectionSuccess (validator), r.confidence, r.parts (inner face, eyes)
 *   }
 *
 * `detectLandmarks` is the stateless single step (from parameters, or a
 * multi-hypothesis detection from a box). Given OpenFace 2.2's parameters of
 * the previous frame it reproduces 2.2's landmarks of the next
 * (tests/core/clnf/reference.test.ts).
 */
export { loadClnfModels, CLNF_MAIN_MODEL, type ClnfModels, type ClnfModelData, type ClnfPartData } from './modelLoader.ts';
export { parseCcnfPatchExperts, type CcnfScale, type CcnfPatchExpert, type CcnfNeuron } from './ccnfModel.ts';
export { parseValidator, validateLandmarks, type ValidatorModel } from './validator.ts';
export {
  ClnfTracker,
  DEFAULT_CLNF_PARAMETERS,
  ROTATION_HYPOTHESES,
  type ClnfParameters,
  type ClnfInit,
  type ClnfResult,
  type ClnfPartState,
  type ClnfTimings,
} from './tracker.ts';
export { bgrToGray, type GrayImage } from '../image.ts';
export { ClnfFitter, type FitParameters } from './clnfFitter.ts';
export { calcParamsF, paramsFromBoxF, shape2dF, shape3dF, floatPdm } from './pdmFloat.ts';
export { boxAroundLandmarks } from './faceBox.ts';
