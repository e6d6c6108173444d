/**
 * Everything the UI needs from the rest of SplitFace, in one place: opening
 * videos (src/video), the worker pool (src/worker), the npm-package models
 * and the user's OpenFace folder (src/models). The controllers only see the
 * AppServices interface, so tests give them fakes and a change of those
 * modules' API is adapted here.
 */
import type { AnalysisModels, AnalysisRunner } from '../../worker/analysisApi.ts';
import type { VideoSource } from '../../video/types.ts';
import { MODEL_FILES } from '../../models/manifest.ts';
import { loadNpmModels } from '../../models/webModels.ts';
import { createAnalysisPool } from '../../worker/pool.ts';
import { openImageSequence, openVideo } from '../../video/openVideo.ts';
import { importFromFileList, pickOpenFaceFolder, supportsDirectoryPicker, type PickedFile } from '../../models/openfaceImport.ts';
import { OpenFaceStore, type OpenFaceFolderInfo } from '../../models/openfaceStore.ts';

export type { OpenFaceFolderInfo };

/** One npm-package model as the model panel lists it. */
export interface NpmModelInfo {
  readonly file: string;
  readonly package: string;
  readonly version: string;
  readonly license: string;
}

export interface LoadedNpmModels {
  readonly blazeFaceBack: Uint8Array;
  readonly faceApi68: Uint8Array;
  /** the models the engine uses, from public/models/manifest.json */
  readonly entries: readonly NpmModelInfo[];
}

/** The user's OpenFace model folder, kept in IndexedDB. */
export interface OpenFaceService {
  /** whether the browser has showDirectoryPicker (else the `<input webkitdirectory>` is used) */
  readonly canPickFolder: boolean;
  /** opens the folder picker, validates and stores the folder; null when the user cancels */
  pickFolder(): Promise<OpenFaceFolderInfo | null>;
  /** validates and stores the files of `<input type=file webkitdirectory>` */
  importFiles(files: readonly File[]): Promise<OpenFaceFolderInfo>;
  info(): Promise<OpenFaceFolderInfo | null>;
  readAll(): Promise<ReadonlyMap<string, Uint8Array> | null>;
  remove(): Promise<void>;
}

export interface AppServices {
  openVideo(file: File): Promise<VideoSource>;
  openImageSequence(files: File[]): Promise<VideoSource>;
  loadNpmModels(): Promise<LoadedNpmModels>;
  createRunner(models: AnalysisModels): Promise<AnalysisRunner>;
  readonly openface: OpenFaceService;
}

/**
 * After an import, asks the browser to keep the site's storage under storage
 * pressure (navigator.storage.persist), so the 12 MB folder is not evicted
 * and asked for again. Chromium grants or refuses silently, Firefox may ask
 * the user, so it is not awaited. A refusal changes nothing: the folder is
 * stored either way.
 */
async function keptAfterImport(imported: Promise<OpenFaceFolderInfo>): Promise<OpenFaceFolderInfo> {
  const info = await imported;
  void navigator.storage?.persist?.().catch(() => false);
  return info;
}

function browserOpenFace(): OpenFaceService {
  let store: Promise<OpenFaceStore> | null = null;
  // a failed open (private mode, storage blocked) is retried on the next call
  const open = () =>
    (store ??= OpenFaceStore.open().catch((error: unknown) => {
      store = null;
      throw error;
    }));
  return {
    canPickFolder: supportsDirectoryPicker(),
    async pickFolder() {
      const folder = await pickOpenFaceFolder();
      return folder ? keptAfterImport((await open()).importFolder(folder)) : null;
    },
    async importFiles(files) {
      return keptAfterImport((await open()).importFolder(importFromFileList(files as readonly PickedFile[])));
    },
    async info() {
      return (await open()).info();
    },
    async readAll() {
      return (await open()).readAll();
    },
    async remove() {
      await (await open()).remove();
    },
  };
}

/** The engine uses these two of the manifest's models. */
const USED_MODEL_FILES: readonly string[] = [MODEL_FILES.blazeFaceBack, MODEL_FILES.faceApiLandmarks68];

export function createBrowserServices(): AppServices {
  return {
    openVideo,
    openImageSequence,
    async loadNpmModels() {
      const { blazeFaceBack, faceApi68, manifest } = await loadNpmModels();
      const entries = manifest.models
        .filter((m) => USED_MODEL_FILES.includes(m.file))
        .map((m) => ({ file: m.file, package: m.source.package, version: m.source.version, license: m.license.spdx }));
      return { blazeFaceBack, faceApi68, entries };
    },
    createRunner: (models) => createAnalysisPool(models),
    openface: browserOpenFace(),
  };
}
