import type { Registry } from 'prom-client';
import type { Stats } from '../telemetry/stats.js';
import { CPU_PERCENT, EVENT_LOOP_BUSY_PERCENT, PROCESS } from '../telemetry/stats.js';
import type { GateState } from '../engine/destination-gate.js';
import type { ComparisonSource } from './report.js';
import type { CompareCount } from '../compare/index.js';

/** Endpoints per destination exported as their own series; the rest are pooled under route="OTHER". */
export const MAX_ENDPOINT_SERIES = 50;

const LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface MetricsDeps {
  stats: Stats;
  gates: () => readonly GateState[];
  comparison: ComparisonSource | undefined;
}

export interface Metrics {
  readonly contentType: string;
  render(): Promise<string>;
}

/**
 * /metrics in Prometheus text format. prom-client is imported here, and this module only when
 * an admin endpoint is configured, so a plain relay never loads it.
 *
 * Counters are not counted twice: Stats stays the one source of truth, and each metric's
 * `collect()` copies Stats' totals into it at scrape time. Only the latency histogram is fed
 * as copies are delivered (Stats keeps just the last interval's samples).
 */
export async function createMetrics(deps: MetricsDeps): Promise<Metrics> {
  const prom = await import('prom-client');
  const registry: Registry = new prom.Registry();
  // Not prom-client's default metrics: some of their names fail `promtool check metrics`
  // (gauges named *_total), and they start an event-loop monitor. Our memory is what matters
  // on a shared dyno (R14), so that is what we export.
  new prom.Gauge({
    name: 'traffic_duplicator_process_memory_bytes',
    help: 'Memory of the traffic-duplicator process (it shares the dyno or pod with the app).',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      const m = process.memoryUsage();
      this.set({ kind: 'rss' }, m.rss);
      this.set({ kind: 'heap_used' }, m.heapUsed);
      this.set({ kind: 'external' }, m.external);
    },
  });
  const { stats } = deps;
  const destinations = () => stats.destinations().filter((d) => d !== PROCESS);
  const busySeconds = (reading: string, name: string, help: string) =>
    new prom.Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const ms = stats.readBusy(PROCESS)[reading];
        this.reset();
        if (ms !== undefined) this.inc(ms / 1000);
      },
    });
  busySeconds(CPU_PERCENT, 'traffic_duplicator_process_cpu_seconds_total', 'CPU time of the traffic-duplicator process, user and system (rate() gives cores used).');
  busySeconds(EVENT_LOOP_BUSY_PERCENT, 'traffic_duplicator_event_loop_busy_seconds_total', 'Time our event loop spent running rather than waiting (rate() near 1: saturated, production requests wait).');

  const copyCounter = (name: string, help: string, read: (dest: string) => number) =>
    new prom.Counter({
      name,
      help,
      labelNames: ['destination'],
      registers: [registry],
      collect() {
        this.reset();
        for (const d of destinations()) this.inc({ destination: d }, read(d));
      },
    });
  copyCounter('traffic_duplicator_copies_seen_total', 'Copies offered to a destination (tap: requests framed).', (d) => stats.entry(d).seen);
  copyCounter('traffic_duplicator_copies_mirrored_total', 'Copies delivered (HTTP: a response was received; files: written).', (d) => stats.entry(d).mirrored);

  new prom.Counter({
    name: 'traffic_duplicator_copies_dropped_total',
    help: 'Copies not delivered, by reason (see the README: every drop has one).',
    labelNames: ['destination', 'reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const d of destinations()) for (const [reason, n] of Object.entries(stats.entry(d).dropped)) this.inc({ destination: d, reason }, n ?? 0);
    },
  });
  new prom.Counter({
    name: 'traffic_duplicator_copy_errors_total',
    help: 'Failed deliveries, by kind (timeout, connect_refused, reset, http_5xx, ...).',
    labelNames: ['destination', 'kind'],
    registers: [registry],
    collect() {
      this.reset();
      for (const d of destinations()) for (const [kind, n] of Object.entries(stats.entry(d).errors)) this.inc({ destination: d, kind }, n);
    },
  });
  new prom.Gauge({
    name: 'traffic_duplicator_queue_depth',
    help: 'Copies waiting in the destination queue.',
    labelNames: ['destination'],
    registers: [registry],
    collect() {
      this.reset();
      for (const d of destinations()) {
        const q = stats.readGauges(d).queue_depth;
        if (q !== undefined) this.set({ destination: d }, q);
      }
    },
  });
  new prom.Gauge({
    name: 'traffic_duplicator_destination_in_progress',
    help: 'Copies in progress at a destination besides its queue (in_flight: sent, awaiting a response; pending: at the middleware), by name.',
    labelNames: ['destination', 'name'],
    registers: [registry],
    collect() {
      this.reset();
      for (const d of destinations()) {
        for (const [name, v] of Object.entries(stats.readGauges(d))) if (name !== 'queue_depth') this.set({ destination: d, name }, v);
      }
    },
  });
  new prom.Gauge({
    name: 'traffic_duplicator_destination_paused',
    help: '1 while a destination is paused by the control API.',
    labelNames: ['destination'],
    registers: [registry],
    collect() {
      this.reset();
      for (const g of deps.gates()) this.set({ destination: g.dest }, g.paused ? 1 : 0);
    },
  });
  new prom.Gauge({
    name: 'traffic_duplicator_destination_sample_percent',
    help: 'Share of requests let through to a destination, set by the control API (100 = all).',
    labelNames: ['destination'],
    registers: [registry],
    collect() {
      this.reset();
      for (const g of deps.gates()) this.set({ destination: g.dest }, g.samplePercent);
    },
  });

  const latency = new prom.Histogram({
    name: 'traffic_duplicator_copy_latency_seconds',
    help: 'Time from sending a copy to its response (HTTP destinations).',
    labelNames: ['destination'],
    buckets: LATENCY_BUCKETS_S,
    registers: [registry],
  });
  stats.latencyListener = (dest, ms) => latency.observe({ destination: dest }, ms / 1000);

  const comparison = deps.comparison;
  if (comparison) {
    // Which endpoints have a series of their own, per destination: kept once given, so a
    // series never moves in or out of OTHER and each counter only goes up (else a shifting
    // top-50 would look like a counter reset to rate()).
    const own = new Map<string, Set<string>>();
    const rows = () => (comparison.enabled ? compareRows(comparison, own) : []);
    const labels = (r: CompareRow) => ({ destination: r.destination, role: r.role, method: r.method, route: r.route });
    new prom.Counter({
      name: 'traffic_duplicator_compare_compared_total',
      help: 'Response pairs compared, by destination and endpoint (route template; capped).',
      labelNames: ['destination', 'role', 'method', 'route'],
      registers: [registry],
      collect() {
        this.reset();
        for (const r of rows()) this.inc(labels(r), r.compared);
      },
    });
    // A gauge, not a counter: the report recounts differences with the noise known now, so a
    // pair counted different can turn out to be noise later and the number go down.
    new prom.Gauge({
      name: 'traffic_duplicator_compare_different_pairs',
      help: 'Compared pairs with at least one real difference, as the report counts them now (noise learned later can lower it).',
      labelNames: ['destination', 'role', 'method', 'route'],
      registers: [registry],
      collect() {
        this.reset();
        for (const r of rows()) this.set(labels(r), r.different);
      },
    });
    new prom.Counter({
      name: 'traffic_duplicator_compare_unpaired_total',
      help: 'Pairs that could not be compared, by reason.',
      labelNames: ['destination', 'reason'],
      registers: [registry],
      collect() {
        this.reset();
        if (!comparison.enabled) return;
        for (const d of comparison.report().destinations) for (const [reason, n] of Object.entries(d.unpaired)) this.inc({ destination: d.url, reason }, n);
      },
    });
  }

  return {
    contentType: registry.contentType,
    render: () => registry.metrics(),
  };
}

