/**
 * The CLI's memory over a long video, for `npm run bench -- --long`: one
 * `process` run in a child process of its own (so nothing of the bench is
 * counted), measured by the kernel. Idle is the resident memory once the
 * models are loaded and the first frame is about to be read (after a full
 * garbage collection); the peak is
 * the kernel's high-water mark (VmHWM, reset at idle through
 * /proc/self/clear_refs, so no sampling can miss it) read right after the
 * CSV's last byte was written. The CSV's rows are then counted from disk.
 *
 * Landmarks: 'own' runs SplitFace's tracker (as a user runs the CLI);
 * 'replay' replays OpenFace 2.2's landmarks of the looped clip
 * (reference-2.2/CLIP.csv, frame n taking row ((n - 1) mod rows) + 1),
 * which matches a video made by looping that clip and skips the tracker,
 * whose memory does not depend on the video's length, at a third of the
 * time. Both spill rows, postprocess and write the CSV the same way.
 *
 *   tsx scripts/bench/cliMemory.ts VIDEO own|replay REFERENCE_CSV   (prints one JSON line)
 */
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processVideo } from '../../src/cli/processVideo.ts';
import { csvFaceSource, type FaceSource } from '../../src/cli/faceSources.ts';
import { parseLandmarkCsv } from '../../src/core/csv/landmarkCsv.ts';
import { DEFAULT_EXECUTION_PROVIDER } from '../../src/models/node.ts';
import { ROW_RECORD_BYTES } from '../../src/core/analysis/rowRecord.ts';
import { OPENFACE_MODELS } from '../sharedData.ts';

export type LandmarkMode = 'own' | 'replay';

export interface CliMemoryFigures {
  readonly video: string;
  readonly landmarks: LandmarkMode;
  readonly frames: number;
  readonly csv_rows: number;
  readonly seconds: number;
  /** resident memory with the models loaded, before the first frame */
  readonly idle_mb: number;
  /** the highest resident memory from the first frame to the CSV's last byte */
  readonly peak_mb: number;
  /** peak - idle */
  readonly growth_mb: number;
  /** the highest resident memory while the frames were analysed (before the postprocessing and the CSV) */
  readonly peak_frames_mb: number;
}

function statusKb(field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  if (!match) throw new Error(`no ${field} in /proc/self/status`);
  return Number(match[1]);
}

/** The CSV's data rows (lines after the header), read from disk in pieces. */
export async function csvRowCount(path: string): Promise<number> {
  let lines = 0;
  for await (const chunk of createReadStream(path)) {
    const bytes = chunk as Buffer;
    for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) lines++;
  }
  return lines - 1;
}

/** OpenFace's landmarks of the looped clip, replayed cyclically (its rows parsed once: constant memory). */
export function replaySource(referenceCsv: string): FaceSource {
  const rows = parseLandmarkCsv(readFileSync(referenceCsv, 'utf8'), referenceCsv).length;
  const inner = csvFaceSource(referenceCsv);
  return {
    async facesIn(frame) {
      const faces = await inner.facesIn({ ...frame, index: frame.index % rows });
      return faces.map((face) => ({ ...face, frame: frame.index + 1, timestamp: frame.timestamp }));
    },
    timings: () => inner.timings(),
    get provenance() {
      return { source: 'openface-csv, replayed cyclically', file: referenceCsv, rows };
    },
    note: () => inner.note(),
    release: () => inner.release(),
  };
}

/** seconds between two progress lines on stderr */
const PROGRESS_SECONDS = 60;

/**
 * The rows spilled so far (frames analysed, to within one write batch), from
 * the size of the record store's file in the temp dir (fileRecordStore.ts);
 * null unless exactly one such file is there (runs sharing TMPDIR).
 */
