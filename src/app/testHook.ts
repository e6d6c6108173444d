/**
 * A read-only window into the app for end-to-end tests (and for curious
 * users in the console): `window.__splitface.jobs()` lists the batch as plain
 * data (without CSV text or chart series), `window.__splitface.csv(name)`
 * gives one job's CSV by its file name or CSV name. Nothing in the app reads
 * it. Two things in it change what the app does, for tests only:
 * `startShift({frames, dx, dy})` makes the videos added from then on start
 * their track from a box moved off the face (StartBoxShift); null ends it.
 * `mirrorFolder(handle)` gives Face Mirror a folder to write into, as the
 * folder picker does (headless tests cannot click a native picker).
 */
import type { BatchController, JobSnapshot } from './batch/controller.svelte.ts';
import type { ModelController } from './batch/models.svelte.ts';
import type { ModelStatus } from './batch/types.ts';
import { checkStartBoxShift, type StartBoxShift } from '../core/track/singleFaceTracker.ts';

export interface SplitFaceTestHook {
  jobs(): JobSnapshot[];
  csv(name: string): Promise<string | null>;
  models(): ModelStatus & { readonly engine: string; readonly engineError: string; readonly error: string };
  /** tests only: videos added from now on start their track from a box moved off the face; null: as normal */
  startShift(shift: StartBoxShift | null): void;
  /** tests only: Face Mirror's files of the videos added from now on go into this folder (null: OPFS), as if picked */
  mirrorFolder(folder: FileSystemDirectoryHandle | null): void;
  /** a Face Mirror job's files (name, kind, bytes), notes and summary, by the video's file name; null when none */
  mirror(name: string): {
    readonly outputs: { readonly name: string; readonly kind: string; readonly bytes: number }[];
    readonly notes: readonly string[];
    readonly summary: Record<string, unknown>;
    readonly stageMs: Record<string, number>;
    /** step 1's and step 2's frames, and whether the run was stopped early */
    readonly frames: number;
    readonly mirroredFrames: number;
    readonly partial: boolean;
  } | null;
}

declare global {
  interface Window {
    /** test hook, see src/app/testHook.ts */
    readonly __splitface?: SplitFaceTestHook;
  }
}

export function installTestHook(target: Window, batch: BatchController, models: ModelController): void {
  const hook: SplitFaceTestHook = Object.freeze({
    jobs: () => batch.snapshot(),
    csv: (name: string) => batch.csv(name),
    mirror: (name: string) => {
      const result = batch.jobs.find((j) => j.name === name)?.mirrorResult;
      if (!result) return null;
      const { frames, mirroredFrames, partial } = result;
      return { outputs: result.outputs.map((o) => ({ name: o.name, kind: o.kind, bytes: o.file.size })), notes: [...result.notes], summary: result.summary, stageMs: { ...result.stageMs }, frames, mirroredFrames, partial };
    },
    models: () => ({ ...models.status, engine: models.engine, engineError: models.engineError, error: models.error }),
    mirrorFolder: (folder: FileSystemDirectoryHandle | null) => {
      batch.mirrorFolder = folder;
    },
    startShift: (shift: StartBoxShift | null) => {
      batch.testStartShift = shift ? checkStartBoxShift({ frames: shift.frames, dx: shift.dx, dy: shift.dy }) : null;
    },
  });
  Object.defineProperty(target, '__splitface', { value: hook, writable: false, configurable: false, enumerable: false });
}
