import type { Row } from './stats.js';
import type { Workload } from './wrk.js';

/** Markdown tables (printed to the console as-is, and written to bench/results.md). */

const f0 = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '–');
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');
const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '–');
const ms = (x: number) => (!Number.isFinite(x) ? '–' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const ratio = (a: number, b: number) => (Number.isFinite(a / b) && b !== 0 ? `${(a / b).toFixed(2)}×` : '–');

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function losses(r: Row): string {
  const e = Object.entries(r.tdLosses).filter(([, v]) => v > 0);
  return e.length ? e.map(([k, v]) => `${k}=${v}`).join(' ') : r.contender.startsWith('td') ? 'none' : '';
}

export function healthyTable(rows: Row[], w: Workload, order: string[]): string {
  const mine = order.map((c) => rows.find((r) => r.contender === c && r.workload === w.name)).filter((r): r is Row => !!r);
  return table(
    ['contender', 'req/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'proxy CPU s/10k', 'app CPU s/10k', 'peak RSS MB', 'delivery % per shadow', 'wrk errors', 'our drops/errors'],
    mine.map((r) => [
      r.contender, f0(r.rps), ms(r.p50), ms(r.p99), ms(r.p999), f3(r.cpuPer10k), f3(r.appCpuPer10k),
      r.contender === 'direct' ? '–' : f1(r.peakRssMb), r.delivery.map(f1).join(' / ') || '–', String(r.errors), losses(r),
    ]),
  );
}

function get(rows: Row[], c: string, w: string): Row | undefined {
  return rows.find((r) => r.contender === c && r.workload === w);
}

/** Each of ours against nginx with the same number of shadows, and against direct. */
export function ratioTable(rows: Row[], workloads: Workload[]): string {
  const out: string[][] = [];
  for (const w of workloads) {
    const d = get(rows, 'direct', w.name);
    for (const t of rows.filter((r) => r.workload === w.name && r.contender.startsWith('td'))) {
      const g = get(rows, `nginx-${t.delivery.length}`, w.name);
      out.push([
        w.name, t.contender, g?.contender ?? '–',
        g ? ratio(t.rps, g.rps) : '–', g ? ratio(t.p99, g.p99) : '–', g ? ratio(t.cpuPer10k, g.cpuPer10k) : '–', g ? ratio(t.peakRssMb, g.peakRssMb) : '–',
        d ? `${((100 * t.rps) / d.rps).toFixed(0)}%` : '–', d ? ratio(t.p99, d.p99) : '–',
        g && d ? `${((100 * g.rps) / d.rps).toFixed(0)}%` : '–',
      ]);
    }
  }
  return table(['workload', 'ours', 'vs', 'req/s', 'p99', 'CPU/req', 'RSS', 'ours req/s of direct', 'ours p99 vs direct', 'nginx req/s of direct'], out);
}

/** The issue's targets, for 2 shadows, one line each: reported, never asserted. */
export function targetLines(rows: Row[], workloads: Workload[], ours: string): string[] {
  const lines: string[] = [];
  const pf = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
  for (const w of workloads) {
    const t = get(rows, ours, w.name);
    const g = get(rows, 'nginx-2', w.name);
    const d = get(rows, 'direct', w.name);
    if (!t || !g) continue;
    const dropped = Object.values(t.tdLosses).reduce((s, v) => s + v, 0);
    const minDelivery = Math.min(...t.delivery);
    lines.push(
      `- ${ours} ${w.name}: ${pf(t.rps >= 2 * g.rps)} throughput ≥ 2× nginx (${ratio(t.rps, g.rps)}${dropped > 0 ? `, but ${(100 - minDelivery).toFixed(0)}% of copies dropped: not comparable` : ''}); ` +
        `${pf(t.p99 <= g.p99 / 2)} p99 ≤ ½ nginx (${ms(t.p99)} vs ${ms(g.p99)} ms); ` +
        `${pf(t.cpuPer10k <= g.cpuPer10k / 2)} CPU/req ≤ ½ nginx (${ratio(t.cpuPer10k, g.cpuPer10k)}); ` +
        `${pf(t.peakRssMb < 100)} RSS < 100 MB (${f1(t.peakRssMb)}); ` +
        `${pf(dropped === 0 && minDelivery >= 99.9)} 100% delivery (min ${f2(minDelivery)}%, ${dropped} dropped/failed); ` +
        (d ? `vs direct: ${((100 * t.rps) / d.rps).toFixed(0)}% of its req/s, p99 ${ratio(t.p99, d.p99)}` : ''),
    );
  }
  return lines;
}

export interface DegradedRow {
  mode: string;
  td: Row;
  nginx: Row;
}

function badDest(r: Row, url: string): string {
  // Our dest= names carry the URL's path ('/'), the shadow's url does not.
  const d = [...r.tdByDest].find(([k]) => k.replace(/\/$/, '') === url)?.[1];
  if (!d) return '–';
  const e = Object.entries(d).filter(([k]) => k !== 'seen');
  return e.length ? e.map(([k, v]) => `${k}=${v}`).join(' ') : 'nothing';
}

export function degradedTable(rows: DegradedRow[], badUrls: Map<string, string>): string {
  const base = rows.find((r) => r.mode === 'healthy');
  const out: string[][] = [];
  for (const r of rows) {
    for (const [who, x] of [['ours', r.td], ['nginx', r.nginx]] as const) {
      const b = base ? (who === 'ours' ? base.td : base.nginx) : undefined;
      out.push([
        r.mode, who, f0(x.rps), b ? `${((100 * x.rps) / b.rps).toFixed(0)}%` : '–', ms(x.p99), b ? ratio(x.p99, b.p99) : '–',
        f1(x.peakRssMb), f3(x.cpuPer10k), f1(x.delivery[0] ?? NaN), who === 'ours' ? badDest(x, badUrls.get(r.mode) ?? '') : 'n/a (no counters)', String(x.errors),
      ]);
    }
  }
  return table(['second shadow', 'proxy', 'req/s', 'req/s vs healthy', 'p99 ms', 'p99 vs healthy', 'peak RSS MB', 'CPU s/10k', 'healthy shadow delivery %', 'our counters for the bad shadow', 'wrk errors'], out);
}
