/**
 * What SplitFace's tracking reads from a user's OpenFace 2.2 model folder:
 * CLNF (model/main_clnf_general.txt with its patch experts, eye and
 * inner-face parts and CNN validator) and the MTCNN face detector that starts
 * and restarts it (model/mtcnn_detector/), as FeatureExtraction loads them.
 */
import type { ModelFileReader } from '../model/openfaceModels.ts';
import { loadClnfModels, type ClnfModels } from '../clnf/modelLoader.ts';
import { loadMtcnnModel, type MtcnnModelFiles } from '../detect/mtcnn/mtcnnModel.ts';

export interface TrackingModels {
  readonly clnf: ClnfModels;
  readonly mtcnn: MtcnnModelFiles;
  /** the files read, relative to the model folder */
  readonly files: readonly string[];
}

export async function loadTrackingModels(read: ModelFileReader, folderName: string): Promise<TrackingModels> {
  const clnf = await loadClnfModels(read, folderName);
  const mtcnn = await loadMtcnnModel(read, folderName);
  return { clnf, mtcnn, files: [...clnf.files, ...mtcnn.files] };
}
