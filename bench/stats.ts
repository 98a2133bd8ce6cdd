import type { WrkResult } from './wrk.js';

/** One measured round of one contender under one workload. */
export interface Sample {
  contender: string;
  workload: string;
  round: number;
  wrk: WrkResult;
  /** CPU seconds of the proxy process(es) during the round, including draining mirrors after it. */
  proxyCpuS: number;
  appCpuS: number;
  /** Requests each shadow received during the round (same order as the contender's shadows). */
  shadowRequests: number[];
  /** Our proxy's counter deltas per destination (td only). */
  td?: Map<string, Record<string, number>>;
  /** Peak RSS of the proxy process(es) so far (MiB). */
  peakRssMb: number;
}

/** Rounds of one contender × workload, folded into one row. */
export interface Row {
  contender: string;
  workload: string;
  rounds: number;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  p999: number;
  /** CPU seconds per 10,000 completed requests (NaN for direct: no proxy). */
  cpuPer10k: number;
  appCpuPer10k: number;
  peakRssMb: number;
  /** Per shadow: received ÷ completed by wrk, in %. */
  delivery: number[];
  errors: number;
  /** Our drops and errors summed over destinations, by name (e.g. dropped.queue_full). */
  tdLosses: Record<string, number>;
  /** Per destination deltas (td only), for the degraded section. */
  tdByDest: Map<string, Record<string, number>>;
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Throughput and latency: the median over rounds (robust to one noisy round on a shared
 * host). CPU and delivery: sums over all rounds, so they are per request overall.
 */
export function fold(samples: Sample[], proxy: boolean): Row {
  const first = samples[0]!;
  const requests = samples.reduce((s, x) => s + x.wrk.requests, 0);
  const nShadows = first.shadowRequests.length;
  const delivery = Array.from({ length: nShadows }, (_, i) =>
    (100 * samples.reduce((s, x) => s + (x.shadowRequests[i] ?? 0), 0)) / Math.max(1, requests),
  );
  const tdByDest = new Map<string, Record<string, number>>();
  const tdLosses: Record<string, number> = {};
  for (const s of samples) {
    for (const [dest, d] of s.td ?? []) {
      const acc = tdByDest.get(dest) ?? {};
      for (const [k, v] of Object.entries(d)) {
        acc[k] = (acc[k] ?? 0) + v;
        if (dest !== 'tap' ? k.startsWith('dropped.') || k.startsWith('errors.') : k.startsWith('dropped.')) tdLosses[k] = (tdLosses[k] ?? 0) + v;
      }
      tdByDest.set(dest, acc);
    }
  }
  const e = (x: Sample) => x.wrk.errors;
  return {
    contender: first.contender,
    workload: first.workload,
    rounds: samples.length,
    requests,
    rps: median(samples.map((x) => x.wrk.rps)),
    p50: median(samples.map((x) => x.wrk.p50)),
    p99: median(samples.map((x) => x.wrk.p99)),
    p999: median(samples.map((x) => x.wrk.p999)),
    cpuPer10k: proxy ? (1e4 * samples.reduce((s, x) => s + x.proxyCpuS, 0)) / Math.max(1, requests) : NaN,
    appCpuPer10k: (1e4 * samples.reduce((s, x) => s + x.appCpuS, 0)) / Math.max(1, requests),
    peakRssMb: Math.max(...samples.map((x) => x.peakRssMb)),
    delivery,
    errors: samples.reduce((s, x) => s + e(x).connect + e(x).read + e(x).write + e(x).status + e(x).timeout, 0),
    tdLosses,
    tdByDest,
  };
}
