import type { Message } from '../core/message.js';
import { dropped, type OfferResult, type Output } from '../core/output.js';
import type { Stats } from '../telemetry/stats.js';

/** How many request ids a gate remembers, so their responses follow them (bounded). */
const GATED_MEMORY = 10_000;

/** What the admin control API can see and change about one destination. */
export interface GateState {
  readonly dest: string;
  readonly paused: boolean;
  /** Share of requests let through, 0–100 (100 = all). */
  readonly samplePercent: number;
}

/**
 * A small switch in front of one output, set at runtime by the admin control API: paused
 * (every copy dropped `paused`) or sampled (a share of requests dropped `sampled_out`).
 *
 * A refusal here happens before the output sees the copy, so the gate counts `seen` itself:
 * the fan-out counts the drop, and `seen = mirrored + dropped + errors` still holds.
 * Sampling is a running fraction, not a coin toss, so 25% lets exactly 1 in 4 through.
 * A response (files, stdout, middleware record them) follows its request: if the request
 * was gated out, so is its response — a .gor file never holds an orphan.
 */
export class DestinationGate implements Output {
  readonly #inner: Output;
  readonly #stats: Stats;
  #paused = false;
  #percent = 100;
  #offered = 0;
  readonly #gated = new Set<string>();

  constructor(inner: Output, deps: { stats: Stats }) {
    this.#inner = inner;
    this.#stats = deps.stats;
  }

  get name(): string {
    return this.#inner.name;
  }

  get state(): GateState {
    return { dest: this.name, paused: this.#paused, samplePercent: this.#percent };
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
  }

  /** 0–100; the caller validates (the control API answers 400 for anything else). */
  setSamplePercent(percent: number): void {
    if (!(percent >= 0 && percent <= 100)) throw new RangeError(`sample percent must be 0..100, got ${percent}`);
    this.#percent = percent;
    this.#offered = 0;
  }

  wants(msg: Message): boolean {
    return this.#inner.wants(msg);
  }

  offer(msg: Message): OfferResult {
    if (this.#paused) return this.#refuse(msg, 'paused');
    if (msg.type === 'request') {
      if (this.#percent < 100 && !this.#sampledIn()) return this.#refuse(msg, 'sampled_out');
    } else if (this.#gated.delete(msg.id)) {
      return this.#refuse(msg, 'sampled_out', false);
    }
    return this.#inner.offer(msg);
  }

  close(graceMs: number): Promise<void> {
    return this.#inner.close(graceMs);
  }

  /** Bresenham-style: the n-th request passes when floor(n·p/100) grows. */
  #sampledIn(): boolean {
    const n = this.#offered++;
    return Math.floor(((n + 1) * this.#percent) / 100) > Math.floor((n * this.#percent) / 100);
  }

  #refuse(msg: Message, reason: 'paused' | 'sampled_out', remember = true): OfferResult {
    this.#stats.seen(this.name);
    if (remember && msg.type === 'request') {
      this.#gated.add(msg.id);
      if (this.#gated.size > GATED_MEMORY) {
        const oldest = this.#gated.values().next().value;
        if (oldest !== undefined) this.#gated.delete(oldest);
      }
    }
    return dropped(reason);
  }
}
