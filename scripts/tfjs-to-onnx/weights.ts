/**
 * Decodes TFJS weight shards with their manifest (the `weightsManifest` of a
 * model.json, or face-api's `*-weights_manifest.json`) into float/int tensors.
 * Quantized weights are expanded exactly as tfjs-core's `io.decodeWeights`
 * does (value * scale + min in double precision, stored as float32), so the
 * converted model holds bit-identical weights to what tfjs runs with.
 */
import type { TfConst } from './tfGraph.ts';
import { shapeSize } from './tfGraph.ts';

export interface WeightQuantization {
  readonly dtype: 'uint8' | 'uint16' | 'float16';
  readonly scale?: number;
  readonly min?: number;
}

export interface WeightEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly quantization?: WeightQuantization;
}

export interface WeightsManifestGroup {
  readonly paths: readonly string[];
  readonly weights: readonly WeightEntry[];
}

function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function bytesPerValue(entry: WeightEntry): number {
  const stored = entry.quantization?.dtype ?? entry.dtype;
  switch (stored) {
    case 'uint8': case 'bool': return 1;
    case 'uint16': case 'float16': return 2;
    case 'float32': case 'int32': return 4;
    default: throw new Error(`weight ${entry.name}: unsupported dtype ${stored}`);
  }
}

function decodeEntry(entry: WeightEntry, bytes: Uint8Array): TfConst {
  const count = shapeSize(entry.shape);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const q = entry.quantization;
  if (entry.dtype === 'int32' && !q) {
    const data = new Int32Array(count);
    for (let i = 0; i < count; i++) data[i] = view.getInt32(i * 4, true);
    return { dtype: 'int32', shape: entry.shape, data };
  }
  if (entry.dtype !== 'float32') throw new Error(`weight ${entry.name}: unsupported dtype ${entry.dtype}`);
  const data = new Float32Array(count);
  if (!q) {
    for (let i = 0; i < count; i++) data[i] = view.getFloat32(i * 4, true);
  } else if (q.dtype === 'float16') {
    for (let i = 0; i < count; i++) data[i] = float16ToFloat32(view.getUint16(i * 2, true));
  } else {
    const scale = q.scale ?? 1;
    const min = q.min ?? 0;
    for (let i = 0; i < count; i++) {
      const stored = q.dtype === 'uint8' ? bytes[i] : view.getUint16(i * 2, true);
      data[i] = stored * scale + min;
    }
  }
  return { dtype: 'float32', shape: entry.shape, data };
}

/**
 * `readShard(path)` returns one shard file named in the manifest; shards of a
 * group are concatenated and the group's weights laid out back to back.
 */
export function decodeWeights(manifest: readonly WeightsManifestGroup[], readShard: (path: string) => Uint8Array): Map<string, TfConst> {
  const weights = new Map<string, TfConst>();
  for (const group of manifest) {
    const shards = group.paths.map(readShard);
    const total = shards.reduce((n, s) => n + s.length, 0);
    const buffer = new Uint8Array(total);
    let at = 0;
    for (const shard of shards) { buffer.set(shard, at); at += shard.length; }
    let offset = 0;
    for (const entry of group.weights) {
      const length = shapeSize(entry.shape) * bytesPerValue(entry);
      if (offset + length > total) throw new Error(`weight ${entry.name}: shards hold ${total} bytes, need ${offset + length}`);
      weights.set(entry.name, decodeEntry(entry, buffer.subarray(offset, offset + length)));
      offset += length;
    }
    if (offset !== total) throw new Error(`weights manifest describes ${offset} bytes but the shards hold ${total}`);
  }
  return weights;
}
