import { formatValue, type Logger } from './logger.js';
import { Stats, TAP, PROCESS } from './stats.js';

/**
 * One l2met line per destination, e.g.
 *   source=traffic-duplicator at=stats dest=http://shadow count#mirrored=120
 *   count#dropped.queue_full=3 count#errors.timeout=1 sample#queue_depth=0
 *   measure#latency.p50=4ms measure#latency.p99=31ms
 * Each count# is the delta since the previous report (l2met sums count# values, so
 * deltas keep its sums right); the cumulative totals are printed once, at exit, by
 * formatTotalLines.
 */
export function formatStatsLines(stats: Stats, previous: Map<string, Map<string, number>>, nowMs: number = performance.now()): string[] {
  const lines: string[] = [];
  for (const dest of stats.destinations()) {
    const e = stats.entry(dest);
    const prev = previous.get(dest) ?? new Map<string, number>();
    const now = new Map<string, number>();
    if (dest === PROCESS) {
      const samples = Object.entries(stats.readGauges(dest)).map(([name, v]) => `sample#${name}=${v}`);
      samples.push(...busyShares(stats.readBusy(dest), prev, now, nowMs));
      previous.set(dest, now);
      lines.push([`at=stats dest=${formatValue(dest)}`, ...samples].join(' '));
      continue;
    }
    // A destination is quoted when it must be (a file path with a space), as every logfmt value.
    const parts = [`at=stats dest=${formatValue(dest)}`];
    const count = (name: string, total: number) => {
      now.set(name, total);
      parts.push(`count#${name}=${total - (prev.get(name) ?? 0)}`);
    };
    count('seen', e.seen);
    if (dest !== TAP) count('mirrored', e.mirrored);
    for (const [reason, n] of Object.entries(e.dropped)) count(`dropped.${reason}`, n ?? 0);
    for (const [kind, n] of Object.entries(e.errors)) count(`errors.${kind}`, n);
    for (const [name, n] of Object.entries(e.counts ?? {})) count(name, n);
    for (const [name, v] of Object.entries(stats.readGauges(dest))) parts.push(`sample#${name}=${v}`);
    const lat = stats.takeLatency(dest);
    if (lat) {
      parts.push(`measure#latency.p50=${lat.p50.toFixed(1)}ms`);
      parts.push(`measure#latency.p99=${lat.p99.toFixed(1)}ms`);
      parts.push(`measure#latency.max=${lat.max.toFixed(1)}ms`);
    }
    previous.set(dest, now);
    lines.push(parts.join(' '));
  }
  return lines;
}

/** The shortest interval a busy share is printed for. */
const MIN_SHARE_WALL_MS = 500;

/**
 * Each busy time as a whole percentage of the wall time since the previous line (the first
 * line: since the process started, where performance.now() counts from). CPU can pass 100:
 * V8's collector and libuv's pool run on other threads.
 */
function busyShares(totals: Record<string, number>, prev: Map<string, number>, now: Map<string, number>, nowMs: number): string[] {
  const since = prev.get('@wall') ?? 0;
  const wall = nowMs - since;
  if (wall < MIN_SHARE_WALL_MS) {
    // Too soon after the last line (the one printed at exit can be): the share would be
    // noise, e.g. 100% busy for the callback printing it. Left out; the next line counts from the last.
    for (const [k, v] of prev) now.set(k, v);
    return [];
  }
  now.set('@wall', nowMs);
  const out: string[] = [];
  for (const [name, total] of Object.entries(totals)) {
    now.set(name, total);
    out.push(`sample#${name}=${Math.round((100 * (total - (prev.get(name) ?? 0))) / wall)}`);
  }
  return out;
}

/**
 * The cumulative totals since start, one line per destination, printed at exit beside the
 * last interval's deltas, e.g.
 *   source=traffic-duplicator at=stats-total dest=http://shadow seen=120 mirrored=118 dropped.queue_full=2
 * Plain keys, not count#: a log-metrics pipeline summing count# must not count them twice.
 */
export function formatTotalLines(stats: Stats): string[] {
  const lines: string[] = [];
  for (const dest of stats.destinations()) {
    if (dest === PROCESS) continue;
    const e = stats.entry(dest);
    const parts = [`at=stats-total dest=${formatValue(dest)}`, `seen=${e.seen}`];
    if (dest !== TAP) parts.push(`mirrored=${e.mirrored}`);
    for (const [reason, n] of Object.entries(e.dropped)) parts.push(`dropped.${reason}=${n ?? 0}`);
    for (const [kind, n] of Object.entries(e.errors)) parts.push(`errors.${kind}=${n}`);
    lines.push(parts.join(' '));
  }
  return lines;
}

/** Prints the stats lines every `intervalMs` (unref'd: it never keeps the process alive). */
export function startStatsReporter(stats: Stats, logger: Logger, intervalMs: number): { stop(final?: boolean): void } {
  const previous = new Map<string, Map<string, number>>();
  const report = () => {
    for (const l of formatStatsLines(stats, previous)) logger.line(l);
  };
  const timer = setInterval(report, intervalMs);
  timer.unref();
  return {
    stop(final = false) {
      clearInterval(timer);
      if (!final) return;
      report();
      for (const l of formatTotalLines(stats)) logger.line(l);
    },
  };
}
