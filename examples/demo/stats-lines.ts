/**
 * Reads the duplicator's l2met stats lines back, e.g.
 *   source=traffic-duplicator at=stats dest=http://127.0.0.1:9001/ count#seen=12 count#mirrored=12 sample#queue_depth=0
 * `count#` values are deltas since the previous report (as l2met expects), so the totals
 * are the sums over every line of a destination; `sample#` values are the last seen.
 */
export interface DestTotals {
  counts: Map<string, number>;
  samples: Map<string, number>;
  lines: string[];
}

export function isStatsLine(line: string): boolean {
  return /(^|\s)at=stats(\s|$)/.test(line);
}

export function sumStatsLines(lines: Iterable<string>): Map<string, DestTotals> {
  const out = new Map<string, DestTotals>();
  for (const line of lines) {
    if (!isStatsLine(line)) continue;
    const tokens = line.trim().split(/\s+/);
    const dest = tokens.find((t) => t.startsWith('dest='))?.slice('dest='.length);
    if (!dest) continue;
    let d = out.get(dest);
    if (!d) out.set(dest, (d = { counts: new Map(), samples: new Map(), lines: [] }));
    d.lines.push(line);
    for (const t of tokens) {
      const m = /^(count|sample)#([^=]+)=(-?\d+(?:\.\d+)?)$/.exec(t);
      if (!m) continue;
      const [, kind, name, value] = m as unknown as [string, string, string, string];
      if (kind === 'count') d.counts.set(name, (d.counts.get(name) ?? 0) + Number(value));
      else d.samples.set(name, Number(value));
    }
  }
  return out;
}

/** The counters whose names start with `prefix` (e.g. 'dropped.'), without it, non-zero only. */
export function countsWithPrefix(d: DestTotals | undefined, prefix: string): Array<[string, number]> {
  if (!d) return [];
  return [...d.counts].filter(([k, v]) => k.startsWith(prefix) && v > 0).map(([k, v]) => [k.slice(prefix.length), v]);
}
