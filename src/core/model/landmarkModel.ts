/**
 * Which landmark model SplitFace runs, said the same way in the CLI, the app
 * and the provenance JSON. OpenFace 2.2's default is CE-CLM, whose CEN patch
 * experts OpenFace distributes outside its repository; without them 2.2 stops
 * unless told `-mloc model/main_clnf_general.txt`. SplitFace always runs
 * 2.2's CLNF (that configuration), so a user whose folder holds the CEN files
 * must know that their own OpenFace, run on defaults, used another model.
 */

/** The CLNF configuration SplitFace runs, relative to the model folder. */
export const LANDMARK_MODEL_CONFIG = 'model/main_clnf_general.txt';

/** CE-CLM's CEN patch experts (model/cen_general.txt names them): 2.2's default landmark model when present. */
export const CEN_PATCH_EXPERTS = [
  'model/patch_experts/cen_patches_0.25_of.dat',
  'model/patch_experts/cen_patches_0.35_of.dat',
  'model/patch_experts/cen_patches_0.50_of.dat',
  'model/patch_experts/cen_patches_1.00_of.dat',
] as const;

export interface LandmarkModelInfo {
  /** 'OpenFace 2.2 CLNF' */
  readonly model: string;
  /** the configuration file, as FeatureExtraction's -mloc takes it */
  readonly config: string;
  /** the face detector that starts and restarts tracks */
  readonly detector: string;
  /** whether the folder also holds CE-CLM's CEN weights (which SplitFace does not run) */
  readonly cenWeightsInFolder: boolean;
  /** one sentence for the user */
  readonly summary: string;
}

/** Whether a folder's file list (paths relative to the model folder) holds any of CE-CLM's CEN weights. */
export function hasCenWeights(paths: Iterable<string>): boolean {
  const cen = new Set<string>(CEN_PATCH_EXPERTS);
  for (const path of paths) if (cen.has(path)) return true;
  return false;
}

export function describeLandmarkModel(cenWeightsInFolder: boolean): LandmarkModelInfo {
  const base = `Landmarks: OpenFace 2.2's CLNF (${LANDMARK_MODEL_CONFIG}, as FeatureExtraction -mloc ${LANDMARK_MODEL_CONFIG}), faces found by its MTCNN detector.`;
  return {
    model: 'OpenFace 2.2 CLNF',
    config: LANDMARK_MODEL_CONFIG,
    detector: 'OpenFace 2.2 MTCNN (model/mtcnn_detector)',
    cenWeightsInFolder,
    summary: cenWeightsInFolder
      ? `${base} Your folder also has CE-CLM's CEN weights, OpenFace 2.2's default model: SplitFace does not run CE-CLM, so compare with OpenFace run with -mloc ${LANDMARK_MODEL_CONFIG}.`
      : base,
  };
}
