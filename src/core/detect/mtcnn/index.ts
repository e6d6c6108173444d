/**
 * OpenFace 2.2's MTCNN face detector: what the tracker needs to (re)start
 * CLNF as 2.2 does (DetectFaces, then the widest face).
 */
export { MtcnnDetector, widestFace, emptyTrace, OPENFACE_MTCNN_OPTIONS, type MtcnnFace, type MtcnnOptions, type MtcnnTrace } from './mtcnnDetector.ts';
export { loadMtcnnModel, MTCNN_MAIN_FILE, type MtcnnModelFiles } from './mtcnnModel.ts';
export type { FloatBox } from './boxes.ts';
