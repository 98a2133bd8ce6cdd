/**
 * Reads the duplicator's l2met stats lines back with telemetry's reader (count# values are
 * deltas, summed per destination; sample# values are the last seen).
 */
import type { StatsTotals } from '../../src/telemetry/stats-line.js';

export { isStatsLine, sumStatsLines, type StatsTotals as DestTotals } from '../../src/telemetry/stats-line.js';

/** The counters whose names start with `prefix` (e.g. 'dropped.'), without it, non-zero only. */
export function countsWithPrefix(d: StatsTotals | undefined, prefix: string): Array<[string, number]> {
  if (!d) return [];
  return [...d.counts].filter(([k, v]) => k.startsWith(prefix) && v > 0).map(([k, v]) => [k.slice(prefix.length), v]);
}
