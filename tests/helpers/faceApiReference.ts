/**
 * face-api's own FaceLandmark68Net / FaceLandmark68TinyNet running on tfjs's
 * pure-JS CPU backend: the original runtime the converted ONNX models are
 * checked against. face-api's Node build is CommonJS, hence createRequire;
 * its API is typed here as far as the tests use it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

interface TfTensor {
  dataSync(): Float32Array;
  dispose(): void;
}

interface LandmarkNet {
  loadFromWeightMap(weightMap: Record<string, TfTensor>): void;
  runNet(input: object): TfTensor;
}

interface FaceApiModule {
  tf: {
    setBackend(name: string): Promise<boolean>;
    ready(): Promise<void>;
    tensor3d(values: Float32Array, shape: [number, number, number]): TfTensor;
    io: { decodeWeights(buffer: ArrayBuffer, specs: unknown[]): Record<string, TfTensor> };
  };
  FaceLandmark68Net: new () => LandmarkNet;
  FaceLandmark68TinyNet: new () => LandmarkNet;
  NetInput: new (inputs: TfTensor[]) => object;
}

const require = createRequire(import.meta.url);
export const FACE_API_MODEL_DIR = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');

export type FaceApiVariant = 'full' | 'tiny';

export const FACE_API_MANIFESTS: Record<FaceApiVariant, string> = {
  full: join(FACE_API_MODEL_DIR, 'face_landmark_68_model-weights_manifest.json'),
  tiny: join(FACE_API_MODEL_DIR, 'face_landmark_68_tiny_model-weights_manifest.json'),
};

export interface FaceApiLandmarkReference {
  /** raw net output (136 values) for one 112x112x3 RGB input */
  run(input: Float32Array): Float32Array;
}

export async function loadFaceApiLandmarkNet(variant: FaceApiVariant): Promise<FaceApiLandmarkReference> {
  // tfjs greets Node users on stdout once ("install tfjs-node"); keep test output clean.
  const log = console.log;
  const warn = console.warn;
  console.log = () => {};
  console.warn = () => {};
  try {
    const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApiModule;
    await faceapi.tf.setBackend('cpu');
    await faceapi.tf.ready();
    const manifest = JSON.parse(readFileSync(FACE_API_MANIFESTS[variant], 'utf8')) as { paths: string[]; weights: unknown[] }[];
    const shard = readFileSync(join(FACE_API_MODEL_DIR, manifest[0].paths[0]));
    const weightMap = faceapi.tf.io.decodeWeights(shard.buffer.slice(shard.byteOffset, shard.byteOffset + shard.byteLength), manifest[0].weights);
    const net = variant === 'full' ? new faceapi.FaceLandmark68Net() : new faceapi.FaceLandmark68TinyNet();
    net.loadFromWeightMap(weightMap);
    return {
      run(input: Float32Array): Float32Array {
        const tensor = faceapi.tf.tensor3d(input, [112, 112, 3]);
        const output = net.runNet(new faceapi.NetInput([tensor]));
        const values = output.dataSync().slice();
        output.dispose();
        tensor.dispose();
        return values;
      },
    };
  } finally {
    console.log = log;
    console.warn = warn;
  }
}
