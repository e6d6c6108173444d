/**
 * Memory of Chromium's processes as the kernel counts it (Linux /proc), for
 * the browser benchmark. The JS heap figures (CDP, measureUserAgentSpecificMemory)
 * leave out the video decoder's buffers, decoded frames, Blink's and the
 * allocators' own memory; the renderer's resident memory holds them all,
 * and the page's dedicated workers too: they are threads of the same process.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';

/** Megabytes (MiB) of one process, or of several summed (snake_case: it is the bench JSON's shape). */
export interface ProcessMemory {
  /** resident set: every page mapped in, shared ones counted in full */
  readonly rss_mb: number;
  /** proportional set: shared pages split between the processes sharing them */
  readonly pss_mb: number;
  /** unique set: pages only this process maps (Private_Clean + Private_Dirty) */
  readonly uss_mb: number;
}

export interface ChromiumProcess {
  readonly pid: number;
  /** Chromium's --type= (renderer, gpu-process, utility, zygote), or 'browser' for the main process */
  readonly type: string;
}

export const procAvailable = existsSync('/proc/self/smaps_rollup');

const KB_PER_MB = 1024;

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    // the process (or thread) ended between listing and reading: not an error for a sampler
    return null;
  }
}

function parentPid(pid: number): number | null {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // the command name (field 2) may hold spaces and parentheses: the fields after it start past the last ')'
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[1]);
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** Every process below `rootPid` (its children, their children...). */
export function descendants(rootPid: number): number[] {
  const children = new Map<number, number[]>();
  for (const pid of allPids()) {
    const parent = parentPid(pid);
    if (parent === null) continue;
    const list = children.get(parent) ?? [];
    list.push(pid);
    children.set(parent, list);
  }
  const found: number[] = [];
  const stack = [...(children.get(rootPid) ?? [])];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    found.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return found;
}

/**
 * The Chromium processes this Node process started (through playwright):
 * only our own descendants, so another Chromium on the machine (a parallel
 * e2e run) is never counted.
 */
export function chromiumProcesses(rootPid = process.pid): ChromiumProcess[] {
  const found: ChromiumProcess[] = [];
  for (const pid of descendants(rootPid)) {
    // Chromium's child processes rewrite their title: one space-joined string instead of NUL-separated arguments.
    const cmdline = readText(`/proc/${pid}/cmdline`) ?? '';
    const executable = cmdline.split(/[\0 ]/, 1)[0] ?? '';
    if (!/chrom/i.test(executable)) continue;
    const type = /(?:^|[\0 ])--type=([^\0 ]+)/.exec(cmdline)?.[1] ?? 'browser';
    found.push({ pid, type });
  }
  return found;
}

/** The kernel's names of a process's threads (comm, at most 15 characters). */
export function threadNames(pid: number): string[] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  return tids.map((tid) => readText(`/proc/${pid}/task/${tid}/comm`)?.trim() ?? '').filter((name) => name !== '');
}

/**
 * The renderer that hosts dedicated workers. CDP does not give a page's
 * process id (SystemInfo.getProcessInfo lists processes without saying which
 * page each serves), but Blink names a dedicated worker's thread
 * "DedicatedWorker thread" (comm: "DedicatedWorker"): with the app the only
 * page that starts workers, the renderer that has such threads is its own.
 * Null while none or more than one do.
 */
export function workerRenderer(rootPid = process.pid): number | null {
  const hosts = chromiumProcesses(rootPid).filter(
    (p) => p.type === 'renderer' && threadNames(p.pid).some((name) => name.startsWith('DedicatedWorker')),
  );
  return hosts.length === 1 ? hosts[0]!.pid : null;
}

export function isAlive(pid: number): boolean {
  return existsSync(`/proc/${pid}`);
}

function rollupKb(rollup: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup);
  return match ? Number(match[1]) : 0;
}

/** One process's memory from /proc/PID/smaps_rollup; null when it has ended. */
export function processMemory(pid: number): ProcessMemory | null {
  const rollup = readText(`/proc/${pid}/smaps_rollup`);
  if (rollup === null || rollup.trim() === '') return null;
  return {
    rss_mb: rollupKb(rollup, 'Rss') / KB_PER_MB,
    pss_mb: rollupKb(rollup, 'Pss') / KB_PER_MB,
    uss_mb: (rollupKb(rollup, 'Private_Clean') + rollupKb(rollup, 'Private_Dirty')) / KB_PER_MB,
  };
}

export const ZERO_MEMORY: ProcessMemory = { rss_mb: 0, pss_mb: 0, uss_mb: 0 };

export function addMemory(a: ProcessMemory, b: ProcessMemory): ProcessMemory {
  return { rss_mb: a.rss_mb + b.rss_mb, pss_mb: a.pss_mb + b.pss_mb, uss_mb: a.uss_mb + b.uss_mb };
}

export function maxMemory(a: ProcessMemory, b: ProcessMemory): ProcessMemory {
  return { rss_mb: Math.max(a.rss_mb, b.rss_mb), pss_mb: Math.max(a.pss_mb, b.pss_mb), uss_mb: Math.max(a.uss_mb, b.uss_mb) };
}

/**
 * The given processes summed (PSS is the figure that adds up without
 * counting shared libraries twice); a process that has ended counts 0.
 */
export function sumMemory(pids: readonly number[]): ProcessMemory {
  return pids.map((pid) => processMemory(pid) ?? ZERO_MEMORY).reduce(addMemory, ZERO_MEMORY);
}

/** A pair of readings: the page's renderer and every process of our Chromium. */
export interface MemoryReading {
  readonly renderer: ProcessMemory;
  readonly chromium: ProcessMemory;
}

export function readMemory(rendererPid: number): MemoryReading {
  return { renderer: processMemory(rendererPid) ?? ZERO_MEMORY, chromium: sumMemory(chromiumProcesses().map((p) => p.pid)) };
}

export interface SamplerResult {
  /** each figure's own maximum (RSS and PSS need not peak at the same sample) */
  readonly peak: ProcessMemory;
  readonly interval_ms: number;
  readonly samples: number;
  /** wall time one reading took this process: the kernel walks the process's mappings, on a CPU the page then lacks */
  readonly ms_per_sample: number;
}

/**
 * Reads `read()` every `intervalMs` until stopped and keeps the highest
 * value of each figure. A short interval catches a short peak, at a cost
 * that stop() reports.
 */
export class PeakSampler {
  #peak: ProcessMemory = ZERO_MEMORY;
  #samples = 0;
  #sampleMs = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly read: () => ProcessMemory,
    private readonly intervalMs: number,
  ) {
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), intervalMs);
  }

  #sample(): void {
    const started = performance.now();
    this.#peak = maxMemory(this.#peak, this.read());
    this.#samples++;
    this.#sampleMs += performance.now() - started;
  }

  /** the highest values so far (while sampling) */
  get peak(): ProcessMemory {
    return this.#peak;
  }

  /** Stops sampling, one last sample first. */
  stop(): SamplerResult {
    clearInterval(this.#timer);
    this.#sample();
    return { peak: this.#peak, interval_ms: this.intervalMs, samples: this.#samples, ms_per_sample: Math.round((this.#sampleMs / this.#samples) * 100) / 100 };
  }
}
