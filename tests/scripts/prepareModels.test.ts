import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readTgz } from '../../scripts/models/tarReader.ts';
import { onnxSignature } from '../../scripts/models/onnxInfo.ts';
import type { ModelManifest } from '../../src/models/manifest.ts';
import { DEFAULT_MODEL_DIR, readModelFile } from '../../src/models/nodeModelStore.ts';
import { modelsSkipReason } from '../helpers/models.ts';
import { suiteTitle } from '../helpers/shared.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('readTgz', () => {
  it('reads the files of a tarball made by npm pack, long paths included', () => {
    const folder = mkdtempSync(join(tmpdir(), 'splitface-tar-'));
    try {
      const pkg = join(folder, 'pkg');
      const deep = join(pkg, 'a'.repeat(60), 'b'.repeat(60));
      mkdirSync(deep, { recursive: true });
      writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'tar-probe', version: '1.0.0', license: 'MIT' }));
      writeFileSync(join(pkg, 'LICENSE'), 'MIT licence text');
      const binary = Uint8Array.from({ length: 1500 }, (_, i) => (i * 31) % 256);
      writeFileSync(join(deep, 'weights.bin'), binary);
      const run = spawnSync('npm', ['pack', pkg, '--pack-destination', folder, '--silent', '--offline'], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      const tgz = readdirSync(folder).find((f) => f.endsWith('.tgz'));
      const files = readTgz(new Uint8Array(readFileSync(join(folder, tgz ?? ''))));
      expect(Buffer.from(files.get('package/LICENSE') ?? []).toString()).toBe('MIT licence text');
      expect(files.get(`package/${'a'.repeat(60)}/${'b'.repeat(60)}/weights.bin`)).toEqual(binary);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

const skip = modelsSkipReason();

describe.skipIf(skip !== null)(suiteTitle('public/models as built by npm install', skip), () => {
  it('has every model with its licence, signature and sha256 in the manifest', () => {
    const manifest = JSON.parse(readFileSync(join(DEFAULT_MODEL_DIR, 'manifest.json'), 'utf8')) as ModelManifest;
    expect(manifest.models.map((m) => m.file).sort()).toEqual(['blazeface_back_256.onnx', 'blazeface_short_range_128.onnx', 'face_landmark_68.onnx', 'face_landmark_68_tiny.onnx']);
    for (const entry of manifest.models) {
      const { bytes } = readModelFile(entry.file);
      expect(onnxSignature(bytes)).toEqual({ inputs: entry.inputs, outputs: entry.outputs });
      expect(['MIT', 'Apache-2.0']).toContain(entry.license.spdx);
      expect(readFileSync(join(DEFAULT_MODEL_DIR, entry.license.file), 'utf8')).toMatch(/Apache License|MIT License|Permission is hereby granted/);
    }
  });

  it('builds the same files into another folder, and a second run there changes nothing', () => {
    const out = mkdtempSync(join(tmpdir(), 'splitface-models-'));
    try {
      const run = () => spawnSync(process.execPath, ['--import', 'tsx', 'scripts/prepare-models.ts', '--out', out], { cwd: ROOT, encoding: 'utf8' });
      const first = run();
      expect(first.status, first.stderr).toBe(0);
      const built = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as ModelManifest;
      const installed = JSON.parse(readFileSync(join(DEFAULT_MODEL_DIR, 'manifest.json'), 'utf8')) as ModelManifest;
      expect(built.models.map((m) => m.sha256)).toEqual(installed.models.map((m) => m.sha256));
      const before = statSync(join(out, 'manifest.json')).mtimeMs;
      const second = run();
      expect(second.status, second.stderr).toBe(0);
      expect(second.stdout.trim()).toBe(`models: ${out} is up to date`);
      expect(statSync(join(out, 'manifest.json')).mtimeMs).toBe(before);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
