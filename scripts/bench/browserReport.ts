/**
 * The browser section of `npm run bench`'s human output: Markdown tables,
 * like the CLI section above it, so both paste into docs/benchmarks.md.
 */
import type { BrowserFigures, BrowserOutcome, LongMemory, MemoryFigures, MemoryPoint } from './browserBench.ts';
import { LONG_FLAT_MB, LONG_GROWTH_LIMIT_MB } from './cliMemoryReport.ts';
import type { MemoryReading, ProcessMemory } from './processMemory.ts';

export const BROWSER_TITLE = 'browser (headless Chromium)';

type Figure = (m: ProcessMemory) => number;

const mb = (x: number | null): string => (x === null ? '–' : x.toFixed(1));
const percent = (x: number | null): string => (x === null ? '–' : `${x}%`);
const signedMb = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(1)}`;

function memoryRow(label: string, pick: (r: MemoryReading) => ProcessMemory, figure: Figure, m: MemoryFigures): string {
  const cells = [m.start, m.peak, m.end].map((r) => mb(figure(pick(r))));
  return `| ${label} | ${cells.join(' | ')} | ${signedMb(figure(pick(m.growth)))} |`;
}

function heapRow(label: string, pick: (p: MemoryPoint) => number | null, m: MemoryFigures): string {
  const start = pick(m.start);
  const end = pick(m.end);
  const growth = start === null || end === null ? '–' : signedMb(end - start);
  return `| ${label} | ${mb(start)} | – | ${mb(end)} | ${growth} |`;
}

function memoryLines(m: MemoryFigures): string[] {
  const renderer = (r: MemoryReading): ProcessMemory => r.renderer;
  const chromium = (r: MemoryReading): ProcessMemory => r.chromium;
  const run = m.run;
  return [
    `memory while ${run.video} runs (${run.size ?? '?'}, ${run.frames} frames in ${run.seconds} s, ${run.fps} fps, other processes' CPU ${percent(run.other_cpu_percent)}), MB`,
    `(start and end: after garbage collection of the page and its workers, once the renderer settled; peak: read every ${m.sampling.renderer.interval_ms} ms, ${m.sampling.renderer.ms_per_sample} ms per reading)`,
    '| MB | start | peak | end | end − start |',
    '|---|---|---|---|---|',
    memoryRow('renderer PSS (page + its workers)', renderer, (x) => x.pss_mb, m),
    memoryRow('renderer USS', renderer, (x) => x.uss_mb, m),
    memoryRow('renderer RSS', renderer, (x) => x.rss_mb, m),
    memoryRow('all Chromium processes PSS', chromium, (x) => x.pss_mb, m),
    heapRow('page JS heap (CDP)', (p) => p.page_js_heap_mb, m),
    heapRow('measureUserAgentSpecificMemory', (p) => p.ua_specific_mb, m),
    `renderer PSS end − start ${signedMb(m.growth.renderer.pss_mb)} MB: ${m.within_limit ? 'within' : 'OVER'} the ${m.limit_mb} MB limit`,
    `renderer PSS peak − start ${signedMb(m.peak_growth.renderer.pss_mb)} MB (all Chromium processes ${signedMb(m.peak_growth.chromium.pss_mb)} MB)` +
      (m.csv_rows === null ? '' : `; CSV rows ${m.csv_rows} for ${m.run.frames} frames`),
  ];
}

/** The long videos: each one's figures, then issue #14's bars on the renderer's peak above its start. */
function longLines(long: readonly LongMemory[]): string[] {
  const lines: string[] = [];
  const measured: (LongMemory & MemoryFigures)[] = [];
  for (const m of long) {
    lines.push('', `${m.label} (${m.frames} frames):`);
    if ('skipped' in m) lines.push(`memory: skipped, ${m.skipped}`);
    else {
      lines.push(...memoryLines(m));
      measured.push(m);
    }
  }
  if (measured.length > 0) {
    lines.push('', '| long video | frames | CSV rows | renderer PSS start | peak | peak − start | all Chromium peak − start |', '|---|---|---|---|---|---|---|');
    for (const m of measured) {
      lines.push(`| ${m.label} | ${m.run.frames} | ${m.csv_rows ?? '–'} | ${mb(m.start.renderer.pss_mb)} | ${mb(m.peak.renderer.pss_mb)} | ${signedMb(m.peak_growth.renderer.pss_mb)} | ${signedMb(m.peak_growth.chromium.pss_mb)} |`);
    }
    const growths = measured.map((m) => m.peak_growth.renderer.pss_mb);
    const under = growths.every((g) => g < LONG_GROWTH_LIMIT_MB);
    lines.push(`renderer peak − start under ${LONG_GROWTH_LIMIT_MB} MB: ${under ? 'met' : 'NOT met'}`);
    if (measured.length === 2) {
      const spread = Math.abs(measured[1]!.peak.renderer.pss_mb - measured[0]!.peak.renderer.pss_mb);
      lines.push(`30-minute peak within ${LONG_FLAT_MB} MB of the 9-minute peak: ${spread <= LONG_FLAT_MB ? 'met' : 'NOT met'} (${spread.toFixed(1)} MB apart)`);
    }
  }
  return lines;
}

function memorySection(m: MemoryFigures | { readonly skipped: string }): string[] {
  return 'skipped' in m ? [`memory: skipped, ${m.skipped}`] : memoryLines(m);
}

function figuresLines(b: BrowserFigures): string[] {
  const t = b.throughput;
  const memory = memorySection(b.memory);
  const long = b.memory_long ? longLines(b.memory_long) : [];
  return [
    `${BROWSER_TITLE}: Chromium ${b.chromium}, ${b.compute_path}${b.cross_origin_isolated ? ', cross-origin isolated' : ''}; fps = frames / wall time from adding the file to the job done`,
    '| video | size | decoder | frames | seconds | fps | other processes\' CPU |',
    '|---|---|---|---|---|---|---|',
    `| ${t.video} | ${t.size ?? '?'} | ${t.decoder ?? '?'} | ${t.frames} | ${t.seconds} | **${t.fps}** | ${percent(t.other_cpu_percent)} |`,
    `target ≥ ${t.target_fps} fps: ${t.meets_target ? 'met' : 'NOT met'}`,
    '',
    ...memory,
    ...long,
  ];
}

export function browserLines(outcome: BrowserOutcome): string[] {
  if ('skipped' in outcome) return [`${BROWSER_TITLE}: skipped, ${outcome.skipped}`];
  return figuresLines(outcome);
}
