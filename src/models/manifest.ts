/**
 * `public/models/manifest.json`: what the model script built, from which npm
 * package, under which licence. Written by scripts/prepare-models.ts and read
 * by the loaders (CLI and browser), which check each file's sha256.
 */

export interface ModelTensorInfo {
  readonly name: string;
  /** fixed sizes, or a symbolic name (e.g. "N") for a free dimension */
  readonly shape: readonly (number | string)[];
}

export interface ModelFileEntry {
  /** file name inside public/models/ */
  readonly file: string;
  /** what the model does, in a few words */
  readonly description: string;
  readonly source: {
    readonly package: string;
    readonly version: string;
    /** the file(s) inside the package the model was taken or converted from */
    readonly files: readonly string[];
    /** 'copied' as shipped, or 'converted' by scripts/tfjs-to-onnx */
    readonly how: 'copied' | 'converted';
  };
  readonly license: {
    /** SPDX identifier from the package's package.json */
    readonly spdx: string;
    /** the package's licence text, copied beside the model */
    readonly file: string;
  };
  readonly inputs: readonly ModelTensorInfo[];
  readonly outputs: readonly ModelTensorInfo[];
  readonly bytes: number;
  readonly sha256: string;
}

export interface ModelManifest {
  readonly generator: string;
  /** hash of everything the files were built from; equal key = nothing to do */
  readonly sourceKey: string;
  readonly models: readonly ModelFileEntry[];
}

export const MODEL_MANIFEST_FILE = 'manifest.json';

/** File names the runtime looks for. */
export const MODEL_FILES = {
  blazeFaceShortRange: 'blazeface_short_range_128.onnx',
  blazeFaceBack: 'blazeface_back_256.onnx',
  faceApiLandmarks68: 'face_landmark_68.onnx',
  faceApiLandmarks68Tiny: 'face_landmark_68_tiny.onnx',
} as const;
