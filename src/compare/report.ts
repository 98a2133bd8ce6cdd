import type { CompareCount, CompareReport, DestinationReport, EndpointReport, FieldReport } from './types.js';
import type { DestinationAgg, EndpointAgg } from './store.js';
import { differentPairs, endpointVerdicts, type NoiseContext } from './verdict.js';

/** Turns the aggregates into the report (a fresh, plain object: safe to serialize or keep). */
export interface ReportMeta {
  readonly instance: string;
  readonly started: Date;
  readonly samplePercent: number;
  readonly store: CompareReport['store'];
}

export function buildReport(dests: readonly DestinationAgg[], ctx: NoiseContext, meta: ReportMeta): CompareReport {
  return {
    instance: meta.instance,
    started: meta.started.toISOString(),
    updated: new Date().toISOString(),
    sample_percent: meta.samplePercent,
    destinations: dests.map((d) => destinationReport(d, ctx)),
    store: meta.store,
  };
}

function destinationReport(d: DestinationAgg, ctx: NoiseContext): DestinationReport {
  const all = [...d.endpoints.values()];
  if (d.overflow) all.push(d.overflow);
  const endpoints = all.map((e) => endpointReport(d, e, ctx));
  endpoints.sort((a, b) => rate(b) - rate(a) || b.compared - a.compared || (a.route < b.route ? -1 : 1));
  return {
    url: d.url,
    role: d.role,
    compared: d.compared,
    different: endpoints.reduce((n, e) => n + e.different, 0),
    unpaired: Object.fromEntries(d.unpaired),
    anomalies: Object.fromEntries(d.anomalies),
    endpoints,
    endpoints_overflow: d.endpointsOverflow,
  };
}

const rate = (e: EndpointReport) => (e.compared === 0 ? 0 : e.different / e.compared);

const VERDICT_ORDER = { difference: 0, noise: 1, ignored: 2 } as const;

function endpointReport(d: DestinationAgg, e: EndpointAgg, ctx: NoiseContext): EndpointReport {
  const verdicts = endpointVerdicts(ctx, d, e);
  const fields: FieldReport[] = [];
  for (const [k, f] of e.fields) {
    const v = verdicts.get(k)!;
    fields.push({ path: f.path, kind: f.kind, different: f.different, noise: v.noise, verdict: v.verdict, reason: v.reason, samples: [...f.samples] });
  }
  fields.sort((a, b) => VERDICT_ORDER[a.verdict] - VERDICT_ORDER[b.verdict] || b.different - a.different || (a.path < b.path ? -1 : 1));
  const statuses: Record<string, Record<string, number>> = {};
  for (const [p, row] of e.statuses) statuses[String(p)] = Object.fromEntries([...row].map(([c, n]) => [String(c), n]));
  return {
    method: e.method,
    route: e.route,
    compared: e.compared,
    different: differentPairs(e, verdicts),
    statuses,
    fields,
    fields_overflow: e.fieldsOverflow,
    latency_ms: { production: e.production.percentiles(), candidate: e.candidate.percentiles(), delta: e.delta.percentiles() },
  };
}

export function buildCounts(dests: readonly DestinationAgg[], ctx: NoiseContext): CompareCount[] {
  const out: CompareCount[] = [];
  for (const d of dests) {
    const all = [...d.endpoints.values()];
    if (d.overflow) all.push(d.overflow);
    for (const e of all) {
      out.push({ destination: d.url, role: d.role, method: e.method, route: e.route, compared: e.compared, different: differentPairs(e, endpointVerdicts(ctx, d, e)) });
    }
  }
  return out;
}
