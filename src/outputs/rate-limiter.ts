import type { RateLimit } from '../core/output.js';

/** Decides, per copy, whether a destination's `URL|N` or `URL|N%` limit lets it through. */
export interface Limiter {
  /** true = let it through; otherwise the drop reason to count. */
  allow(): true | 'rate_limited' | 'sampled_out';
}

/**
 * `URL|N`: a token bucket holding at most N tokens, refilled at N per second. It starts
 * full, so a burst of N passes at once and the long-run rate is N/s (gor resets a counter
 * each second; the bucket gives the same rate without the edge-of-second double burst).
 */
export class TokenBucket implements Limiter {
  #tokens: number;
  #last: number;
  constructor(
    readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(perSecond > 0)) throw new RangeError(`per-second limit must be positive, got ${perSecond}`);
    this.#tokens = perSecond;
    this.#last = now();
  }

  allow(): true | 'rate_limited' {
    const t = this.now();
    this.#tokens = Math.min(this.perSecond, this.#tokens + ((t - this.#last) / 1000) * this.perSecond);
    this.#last = t;
    if (this.#tokens < 1) return 'rate_limited';
    this.#tokens -= 1;
    return true;
  }
}

/** `URL|N%`: each copy passes independently with probability N/100 (as gor's percent limiter). */
export class PercentSampler implements Limiter {
  constructor(
    readonly percent: number,
    private readonly random: () => number = Math.random,
  ) {
    if (!(percent >= 0 && percent <= 100)) throw new RangeError(`percent limit must be within 0..100, got ${percent}`);
  }

  allow(): true | 'sampled_out' {
    return this.random() * 100 < this.percent ? true : 'sampled_out';
  }
}

/** The limiter for a destination's limit, or undefined when it has none. */
export function createLimiter(limit: RateLimit | undefined, deps: { now?: () => number; random?: () => number } = {}): Limiter | undefined {
  if (!limit) return undefined;
  return limit.kind === 'per-second' ? new TokenBucket(limit.n, deps.now) : new PercentSampler(limit.n, deps.random);
}
