/**
 * A tiny OpenFace model folder that the loaders accept (one AU model, a
 * 68-point PDM, one CCNF scale whose experts see nothing, an MTCNN of three
 * one-layer networks), built in memory so
 * the store's tests run without ../shared. Nothing here comes from OpenFace's
 * model files.
 */
import { OPENFACE_MODEL_PATHS } from '../../src/core/model/openfaceModels.ts';
import { CLNF_MAIN_MODEL } from '../../src/core/clnf/index.ts';
import { MTCNN_MAIN_FILE } from '../../src/core/detect/mtcnn/index.ts';
import { syntheticPdm } from '../core/pdm/syntheticPdm.ts';
import { writeCcnf, writePdmText } from '../core/clnf/synthetic.ts';

const encoder = new TextEncoder();

/** A linear SVM `.dat` (marker 4): means 1x2, support vector 2x1, bias, class values; all CV_64F. */
function svmDat(): Uint8Array {
  const values: [kind: 'i' | 'd', value: number][] = [
    ['i', 4],
    ['i', 1], ['i', 2], ['i', 6], ['d', 0.5], ['d', -0.5],
    ['i', 2], ['i', 1], ['i', 6], ['d', 1], ['d', 2],
    ['d', 0.25],
    ['d', 1], ['d', 0],
  ];
  const bytes = new Uint8Array(values.reduce((n, [kind]) => n + (kind === 'i' ? 4 : 8), 0));
  const view = new DataView(bytes.buffer);
  let at = 0;
  for (const [kind, value] of values) {
    if (kind === 'i') view.setInt32(at, value, true);
    else view.setFloat64(at, value, true);
    at += kind === 'i' ? 4 : 8;
  }
  return bytes;
}

/** An MTCNN network file: one layer (type 4, a sigmoid), which the loader accepts and which finds nothing. */
function oneLayerNetwork(): Uint8Array {
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  view.setInt32(0, 1, true);
  view.setInt32(4, 4, true);
  return bytes;
}

/** The files, by path relative to the model folder. */
export function syntheticOpenFaceFiles(): Map<string, Uint8Array> {
  const points = 68;
  const ccnf = writeCcnf({
    scaling: 0.25,
    centers: [[0, 0, 0]],
    visibilities: [new Array<number>(points).fill(0)],
    windows: [],
    experts: [Array.from({ length: points }, () => ({ width: 11, height: 11, neurons: [], betas: [], confidence: 0 }))],
  });
  return new Map<string, Uint8Array>([
    [OPENFACE_MODEL_PATHS.auList, encoder.encode('svm_combined/AU_1_static.dat AU01\n')],
    ['AU_predictors/svm_combined/AU_1_static.dat', svmDat()],
    [OPENFACE_MODEL_PATHS.pdm, encoder.encode(writePdmText(syntheticPdm(points, [400, 150])))],
    [OPENFACE_MODEL_PATHS.triangulation, encoder.encode('1\n3\n4\n0 1 2\n')],
    [CLNF_MAIN_MODEL, encoder.encode('LandmarkDetector clnf_general.txt\n')],
    ['model/clnf_general.txt', encoder.encode(`PDM pdms/In-the-wild_aligned_PDM_68.txt\nPatchesCCNF patch_experts/ccnf_patches_0.25_general.txt\n`)],
    ['model/patch_experts/ccnf_patches_0.25_general.txt', ccnf],
    [MTCNN_MAIN_FILE, encoder.encode('PNet PNet.dat\nRNet RNet.dat\nONet ONet.dat\n')],
    ['model/mtcnn_detector/PNet.dat', oneLayerNetwork()],
    ['model/mtcnn_detector/RNet.dat', oneLayerNetwork()],
    ['model/mtcnn_detector/ONet.dat', oneLayerNetwork()],
  ]);
}
