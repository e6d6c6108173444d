/**
 * Fetches the npm-package models built into public/models/ from our own
 * origin, checking each against the manifest's sha256 (a stale or altered
 * deployment is named, not run).
 */
import { SplitFaceError } from '../core/errors.ts';
import { MODEL_FILES, MODEL_MANIFEST_FILE, type ModelFileEntry, type ModelManifest } from './manifest.ts';

export class WebModelError extends SplitFaceError {}

const MODEL_BASE = `${import.meta.env.BASE_URL}models/`;

async function fetchBytes(file: string): Promise<Uint8Array> {
  const response = await fetch(MODEL_BASE + file);
  if (!response.ok) throw new WebModelError(`models/${file} could not be loaded (HTTP ${response.status}): the deployment lacks public/models (run npm install or npm run models)`);
  return new Uint8Array(await response.arrayBuffer());
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function fetchModel(manifest: ModelManifest, file: string): Promise<{ bytes: Uint8Array; entry: ModelFileEntry }> {
  const entry = manifest.models.find((m) => m.file === file);
  if (!entry) throw new WebModelError(`models/${file} is not in models/${MODEL_MANIFEST_FILE}: rebuild the models (npm run models)`);
  const bytes = await fetchBytes(file);
  if ((await sha256Hex(bytes)) !== entry.sha256) throw new WebModelError(`models/${file} does not match its manifest sha256: rebuild the models (npm run models -- --force)`);
  return { bytes, entry };
}

export interface NpmModels {
  readonly blazeFaceBack: Uint8Array;
  readonly faceApi68: Uint8Array;
  readonly manifest: ModelManifest;
}

export async function loadNpmModels(): Promise<NpmModels> {
  let manifest: ModelManifest;
  try {
    manifest = JSON.parse(new TextDecoder().decode(await fetchBytes(MODEL_MANIFEST_FILE))) as ModelManifest;
  } catch (error) {
    if (error instanceof WebModelError) throw error;
    throw new WebModelError(`models/${MODEL_MANIFEST_FILE} is not valid JSON: rebuild the models (npm run models -- --force)`);
  }
  const [detector, landmarks] = await Promise.all([fetchModel(manifest, MODEL_FILES.blazeFaceBack), fetchModel(manifest, MODEL_FILES.faceApiLandmarks68)]);
  return { blazeFaceBack: detector.bytes, faceApi68: landmarks.bytes, manifest };
}
