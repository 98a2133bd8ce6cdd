/**
 * Reading our own l2met stats lines back (the inverse of reporter.ts's formatStatsLines),
 * for the tests, the bench and the demo, which all watch the CLI's stderr:
 *   source=traffic-duplicator at=stats dest=http://127.0.0.1:9001/ count#seen=12 count#mirrored=12 sample#queue_depth=0
 * `count#` values are deltas since the previous line of that destination (as l2met expects),
 * so a destination's totals are the sums over its lines; `sample#` values are the last seen.
 */

export interface StatsLine {
  dest: string;
  counts: Map<string, number>;
  samples: Map<string, number>;
}

export interface StatsTotals {
  /** Each counter summed over every line of the destination. */
  counts: Map<string, number>;
  /** Each sample's last value. */
  samples: Map<string, number>;
  /** How many lines were summed. */
  lines: number;
}

export function isStatsLine(line: string): boolean {
  return /(^|\s)at=stats(\s|$)/.test(line);
}

/** One line's destination, counters and samples; undefined for any other line. */
export function parseStatsLine(line: string): StatsLine | undefined {
  if (!isStatsLine(line)) return undefined;
  const tokens = line.trim().split(/\s+/);
  // dest is quoted (JSON) when it holds a space, a quote or an '=' (logger.formatValue).
  const d = /(?:^|\s)dest=("(?:[^"\\]|\\.)*"|\S+)/.exec(line)?.[1];
  const dest = d?.startsWith('"') ? (JSON.parse(d) as string) : d;
  if (!dest) return undefined;
  const parsed: StatsLine = { dest, counts: new Map(), samples: new Map() };
  for (const t of tokens) {
    const m = /^(count|sample)#([^=]+)=(-?\d+(?:\.\d+)?)$/.exec(t);
    if (m) (m[1] === 'count' ? parsed.counts : parsed.samples).set(m[2]!, Number(m[3]));
  }
  return parsed;
}

/** Totals per destination over every stats line in `lines` (other lines are skipped). */
export function sumStatsLines(lines: Iterable<string>): Map<string, StatsTotals> {
  const out = new Map<string, StatsTotals>();
  for (const line of lines) {
    const parsed = parseStatsLine(line);
    if (!parsed) continue;
    let totals = out.get(parsed.dest);
    if (!totals) out.set(parsed.dest, (totals = { counts: new Map(), samples: new Map(), lines: 0 }));
    totals.lines++;
    for (const [name, n] of parsed.counts) totals.counts.set(name, (totals.counts.get(name) ?? 0) + n);
    for (const [name, v] of parsed.samples) totals.samples.set(name, v);
  }
  return out;
}
