/**
 * SplitFace's port of OpenFace 1.x's CLNF facial landmark detector/tracker
 * (the LandmarkDetector library of the code base that produced
 * ../shared/reference), reading the user's OpenFace model folder.
 *
 *   const models = await loadClnfModels(readFile);            // model/main_clnf_general.txt and what it names
 *   const tracker = new ClnfTracker(models);                 // FeatureExtraction's video parameters
 *   tracker.startTracking({ box });                          // or { landmarks } or { paramsGlobal, paramsLocal }
 *   for (const frame of frames) {
 *     const r = tracker.track(bgrToGray(frame.data, w, h), w, h, detectFace);
 *     // r.landmarks (x_0..x_67, y_0..y_67), r.paramsGlobal, r.paramsLocal, r.success, r.confidence
 *   }
 *
 * `detectLandmarks` is the stateless single step. Given OpenFace's parameters
 * of the previous frame it reproduces OpenFace's landmarks to ~1e-8 of the
 * inter-ocular distance (tests/core/clnf/reference.test.ts).
 */
export { loadClnfModels, CLNF_MAIN_MODEL, type ClnfModels, type ClnfModelData, type ClnfPartData } from './modelLoader.ts';
export { parseCcnfPatchExperts, type CcnfScale, type CcnfPatchExpert, type CcnfNeuron } from './ccnfModel.ts';
export { parseValidator, validateLandmarks, type ValidatorModel } from './validator.ts';
export { ClnfTracker, DEFAULT_CLNF_PARAMETERS, type ClnfParameters, type ClnfInit, type ClnfResult, type ClnfTimings } from './tracker.ts';
export { bgrToGray, type GrayImage } from '../image.ts';
export { ClnfFitter, type FitParameters } from './clnfFitter.ts';
export { calcParams } from './pdmOps.ts';
export { clnfBoxFromDlibHog, clnfBoxFromHaar, boxAroundLandmarks } from './faceBox.ts';
