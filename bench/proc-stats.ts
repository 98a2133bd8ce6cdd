import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/** CPU and memory of processes, from /proc: the same numbers for Node and nginx. */

let ticksPerSecond: number | undefined;
function clkTck(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime+stime of one process in seconds (0 if it is gone). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces: the fields we want come after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime is field 14, stime field 15.
    return (Number(fields[11]) + Number(fields[12])) / clkTck();
  } catch {
    return 0;
  }
}

function statusKb(pid: number, key: 'VmHWM' | 'VmRSS'): number {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * Starts a new peak: VmHWM becomes the current RSS (Linux's /proc/PID/clear_refs, "5"), so the
 * peak read after a round is that round's, not the process's lifetime's. False if refused.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Peak resident set size (VmHWM) in MiB. */
export const peakRssMb = (pid: number) => statusKb(pid, 'VmHWM') / 1024;
export const rssMb = (pid: number) => statusKb(pid, 'VmRSS') / 1024;

/** Direct children of a process (nginx master → worker). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(d));
    } catch {
      /* exited while we looked */
    }
  }
  return out;
}

/** Sums over a set of processes (a contender may be master + worker). */
export const sumCpu = (pids: number[]) => pids.reduce((s, p) => s + cpuSeconds(p), 0);
export const sumPeakRss = (pids: number[]) => pids.reduce((s, p) => s + peakRssMb(p), 0);
export const resetPeaks = (pids: number[]) => pids.map(resetPeakRss).every(Boolean);
