/**
 * How much memory the browser's pages hold, from the operating system's side:
 * the resident memory of the Chromium renderers this test process started
 * (the page, its dedicated workers and their WASM memory all live there).
 * The /proc readers are the browser benchmark's (scripts/bench/processMemory.ts).
 */
import { chromiumProcesses, procAvailable, processMemory } from '../../../scripts/bench/processMemory.ts';

const BYTES_PER_MB = 1024 * 1024;

/** The summed resident memory of our Chromium's renderers in bytes, or null without /proc. */
export function rendererRssBytes(): number | null {
  if (!procAvailable) return null;
  const renderers = chromiumProcesses().filter((p) => p.type === 'renderer');
  return renderers.reduce((total, p) => total + (processMemory(p.pid)?.rss_mb ?? 0) * BYTES_PER_MB, 0);
}
