import type { DropReason } from '../core/output.js';

/**
 * Every counter lives here, keyed by destination, so the periodic stats line, the
 * demo's summary and (later) the admin/metrics endpoint read one source of truth.
 *
 * Destinations are output names (e.g. the shadow URL). Events that happen before the
 * fan-out (the tap could not frame a stream, a body over the cap, a modifier's filter)
 * are counted under TAP.
 */
export const TAP = 'tap';
/** The process itself (memory gauges): not a destination, so it has only samples. */
export const PROCESS = 'process';

export interface DestinationStats {
  /** Copies delivered (HTTP: a response was received; files: written). */
  mirrored: number;
  dropped: Partial<Record<DropReason, number>>;
  /** Failed deliveries by kind: timeout, connect_refused, reset, tls, http_5xx, … */
  errors: Record<string, number>;
  /** Latencies (ms) observed since the last report, for measure#latency. */
  latencies: number[];
  /** Requests framed (tap), or copies offered (destinations: see the counting rule in core/output.ts). */
  seen: number;
  /** Other cumulative counters by name, e.g. `compare.compared` (printed as count#<name>). */
  counts?: Record<string, number>;
}

export type GaugeReader = () => number;

export class Stats {
  readonly #dest = new Map<string, DestinationStats>();
  readonly #gauges = new Map<string, Map<string, GaugeReader>>();
  /** Bounded: we keep at most this many latency samples per destination per interval. */
  static readonly MAX_LATENCY_SAMPLES = 10_000;
  /** Also told every delivery latency (the admin's /metrics histogram); unset, it costs nothing. */
  latencyListener: ((dest: string, latencyMs: number) => void) | undefined;

  entry(dest: string): DestinationStats {
    let e = this.#dest.get(dest);
    if (!e) {
      e = { mirrored: 0, dropped: {}, errors: {}, latencies: [], seen: 0 };
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
    if (latencyMs !== undefined && e.latencies.length < Stats.MAX_LATENCY_SAMPLES) e.latencies.push(latencyMs);
    if (latencyMs !== undefined) this.latencyListener?.(dest, latencyMs);
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
    let g = this.#gauges.get(dest);
    if (!g) this.#gauges.set(dest, (g = new Map()));
    g.set(name, read);
    this.entry(dest);
  }

  destinations(): string[] {
    return [...this.#dest.keys()];
  }

  readGauges(dest: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, read] of this.#gauges.get(dest) ?? []) {
      try {
        out[name] = read();
      } catch {
        // A gauge must never break reporting.
      }
    }
    return out;
  }

  totalDropped(dest: string): number {
    return Object.values(this.entry(dest).dropped).reduce((a, b) => a + (b ?? 0), 0);
  }

  /** Takes (and clears) the latency samples gathered since the last call. */
  takeLatencies(dest: string): number[] {
    const e = this.entry(dest);
    const l = e.latencies;
    e.latencies = [];
    return l;
  }
}
