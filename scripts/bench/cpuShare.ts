/**
 * How much of the machine something else used while a figure was measured.
 * On a 2-core machine shared with other work (a test run in another
 * terminal), a throughput figure means little without it, and the load
 * average cannot tell: it lags by a minute and counts our own CLI runs just
 * before. Linux /proc only; null elsewhere.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { descendants } from './processMemory.ts';

/** /proc's clock ticks per second (USER_HZ), 100 on every mainstream Linux build */
const TICKS_PER_SECOND = 100;

const procStat = existsSync('/proc/stat');

/** Ticks all CPUs spent doing anything but idling (idle and iowait left out). */
function machineBusyTicks(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
  return user + nice + system + irq + softirq + steal;
}

/** User and system ticks of one process (fields 14 and 15 of /proc/PID/stat); 0 once it has ended. */
function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the command name, which may hold spaces: state is field 3, utime 14, stime 15
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/** This process and everything it started (Chromium and its helpers). */
function ownTicks(): number {
  return [process.pid, ...descendants(process.pid)].reduce((sum, pid) => sum + processTicks(pid), 0);
}

export interface CpuWatch {
  /** share of all CPUs (percent) that processes other than ours used since the watch started */
  stop(): number | null;
}

export function watchOtherCpu(): CpuWatch {
  if (!procStat) return { stop: () => null };
  const started = performance.now();
  const busy = machineBusyTicks();
  const own = ownTicks();
  return {
    stop() {
      const seconds = (performance.now() - started) / 1000;
      // a process of ours that ended meanwhile takes its ticks along and counts as "other": the figure errs high, never low
      const otherTicks = Math.max(0, machineBusyTicks() - busy - (ownTicks() - own));
      const share = otherTicks / TICKS_PER_SECOND / (seconds * availableParallelism());
      return Math.round(share * 1000) / 10;
    },
  };
}
