import type { Logger } from './logger.js';
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
export function formatStatsLines(stats: Stats, previous: Map<string, Map<string, number>>): string[] {
  const lines: string[] = [];
  for (const dest of stats.destinations()) {
    const e = stats.entry(dest);
    const prev = previous.get(dest) ?? new Map<string, number>();
    const now = new Map<string, number>();
    if (dest === PROCESS) {
      const samples = Object.entries(stats.readGauges(dest)).map(([name, v]) => `sample#${name}=${v}`);
      lines.push([`at=stats dest=${dest}`, ...samples].join(' '));
      continue;
    }
    const parts = [`at=stats dest=${dest}`];
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
    const parts = [`at=stats-total dest=${dest}`, `seen=${e.seen}`];
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
