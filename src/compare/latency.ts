import type { Percentiles } from './types.js';

/**
 * A fixed-size uniform sample of a stream (Vitter's algorithm R): the percentiles of the
 * reservoir estimate the stream's, in constant memory (RESERVOIR_SIZE doubles per series).
 * With 256 values p99 is coarse; it is an estimate, documented as one.
 */
export const RESERVOIR_SIZE = 256;

export class Reservoir {
  readonly #values = new Float64Array(RESERVOIR_SIZE);
  #count = 0;
  readonly #random: () => number;

  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  add(v: number): void {
    if (!Number.isFinite(v)) return;
    if (this.#count < RESERVOIR_SIZE) this.#values[this.#count] = v;
    else {
      const j = Math.floor(this.#random() * (this.#count + 1));
      if (j < RESERVOIR_SIZE) this.#values[j] = v;
    }
    this.#count++;
  }

  get count(): number {
    return this.#count;
  }

  percentiles(): Percentiles {
    const n = Math.min(this.#count, RESERVOIR_SIZE);
    const sorted = Array.from(this.#values.subarray(0, n)).sort((a, b) => a - b);
    const at = (p: number) => (n === 0 ? 0 : round(sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))]!));
    return { p50: at(0.5), p90: at(0.9), p99: at(0.99), count: this.#count };
  }
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

/** Memory of one reservoir, for the store's byte estimate. */
export const RESERVOIR_BYTES = RESERVOIR_SIZE * 8 + 64;
