/**
 * One destination's delivery latencies over a stats interval, for the stats line's
 * measure#latency.p50/p99/max: a log-scaled histogram in one fixed array.
 *
 * It replaced a list of the interval's first 10,000 samples. With the default one-minute
 * interval a busy dyno reached that cap within seconds, so the line described the
 * interval's first seconds only, and the list grew (and was garbage) every interval. Here
 * every copy of the interval is counted, nothing is allocated per copy, and memory is fixed.
 *
 * Buckets start at 10 µs and grow by 5%, up to 10 minutes; a percentile is reported as its
 * bucket's upper bound (never above the largest value seen), so it is within 5% above the
 * true nearest-rank value.
 */
const MIN_MS = 0.01;
const GROWTH = 1.05;
const LOG_GROWTH = Math.log(GROWTH);
const MAX_MS = 600_000;
const BUCKETS = Math.ceil(Math.log(MAX_MS / MIN_MS) / LOG_GROWTH) + 1;

export class LatencyHistogram {
  readonly #counts = new Uint32Array(BUCKETS);
  #count = 0;
  #max = 0;

  record(ms: number): void {
    if (!(ms >= 0)) return; // NaN or negative: a clock problem, not a latency
    const i = ms <= MIN_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / MIN_MS) / LOG_GROWTH));
    this.#counts[i]!++;
    this.#count++;
    if (ms > this.#max) this.#max = ms;
  }

  get count(): number {
    return this.#count;
  }

  get max(): number {
    return this.#max;
  }

  /** Nearest-rank percentile (0–100), as its bucket's upper bound; 0 when empty. */
  percentile(p: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.#count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return Math.min(MIN_MS * GROWTH ** i, this.#max);
    }
    return this.#max;
  }

  reset(): void {
    this.#counts.fill(0);
    this.#count = 0;
    this.#max = 0;
  }
}
