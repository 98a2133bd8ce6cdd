/**
 * Our proxy's l2met stats lines, read with telemetry's parseStatsLine. count# values are
 * deltas since the previous line, so cumulative totals are their sums.
 */
import type { StatsLine } from '../src/telemetry/stats-line.js';

export { parseStatsLine } from '../src/telemetry/stats-line.js';

export class TdCounters {
  readonly #totals = new Map<string, Record<string, number>>();
  #lines = 0;

  add(s: StatsLine): void {
    const t = this.#totals.get(s.dest) ?? {};
    for (const [k, v] of s.counts) t[k] = (t[k] ?? 0) + v;
    this.#totals.set(s.dest, t);
    this.#lines++;
  }

  /** How many stats lines were read (to wait for the next one after a round). */
  get lines(): number {
    return this.#lines;
  }

  snapshot(): Map<string, Record<string, number>> {
    return new Map([...this.#totals].map(([d, t]) => [d, { ...t }]));
  }
}

/** after − before, per destination, zero counts left out. */
export function diffCounters(
  before: Map<string, Record<string, number>>,
  after: Map<string, Record<string, number>>,
): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  for (const [dest, t] of after) {
    const b = before.get(dest) ?? {};
    const d: Record<string, number> = {};
    for (const [k, v] of Object.entries(t)) if (v - (b[k] ?? 0) !== 0) d[k] = v - (b[k] ?? 0);
    out.set(dest, d);
  }
  return out;
}
