/**
 * The fleet report: every instance's CompareReport merged into one of the same shape, plus the
 * list of instances. What is exact and what is not (docs/fleet.md says the same):
 * - counts (compared, statuses, unpaired, anomalies, field differences, store) are added: exact;
 * - verdicts are recomputed from the merged counts with compare's rules: --compare-ignore stays
 *   ignored; with a control, Diffy's rule (controlVerdict) on the merged rates; without one, a
 *   field is noise if any instance saw production itself vary there (volatility is a union);
 * - an endpoint's `different` (pairs with at least one real difference) needs each pair's set of
 *   differing fields, which a report does not carry: it is exact where the merged verdicts agree
 *   with the instance's own, else a lower bound (the largest field count among the fields that
 *   are still differences) — such endpoints are counted in `merge.inexact_endpoints`;
 * - latency percentiles: the reservoirs are not in the summary, so p50/p90/p99 are the
 *   count-weighted mean of the instances' (exact when the instances see the same distribution;
 *   a slow minority instance is diluted: look at `instances` and their own reports for it).
 */
import { controlVerdict } from './noise.js';
import type { CompareReport, DestinationReport, EndpointReport, FieldReport, FieldSample, Percentiles, Verdict } from './types.js';

export interface FleetInstance {
  readonly instance: string;
  readonly started: string;
  readonly updated: string;
  /** Pairs this instance compared, over all destinations. */
  readonly compared: number;
}

export interface FleetReport extends CompareReport {
  readonly instances: readonly FleetInstance[];
  readonly merge: { readonly latency: 'count_weighted_mean'; readonly inexact_endpoints: number };
}

const SAMPLES_PER_FIELD = 3;
const PRODUCTION_VARIES = 'production itself varies here for identical requests';

export function mergeReports(reports: readonly CompareReport[]): FleetReport {
  const instances = reports.map((r) => ({
    instance: r.instance,
    started: r.started,
    updated: r.updated,
    compared: r.destinations.reduce((n, d) => n + d.compared, 0),
  }));
  instances.sort((a, b) => (a.instance < b.instance ? -1 : a.instance > b.instance ? 1 : 0));
  const destKeys = new Map<string, DestinationReport[]>();
  for (const r of reports) for (const d of r.destinations) push(destKeys, `${d.role} ${d.url}`, d);
  const control = [...destKeys.values()].find((ds) => ds[0]!.role === 'control');
  const controlMerged = control ? mergeDestination(control, undefined, { inexact: 0 }) : undefined;
  const tally = { inexact: 0 };
  const destinations = [...destKeys.values()].map((ds) => (ds[0]!.role === 'control' ? controlMerged! : mergeDestination(ds, controlMerged, tally)));
  const totalCompared = instances.reduce((n, i) => n + i.compared, 0);
  const sum = (f: (s: CompareReport['store']) => number) => reports.reduce((n, r) => n + f(r.store), 0);
  return {
    instance: 'fleet',
    started: minOf(reports.map((r) => r.started)) ?? new Date(0).toISOString(),
    updated: maxOf(reports.map((r) => r.updated)) ?? new Date(0).toISOString(),
    sample_percent: samplePercent(reports),
    destinations,
    store: {
      bytes: sum((s) => s.bytes),
      max_bytes: sum((s) => s.max_bytes),
      samples_dropped: sum((s) => s.samples_dropped),
      pending: sum((s) => s.pending),
      errors: sum((s) => s.errors),
    },
    instances,
    merge: { latency: 'count_weighted_mean', inexact_endpoints: tally.inexact },
  };
}

/** Weighted by pairs compared (the instances normally share one --compare-sample). */
function samplePercent(reports: readonly CompareReport[]): number {
  let pairs = 0;
  let weighted = 0;
  for (const r of reports) {
    const n = r.destinations.reduce((m, d) => m + d.compared, 0);
    pairs += n;
    weighted += r.sample_percent * n;
  }
  return pairs === 0 ? (reports[0]?.sample_percent ?? 100) : Math.round((weighted / pairs) * 100) / 100;
}

function mergeDestination(ds: readonly DestinationReport[], control: DestinationReport | undefined, tally: { inexact: number }): DestinationReport {
  const byEndpoint = new Map<string, EndpointReport[]>();
  for (const d of ds) for (const e of d.endpoints) push(byEndpoint, `${e.method} ${e.route}`, e);
  const endpoints = [...byEndpoint.values()].map((es) => mergeEndpoint(es, ds[0]!.role, control, tally));
  endpoints.sort((a, b) => rate(b) - rate(a) || b.compared - a.compared || (a.route < b.route ? -1 : 1));
  return {
    url: ds[0]!.url,
    role: ds[0]!.role,
    compared: ds.reduce((n, d) => n + d.compared, 0),
    different: endpoints.reduce((n, e) => n + e.different, 0),
    unpaired: addCounts(ds.map((d) => d.unpaired)),
    anomalies: addCounts(ds.map((d) => d.anomalies)),
    endpoints,
    endpoints_overflow: ds.reduce((n, d) => n + d.endpoints_overflow, 0),
  };
}

const rate = (e: EndpointReport) => (e.compared === 0 ? 0 : e.different / e.compared);
const VERDICT_ORDER = { difference: 0, noise: 1, ignored: 2 } as const;
const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

