/**
 * Entry points of the TFJS → ONNX converter: read a model from disk, build
 * the TF-style graph with the matching front end, emit ONNX.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { EmitOptions, EmittedModel } from './onnxEmitter.ts';
import { emitOnnx } from './onnxEmitter.ts';
import type { GraphModelJson } from './graphModel.ts';
import { graphModelToTfGraph } from './graphModel.ts';
import type { LayersModelJson } from './layersModel.ts';
import { layersModelToTfGraph } from './layersModel.ts';
import type { FaceApiLandmarkVariant } from './faceApiLandmarks.ts';
import { faceApiLandmarkNetToTfGraph } from './faceApiLandmarks.ts';
import type { WeightsManifestGroup } from './weights.ts';
import { decodeWeights } from './weights.ts';

export type { EmittedModel } from './onnxEmitter.ts';

function shardReader(folder: string): (path: string) => Uint8Array {
  return (path) => new Uint8Array(readFileSync(join(folder, path)));
}

/** A TFJS model.json (graph or layers model) and its weight shards beside it. */
export function convertTfjsModel(modelJsonPath: string, options: EmitOptions): EmittedModel {
  const json = JSON.parse(readFileSync(modelJsonPath, 'utf8')) as (GraphModelJson | LayersModelJson) & { format?: string };
  const readShard = shardReader(dirname(modelJsonPath));
  const topology = json.modelTopology as { node?: unknown; class_name?: unknown };
  if (json.format === 'graph-model' || Array.isArray(topology.node)) {
    return emitOnnx(graphModelToTfGraph(json as GraphModelJson, readShard), options);
  }
  if (json.format === 'layers-model' || typeof topology.class_name === 'string') {
    return emitOnnx(layersModelToTfGraph(json as LayersModelJson, readShard), options);
  }
  throw new Error(`${modelJsonPath}: neither a TFJS graph model nor a layers model`);
}

/** face-api's landmark net from its `*-weights_manifest.json` and shard. */
export function convertFaceApiLandmarkNet(manifestPath: string, variant: FaceApiLandmarkVariant, options: EmitOptions): EmittedModel {
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as WeightsManifestGroup[];
  const weights = decodeWeights(manifest, shardReader(dirname(manifestPath)));
  return emitOnnx(faceApiLandmarkNetToTfGraph(weights, variant), options);
}
