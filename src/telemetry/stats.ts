import type { DropReason } from '../core/output.js';
import { LatencyHistogram } from './latency-histogram.js';

/**
 * Every counter lives here, keyed by destination, so the periodic stats line, the
 * demo's summary and (later) the admin/metrics endpoint read one source of truth.
 *
 * Destinations are output names (e.g. the shadow URL). Events that happen before the
 * fan-out (the tap could not frame a stream, a body over the cap, a modifier's filter)
 * are counted under TAP.
 */
export const TAP = 'tap';
/** The process itself (memory gauges, CPU and event-loop busy time): not a destination, so it has only samples. */
export const PROCESS = 'process';

export interface DestinationStats {
  /** Copies delivered (HTTP: a response was received; files: written). */
  mirrored: number;
  dropped: Partial<Record<DropReason, number>>;
  /** Failed deliveries by kind: timeout, connect_refused, reset, tls, http_5xx, … */
  errors: Record<string, number>;
  /** Delivery latencies since the last report, for measure#latency (made on the first one). */
  latency?: LatencyHistogram;
  /** Requests framed (tap), or copies offered (destinations: see the counting rule in core/output.ts). */
  seen: number;
  /** Other cumulative counters by name, e.g. `compare.compared` (printed as count#<name>). */
  counts?: Record<string, number>;
}

export type GaugeReader = () => number;
/** A cumulative time in milliseconds (CPU used, event loop busy) since the process started. */
export type BusyReader = () => number;

/** The process's busy times, by the names the stats line prints them under. */
export const CPU_PERCENT = 'cpu.percent';
export const EVENT_LOOP_BUSY_PERCENT = 'event_loop.busy_percent';

export class Stats {
  readonly #dest = new Map<string, DestinationStats>();
  readonly #gauges = new Map<string, Map<string, GaugeReader>>();
  readonly #busy = new Map<string, Map<string, BusyReader>>();
  /** Also told every delivery latency (the admin's /metrics histogram); unset, it costs nothing. */
  latencyListener: ((dest: string, latencyMs: number) => void) | undefined;

  entry(dest: string): DestinationStats {
    let e = this.#dest.get(dest);
    if (!e) {
      e = { mirrored: 0, dropped: {}, errors: {}, seen: 0 };
      this.#dest.set(dest, e);
    }
    return e;
  }

  seen(dest: string, n = 1): void {
    this.entry(dest).seen += n;
  }

  mirrored(dest: string, latencyMs?: number): void {
    const e = this.entry(dest);
    e.mirrored++;
    if (latencyMs === undefined) return;
    (e.latency ??= new LatencyHistogram()).record(latencyMs);
    this.latencyListener?.(dest, latencyMs);
  }

  dropped(dest: string, reason: DropReason, n = 1): void {
    const e = this.entry(dest);
    e.dropped[reason] = (e.dropped[reason] ?? 0) + n;
  }

  error(dest: string, kind: string): void {
    const e = this.entry(dest);
    e.errors[kind] = (e.errors[kind] ?? 0) + 1;
  }

  count(dest: string, name: string, n = 1): void {
    const e = this.entry(dest);
    const c = (e.counts ??= {});
    c[name] = (c[name] ?? 0) + n;
  }

  gauge(dest: string, name: string, read: GaugeReader): void {
    this.#register(this.#gauges, dest, name, read);
  }

  /**
   * A time spent busy, read as a running total: the stats line prints it as a share of the
   * wall time since its previous line (`sample#cpu.percent`), /metrics as a counter of
   * seconds. A share computed on read would depend on who read last.
   */
  busy(dest: string, name: string, read: BusyReader): void {
    this.#register(this.#busy, dest, name, read);
  }

  /** Adds a reader under `dest` (which then has a stats line). */
  #register(readers: Map<string, Map<string, () => number>>, dest: string, name: string, read: () => number): void {
    let byName = readers.get(dest);
    if (!byName) readers.set(dest, (byName = new Map()));
    byName.set(name, read);
    this.entry(dest);
  }

  /** The running totals of busy(), in ms. */
  readBusy(dest: string): Record<string, number> {
    return readAll(this.#busy.get(dest));
  }

  destinations(): string[] {
    return [...this.#dest.keys()];
  }

  readGauges(dest: string): Record<string, number> {
    return readAll(this.#gauges.get(dest));
  }

  totalDropped(dest: string): number {
    return Object.values(this.entry(dest).dropped).reduce((a, b) => a + (b ?? 0), 0);
  }

  /** p50, p99 and max of the latencies since the last call (then cleared); undefined if there were none. */
  takeLatency(dest: string): { p50: number; p99: number; max: number } | undefined {
    const h = this.entry(dest).latency;
    if (!h || h.count === 0) return undefined;
    const out = { p50: h.percentile(50), p99: h.percentile(99), max: h.max };
    h.reset();
    return out;
  }
}

/** Every reader's value by name; one that throws is left out (a reading must never break reporting). */
function readAll(readers: Map<string, () => number> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, read] of readers ?? []) {
    try {
      out[name] = read();
    } catch {
      // left out
    }
  }
  return out;
}
