import type { Row } from './stats.js';
import type { Workload } from './wrk.js';
import type { ColdRow } from './cold.js';
import type { RateSample } from './fixed-rate.js';

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

const pf = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

/** Fixed-rate rows: latency, and what each proxy adds over direct at the same rate. */
export function fixedRateTable(samples: RateSample[]): string {
  const out: string[][] = [];
  for (const s of samples) {
    const d = samples.find((x) => x.rate === s.rate && x.contender === 'direct');
    out.push([
      s.rate, s.contender, f0(s.requests), ms(s.p50), ms(s.p99),
      d && s.contender !== 'direct' ? `+${f2(s.p50 - d.p50)}` : '–', d && s.contender !== 'direct' ? `+${f2(s.p99 - d.p99)}` : '–',
      s.contender === 'direct' ? '–' : f1(s.peakRssMb),
    ]);
  }
  return table(['rate × clients', 'contender', 'requests', 'p50 ms', 'p99 ms', 'added p50 ms', 'added p99 ms', 'peak RSS MB'], out);
}

export function coldTable(rows: ColdRow[]): string {
  return table(
    ['contender', 'rounds', 'req/s', 'p99 ms', 'proxy CPU s/10k', 'peak RSS MB', 'lowest delivery %'],
    rows.map((r) => [r.contender, String(r.rounds), f0(r.rps), ms(r.p99), f3(r.cpuPer10k), f1(r.peakRssMb), f1(r.deliveryPct)]),
  );
}

/**
 * Issue 8's targets for td-2 (shipped defaults, two shadows) against nginx-2 in the same
 * run: one line each, PASS/FAIL with the figure and its ratio. Reported, never asserted.
 */
export function issue8Targets(i: {
  rows: Row[];
  workloads: Workload[];
  idle: { td: number; nginx: number; tdSettled: number; nginxSettled: number };
  fixed: RateSample[];
  degraded: DegradedRow[] | undefined;
  cold: ColdRow[];
}): string[] {
  const lines: string[] = [];
  const t = (w: string) => get(i.rows, 'td-2', w);
  const g = (w: string) => get(i.rows, 'nginx-2', w);
  // 1. memory
  const peaks = i.workloads.map((w) => t(w.name)?.peakRssMb ?? NaN);
  const peak = Math.max(...peaks);
  lines.push(`- 1 memory: ${pf(peak <= 64)} peak RSS ≤ 64 MB on every workload, two healthy shadows (${f1(peak)} MB, ${ratio(peak, 64)} of target; per workload ${peaks.map(f1).join(' / ')})`);
  const hole = i.degraded?.find((r) => r.mode === 'blackhole');
  if (hole) lines.push(`- 1 memory: ${pf(hole.td.peakRssMb <= 80)} peak RSS ≤ 80 MB with one shadow black-holed at full load (${f1(hole.td.peakRssMb)} MB, ${ratio(hole.td.peakRssMb, 80)})`);
  lines.push(`- 1 memory: ${pf(i.idle.tdSettled <= 45)} idle RSS ≤ 45 MB, settled (${f1(i.idle.tdSettled)} MB, ${ratio(i.idle.tdSettled, 45)}; 1 s after start ${f1(i.idle.td)} MB; nginx-2 ${f1(i.idle.nginxSettled)} MB)`);
  // 2. CPU and 3. throughput
  for (const w of i.workloads) {
    const a = t(w.name);
    const b = g(w.name);
    if (!a || !b) continue;
    const cpuLimit = w.close ? 1 : 0.5;
    const rpsLimit = w.close ? 1 : 2;
    lines.push(`- 2 CPU ${w.name}: ${pf(a.cpuPer10k <= cpuLimit * b.cpuPer10k)} CPU/req ≤ ${cpuLimit === 1 ? '1×' : '½'} nginx (${ratio(a.cpuPer10k, b.cpuPer10k)}: ${f3(a.cpuPer10k)} vs ${f3(b.cpuPer10k)} s/10k)`);
    lines.push(`- 3 throughput ${w.name}: ${pf(a.rps >= rpsLimit * b.rps)} req/s ≥ ${rpsLimit}× nginx (${ratio(a.rps, b.rps)}: ${f0(a.rps)} vs ${f0(b.rps)})`);
  }
  // 4. fixed rate
  const at = (c: string, rate: string) => i.fixed.find((x) => x.contender === c && x.rate === rate);
  for (const rate of [...new Set(i.fixed.map((x) => x.rate))]) {
    const d = at('direct', rate);
    const a = at('td-2', rate);
    const b = at('nginx-2', rate);
    if (!d || !a || !b) continue;
    const p50 = a.p50 - d.p50;
    const p99 = a.p99 - d.p99;
    const n50 = b.p50 - d.p50;
    const n99 = b.p99 - d.p99;
    // The relay alone (no outputs), when measured: the floor of any byte relay on this host.
    const r = at('td-relay', rate);
    const floor = r ? `; the relay alone adds +${f2(r.p50 - d.p50)} / +${f2(r.p99 - d.p99)}` : '';
    if (rate.endsWith('×5')) {
      lines.push(`- 4 fixed rate ${rate}: ${pf(p50 <= 0.2)} added p50 ≤ 0.2 ms (+${f2(p50)}); ${pf(p99 <= 1)} added p99 ≤ 1 ms (+${f2(p99)}); nginx adds +${f2(n50)} / +${f2(n99)}${floor}`);
    } else {
      lines.push(`- 4 fixed rate ${rate}: ${pf(p50 < n50)} added p50 below nginx's (+${f2(p50)} vs +${f2(n50)}); ${pf(p99 < n99)} added p99 below nginx's (+${f2(p99)} vs +${f2(n99)})${floor}`);
    }
  }
  // 5. cold start
  const ct = i.cold.find((r) => r.contender.startsWith('td'));
  const cn = i.cold.find((r) => r.contender.startsWith('nginx'));
  if (ct && cn) {
    lines.push(`- 5 cold start: ${pf(ct.p99 <= 1.5 * cn.p99)} p99 ≤ 1.5× nginx's cold p99 (${ratio(ct.p99, cn.p99)}: ${ms(ct.p99)} vs ${ms(cn.p99)} ms); ${pf(ct.rps >= cn.rps)} req/s ≥ nginx's (${ratio(ct.rps, cn.rps)}); lowest delivery ${f1(ct.deliveryPct)}% vs nginx's ${f1(cn.deliveryPct)}%`);
  }
  // 6. delivery
  for (const w of i.workloads) {
    const a = t(w.name);
    if (!a) continue;
    const lost = Object.values(a.tdLosses).reduce((x, v) => x + v, 0);
    const min = Math.min(...a.delivery);
    lines.push(`- 6 delivery ${w.name}: ${pf(lost === 0 && min >= 99.9)} 100% when shadows keep up (min ${f2(min)}%, ${lost} dropped/failed)`);
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