function mergeEndpoint(es: readonly EndpointReport[], role: 'candidate' | 'control', control: DestinationReport | undefined, tally: { inexact: number }): EndpointReport {
  const compared = es.reduce((n, e) => n + e.compared, 0);
  const byField = new Map<string, FieldReport[]>();
  for (const e of es) for (const f of e.fields) push(byField, `${f.kind} ${f.path}`, f);
  const ce = role === 'candidate' ? control?.endpoints.find((x) => x.method === es[0]!.method && x.route === es[0]!.route) : undefined;
  const fields: FieldReport[] = [...byField.values()].map((fs) => {
    const f0 = fs[0]!;
    const different = fs.reduce((n, f) => n + f.different, 0);
    const samples: FieldSample[] = fs.flatMap((f) => f.samples).slice(0, SAMPLES_PER_FIELD);
    const v = verdictOf(fs, different, compared, ce);
    return { path: f0.path, kind: f0.kind, different, noise: v.noise, verdict: v.verdict, reason: v.reason, samples };
  });
  fields.sort((a, b) => VERDICT_ORDER[a.verdict] - VERDICT_ORDER[b.verdict] || b.different - a.different || (a.path < b.path ? -1 : 1));
  const isDifference = new Set(fields.filter((f) => f.verdict === 'difference').map((f) => `${f.kind} ${f.path}`));
  let different = 0;
  for (const e of es) {
    const own = new Set(e.fields.filter((f) => f.verdict === 'difference').map((f) => `${f.kind} ${f.path}`));
    const still = e.fields.filter((f) => isDifference.has(`${f.kind} ${f.path}`));
    if (own.size === still.length && still.every((f) => own.has(`${f.kind} ${f.path}`))) {
      different += e.different;
    } else {
      tally.inexact++;
      different += still.reduce((m, f) => Math.max(m, f.different), 0);
    }
  }
  return {
    method: es[0]!.method,
    route: es[0]!.route,
    compared,
    different: Math.min(different, compared),
    statuses: addNested(es.map((e) => e.statuses)),
    fields,
    fields_overflow: es.reduce((n, e) => n + e.fields_overflow, 0),
    latency_ms: {
      production: mergePercentiles(es.map((e) => e.latency_ms.production)),
      candidate: mergePercentiles(es.map((e) => e.latency_ms.candidate)),
      delta: mergePercentiles(es.map((e) => e.latency_ms.delta)),
    },
  };
}

/** compare's noise rules (verdict.ts), applied to merged counts. */
function verdictOf(fs: readonly FieldReport[], different: number, compared: number, ce: EndpointReport | undefined): { verdict: Verdict; noise: number; reason: string } {
  if (fs.some((f) => f.verdict === 'ignored')) return { verdict: 'ignored', noise: 0, reason: '--compare-ignore' };
  if (ce && ce.compared > 0) {
    const path = fs[0]!.path;
    const rc = different / Math.max(1, compared);
    const rn = ce.fields.filter((f) => f.path === path).reduce((n, f) => n + f.different, 0) / ce.compared;
    const v = controlVerdict(rc, rn);
    const noise = v === 'noise' ? different : Math.min(different, Math.round(rn * compared));
    return { verdict: v, noise, reason: `candidate differs in ${pct(rc)} of pairs, control in ${pct(rn)} (fleet)` };
  }
  if (fs.some((f) => f.verdict === 'noise' && f.reason === PRODUCTION_VARIES)) return { verdict: 'noise', noise: different, reason: PRODUCTION_VARIES };
  // A field some instance judged noise by its control, where the fleet has no control pairs: keep the instances' word.
  const noisy = fs.filter((f) => f.verdict === 'noise').reduce((n, f) => n + f.different, 0);
  if (noisy * 2 > different) return { verdict: 'noise', noise: different, reason: 'noise on most instances' };
  return { verdict: 'difference', noise: 0, reason: 'production answers identical requests the same way here' };
}

/** Count-weighted mean of the instances' percentiles (see the top of this file for its limits). */
export function mergePercentiles(ps: readonly Percentiles[]): Percentiles {
  const count = ps.reduce((n, p) => n + p.count, 0);
  if (count === 0) return { p50: 0, p90: 0, p99: 0, count: 0 };
  const mean = (k: 'p50' | 'p90' | 'p99') => Math.round((ps.reduce((n, p) => n + p[k] * p.count, 0) / count) * 100) / 100;
  return { p50: mean('p50'), p90: mean('p90'), p99: mean('p99'), count };
}

function addCounts(rows: readonly Readonly<Record<string, number>>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) for (const [k, v] of Object.entries(r)) out[k] = (out[k] ?? 0) + v;
  return out;
}

function addNested(rows: readonly Readonly<Record<string, Readonly<Record<string, number>>>>[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const r of rows) for (const [k, inner] of Object.entries(r)) out[k] = addCounts([out[k] ?? {}, inner]);
  return out;
}

function push<T>(m: Map<string, T[]>, k: string, v: T): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

const minOf = (xs: string[]) => xs.reduce<string | undefined>((m, x) => (m === undefined || x < m ? x : m), undefined);
const maxOf = (xs: string[]) => xs.reduce<string | undefined>((m, x) => (m === undefined || x > m ? x : m), undefined);