function spilledRows(): number | null {
  const dirs = readdirSync(tmpdir()).filter((name) => name.startsWith('splitface-rows-'));
  if (dirs.length !== 1) return null;
  try {
    return Math.floor(statSync(join(tmpdir(), dirs[0]!, 'rows.bin')).size / ROW_RECORD_BYTES);
  } catch {
    return null;
  }
}

/**
 * Every PROGRESS_SECONDS: frames so far, resident memory and its high-water
 * mark, to stderr, so a run of hours shows its slope as it goes (and what it
 * reached should it be stopped). The high-water mark counts from idle.
 */
function progressLines(video: string): () => void {
  const started = performance.now();
  const mb = (kb: number) => (kb / 1024).toFixed(1);
  const timer = setInterval(() => {
    const rows = spilledRows();
    const seconds = Math.round((performance.now() - started) / 1000);
    console.error(`cli memory ${basename(video)}: ${seconds} s, frames ${rows ?? '?'}, resident ${mb(statusKb('VmRSS'))} MB, peak ${mb(statusKb('VmHWM'))} MB`);
  }, PROGRESS_SECONDS * 1000);
  timer.unref();
  return () => clearInterval(timer);
}

async function measureHere(video: string, mode: LandmarkMode, referenceCsv: string): Promise<CliMemoryFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'splitface-bench-cli-'));
  try {
    const out = join(dir, `${basename(video)}.csv`);
    let idleKb = 0;
    let peakKb = 0;
    let framesPeakKb = 0;
    let stopProgress = () => {};
    const summary = await processVideo({
      video,
      models: OPENFACE_MODELS,
      landmarksFrom: undefined,
      faceSource: mode === 'replay' ? replaySource(referenceCsv) : undefined,
      out,
      hogOut: undefined,
      alignedOut: undefined,
      fps: 30,
      allFaces: false,
      executionProvider: DEFAULT_EXECUTION_PROVIDER,
      onStage(stage) {
        if (stage === 'frames') {
          // a collection first, so idle does not depend on when V8 last collected after loading the models
          (globalThis as { gc?: () => void }).gc?.();
          idleKb = statusKb('VmRSS');
          // from here on, VmHWM is the peak of this run
          writeFileSync('/proc/self/clear_refs', '5');
          console.error(`cli memory ${basename(video)}: idle ${(idleKb / 1024).toFixed(1)} MB`);
          stopProgress = progressLines(video);
        } else if (stage === 'postprocess') {
          framesPeakKb = statusKb('VmHWM');
        } else {
          peakKb = statusKb('VmHWM');
          stopProgress();
        }
      },
    });
    const mb = (kb: number) => Math.round(kb / 102.4) / 10;
    return {
      video: basename(video),
      landmarks: mode,
      frames: summary.frames,
      csv_rows: await csvRowCount(summary.out),
      seconds: Math.round(summary.seconds),
      idle_mb: mb(idleKb),
      peak_mb: mb(peakKb),
      growth_mb: mb(peakKb - idleKb),
      peak_frames_mb: mb(framesPeakKb),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the measurement in a child process (this file as its entry); resolves with its figures. */
export function measureCliMemory(video: string, mode: LandmarkMode, referenceCsv: string): Promise<CliMemoryFigures> {
  const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
  const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --expose-gc`.trim() };
  const child = spawn(tsx, [fileURLToPath(import.meta.url), video, mode, referenceCsv], { stdio: ['ignore', 'pipe', 'inherit'], env });
  let stdout = '';
  child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0) reject(new Error(`the CLI memory run on ${basename(video)} exited with ${code}`));
      else resolve(JSON.parse(line) as CliMemoryFigures);
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [video, mode, referenceCsv] = process.argv.slice(2);
  if (!video || !existsSync(video) || (mode !== 'own' && mode !== 'replay') || !referenceCsv) {
    console.error('usage: tsx scripts/bench/cliMemory.ts VIDEO own|replay REFERENCE_CSV');
    process.exit(2);
  }
  console.log(JSON.stringify(await measureHere(video, mode, referenceCsv)));
}
