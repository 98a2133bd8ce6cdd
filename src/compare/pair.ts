import type { ResponseMessage } from '../core/message.js';

/**
 * Pending halves, by request id: production's answer (from the tap) and each compared
 * destination's (from its HTTP output) arrive in any order. Bounded by count and bytes,
 * each entry with a deadline: a half whose partner never comes is counted by reason when
 * it expires, never guessed.
 */

export interface PendingRequest {
  readonly id: string;
  readonly method: string;
  readonly target: string;
  readonly route: string;
  /** Identity of the request (method, target, body hash) for learning production's variation. */
  readonly requestKey: string;
}

export interface PendingEntry {
  readonly id: string;
  request: PendingRequest | undefined;
  production: ResponseMessage | undefined;
  /** Destinations a copy was sent to whose answer has not been paired yet (value: its answer, once come). */
  readonly waiting: Map<string, ResponseMessage | null>;
  deadline: number;
  bytes: number;
  /** Pairs of this entry queued for comparison (it is kept until they are done). */
  queued: number;
}

export interface PendingLimits {
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly ttlMs: number;
}

export class PendingPairs {
  readonly #entries = new Map<string, PendingEntry>();
  #bytes = 0;
  constructor(readonly limits: PendingLimits) {}

  get size(): number {
    return this.#entries.size;
  }
  get bytes(): number {
    return this.#bytes;
  }

  get(id: string): PendingEntry | undefined {
    return this.#entries.get(id);
  }

  /** The entry for id, created if there is room; undefined when the map is full. */
  open(id: string, now: number): PendingEntry | undefined {
    let e = this.#entries.get(id);
    if (e) return e;
    if (this.#entries.size >= this.limits.maxEntries) return undefined;
    e = { id, request: undefined, production: undefined, waiting: new Map(), deadline: now + this.limits.ttlMs, bytes: 0, queued: 0 };
    this.#entries.set(id, e);
    return e;
  }

  /** Accounts a held body; false (nothing held) when it would exceed the byte cap. */
  hold(e: PendingEntry, bytes: number): boolean {
    if (this.#bytes + bytes > this.limits.maxBytes) return false;
    this.#bytes += bytes;
    e.bytes += bytes;
    return true;
  }

  release(e: PendingEntry, bytes: number): void {
    const n = Math.min(bytes, e.bytes);
    e.bytes -= n;
    this.#bytes -= n;
  }

  delete(e: PendingEntry): void {
    if (this.#entries.get(e.id) !== e) return;
    this.#entries.delete(e.id);
    this.#bytes -= e.bytes;
    e.bytes = 0;
  }

  /** Removes and returns the entries past their deadline (insertion order ≈ deadline order). */
  expire(now: number): PendingEntry[] {
    const out: PendingEntry[] = [];
    for (const e of this.#entries.values()) {
      if (e.deadline > now) break;
      out.push(e);
    }
    for (const e of out) this.delete(e);
    return out;
  }

  clear(): PendingEntry[] {
    const all = [...this.#entries.values()];
    this.#entries.clear();
    this.#bytes = 0;
    return all;
  }
}