interface CompareRow {
  destination: string;
  role: string;
  method: string;
  route: string;
  compared: number;
  different: number;
}

/**
 * One row per destination and endpoint, at most MAX_ENDPOINT_SERIES each, the rest pooled as
 * OTHER. `own` remembers which endpoints have a series (the first MAX_ENDPOINT_SERIES seen,
 * busiest first on a scrape): an endpoint keeps its series, so no counter goes down. Read
 * from compare's counts(), not report(): a scrape needs no samples or percentiles.
 */
export function compareRows(comparison: ComparisonSource, own: Map<string, Set<string>> = new Map()): CompareRow[] {
  const out: CompareRow[] = [];
  const byDest = new Map<string, CompareCount[]>();
  for (const c of comparison.counts()) {
    const list = byDest.get(c.destination) ?? [];
    list.push(c);
    byDest.set(c.destination, list);
  }
  for (const [destination, counts] of byDest) {
    const endpoints = counts.sort((a, b) => b.compared - a.compared);
    let mine = own.get(destination);
    if (!mine) own.set(destination, (mine = new Set()));
    const other: CompareRow = { destination, role: endpoints[0]!.role, method: 'OTHER', route: 'OTHER', compared: 0, different: 0 };
    let pooled = 0;
    for (const e of endpoints) {
      const key = `${e.method} ${e.route}`;
      if (!mine.has(key) && mine.size < MAX_ENDPOINT_SERIES) mine.add(key);
      if (mine.has(key)) out.push({ destination, role: e.role, method: e.method, route: e.route, compared: e.compared, different: e.different });
      else {
        pooled++;
        other.compared += e.compared;
        other.different += e.different;
      }
    }
    if (pooled > 0) out.push(other);
  }
  return out;
}
