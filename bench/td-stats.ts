/**
 * Our proxy's l2met stats lines, e.g.
 *   source=traffic-duplicator at=stats dest=http://127.0.0.1:9001 count#seen=12 count#mirrored=12
 *   count#dropped.queue_full=3 count#errors.timeout=1 sample#queue_depth=0
 * count# values are deltas since the previous line, so cumulative totals are their sums.
 */
export interface StatsLine {
  dest: string;
  counts: Record<string, number>;
}

export function parseStatsLine(line: string): StatsLine | undefined {
  if (!line.includes('at=stats')) return undefined;
  const dest = line.match(/\bdest=(\S+)/)?.[1];
  if (!dest) return undefined;
  const counts: Record<string, number> = {};
  for (const m of line.matchAll(/\bcount#([\w.]+)=(\d+)/g)) counts[m[1]!] = Number(m[2]);
  return { dest, counts };
}

export class TdCounters {
  readonly #totals = new Map<string, Record<string, number>>();
  #lines = 0;

  add(s: StatsLine): void {
    const t = this.#totals.get(s.dest) ?? {};
    for (const [k, v] of Object.entries(s.counts)) t[k] = (t[k] ?? 0) + v;
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
