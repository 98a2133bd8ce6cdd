import type { Message } from '../core/message.js';
import { ACCEPTED, dropped, type DropReason, type OfferResult, type Output } from '../core/output.js';
import { waitUnlessWoken, wakeAll } from '../core/wait.js';
import { RateLimitedLog, type Logger } from '../telemetry/logger.js';
import type { Stats } from '../telemetry/stats.js';
import { BoundedQueue } from './bounded-queue.js';
import { errorText } from './error-text.js';

/** The queue bounds every queued output is built with (no defaults here: see config/flags.ts). */
export interface QueueBounds {
  /** Most copies waiting for the sink. */
  readonly maxItems: number;
  /** Most bytes waiting for the sink, as estimated by the output's `admit()`. */
  readonly maxBytes: number;
}

export interface QueuedOutputDeps {
  readonly stats: Stats;
  readonly log: Logger;
  /** For rate-limiting log lines (tests inject a clock). */
  readonly now?: () => number;
}

/** What `admit()` makes of a message: the item to queue and its size, or why it is refused. */
export type Admission<Item> = { readonly item: Item; readonly size: number } | DropReason;

/**
 * After the flush deadline, how long an output may take to let go of its sink (close a
 * file, stop a child process, destroy sockets) before close() resolves anyway.
 */
export const RELEASE_MARGIN_MS = 300;

/**
 * The one implementation of the output contract (core/output.ts): every output is a
 * subclass, so queueing, closing and counting are written once.
 *
 * Life of a copy, and who counts it (so that `seen = mirrored + dropped + errors` holds for
 * every destination once closed, whatever the sink does):
 * - offer(): counts `seen`, then either refuses (returned as a value; the caller — the
 *   fan-out — counts it) or queues it. Never throws, never blocks, never touches the sink.
 * - pump() (the subclass, run in a microtask out of offer()'s call stack): `take()`s queued
 *   items while the sink has room. A taken item is *in flight* until the subclass settles it
 *   exactly once: `delivered()`, `failed(kind)` or `lost(reason)`.
 * - close(graceMs): refuses new copies `shutdown`, lets pump() deliver what it can until
 *   nothing is queued or in flight or the grace is over, then counts what is left (queued
 *   and in flight) as `shutdown` drops, ignores later settlements, and calls `release()`.
 * - An exception in admit() costs that copy (`mirror_error`); one in pump() is logged and
 *   the copies it held are counted at close.
 *
 * How an output with workers plugs in (the HTTP output): admit() applies the circuit
 * breaker and the `|N` / `|N%` limits and returns the request with its size estimate;
 * pump() starts requests while `inFlight < workers`; each request's completion calls
 * delivered(latencyMs) / failed(kind) / lost('shutdown') once and then `schedulePump()` to
 * start the next; release() aborts what is still running and destroys the pool (its
 * settlements after close are ignored: those copies were already counted `shutdown`).
 * A breaker that opens calls `dropQueued('destination_down')`.
 */
export abstract class QueuedOutput<Item> implements Output {
  readonly name: string;
  protected readonly stats: Stats;
  protected readonly log: Logger;
  /** Rate-limited warnings/errors: at most one line a second per key. */
  protected readonly rlog: RateLimitedLog;
  readonly #queue: BoundedQueue<Item>;
  #inFlight = 0;
  #state: 'open' | 'closing' | 'closed' = 'open';
  #pumpScheduled = false;
  #closing: Promise<void> | undefined;
  readonly #idleWaiters = new Set<() => void>();

  constructor(name: string, bounds: QueueBounds, deps: QueuedOutputDeps) {
    this.name = name;
    this.stats = deps.stats;
    this.log = deps.log;
    this.rlog = new RateLimitedLog(deps.log, 1000, deps.now ?? Date.now);
    this.#queue = new BoundedQueue<Item>(bounds.maxItems, bounds.maxBytes);
    deps.stats.gauge(name, 'queue_depth', () => this.#queue.length);
    deps.stats.gauge(name, 'in_flight', () => this.#inFlight);
  }

  /** Which message types this output takes. */
  abstract wants(msg: Message): boolean;

  /** Turns a message into a queue item (encoding it, applying limits), or says why not. */
  protected abstract admit(msg: Message): Admission<Item>;

  /** Moves queued items to the sink while it has room (take() / settle). Runs out of offer()'s call. */
  protected abstract pump(): void;

  /** Lets go of the sink once the flush is over (close files, stop processes). */
  protected release(): void | Promise<void> {}

  /**
   * Queued items that will never reach the sink, just before they are counted dropped for
   * `reason` (a shutdown's leftovers, dropQueued()): for an output whose owner must hear of
   * each copy's end (the HTTP output's onCopyFailed). An exception here is logged.
   */
  protected discarded(_items: readonly Item[], _reason: DropReason): void {}

  get queueDepth(): number {
    return this.#queue.length;
  }

  /** Bytes queued, as admit() sized them: for an output whose own bound also covers what is in flight. */
  protected get queuedBytes(): number {
    return this.#queue.bytes;
  }

  /** Taken from the queue, not yet settled. */
  get inFlight(): number {
    return this.#inFlight;
  }

  protected get isOpen(): boolean {
    return this.#state === 'open';
  }

  protected get isClosed(): boolean {
    return this.#state === 'closed';
  }

  offer(msg: Message): OfferResult {
    try {
      this.stats.seen(this.name);
      if (this.#state !== 'open') return dropped('shutdown');
      const a = this.admit(msg);
      if (typeof a === 'string') return dropped(a);
      const pushed = this.#queue.push(a.item, a.size);
      if (pushed === 'full') return dropped('queue_full');
      if (pushed === 'over_bytes') return dropped('memory_budget');
      this.schedulePump();
      return ACCEPTED;
    } catch (err) {
      this.#bug('offer', err);
      return dropped('mirror_error');
    }
  }

  close(graceMs: number): Promise<void> {
    this.#closing ??= this.#close(Math.max(0, graceMs));
    return this.#closing;
  }

  async #close(graceMs: number): Promise<void> {
    const deadline = performance.now() + graceMs;
    this.#state = 'closing';
    this.#safePump();
    await this.#whenIdle(graceMs);
    this.#state = 'closed';
    const queued = this.#discard(this.#queue.drain(), 'shutdown');
    const inFlight = this.#inFlight;
    this.#inFlight = 0;
    if (queued + inFlight > 0) {
      this.stats.dropped(this.name, 'shutdown', queued + inFlight);
      this.log.warn('mirror-drop', { dest: this.name, reason: 'shutdown', queued, in_flight: inFlight });
    }
    let timer: NodeJS.Timeout | undefined;
    const margin = new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, deadline - performance.now()) + RELEASE_MARGIN_MS)));
    const released = (async () => this.release())().catch((err: unknown) => this.#bug('release', err));
    await Promise.race([released, margin]);
    clearTimeout(timer);
  }

  /** Asks for a pump() in a microtask; several requests in one turn make one pump. */
  protected schedulePump(): void {
    if (this.#pumpScheduled || this.#state === 'closed') return;
    this.#pumpScheduled = true;
    queueMicrotask(() => {
      this.#pumpScheduled = false;
      this.#safePump();
    });
  }

  /** The next queued item, now in flight (undefined when the queue is empty or the output closed). */
  protected take(): Item | undefined {
    if (this.#state === 'closed') return undefined;
    const item = this.#queue.shift();
    if (item !== undefined) this.#inFlight++;
    return item;
  }

  /** In-flight copies that reached the sink. */
  protected delivered(n = 1, latencyMs?: number): void {
    n = this.#settle(n);
    for (let i = 0; i < n; i++) this.stats.mirrored(this.name, latencyMs);
  }

  /** In-flight copies whose delivery failed: one error of `kind` each, logged (rate-limited). */
  protected failed(kind: string, n = 1, detail: Record<string, string | number | undefined> = {}): void {
    n = this.#settle(n);
    if (n === 0) return;
    for (let i = 0; i < n; i++) this.stats.error(this.name, kind);
    this.rlog.warn(`error:${kind}`, 'mirror-error', { dest: this.name, kind, count: n, ...detail });
  }

  /** In-flight copies that will never be delivered: dropped for `reason`, logged (rate-limited). */
  protected lost(reason: DropReason, n = 1, detail: Record<string, string | number | undefined> = {}): void {
    n = this.#settle(n);
    if (n === 0) return;
    this.stats.dropped(this.name, reason, n);
    this.rlog.warn(`drop:${reason}`, 'mirror-drop', { dest: this.name, reason, count: n, ...detail });
  }

  /** Empties the queue, counting what it held as dropped (e.g. a circuit breaker opening, a sink gone). */
  protected dropQueued(reason: DropReason, detail: Record<string, string | number | undefined> = {}): void {
    const n = this.#discard(this.#queue.drain(), reason);
    this.#inFlight += n;
    this.lost(reason, n, detail);
  }

  /** Settles n in-flight copies; after close they were already counted `shutdown`. */
  #settle(n: number): number {
    if (this.#state === 'closed') return 0;
    if (n > this.#inFlight) {
      this.#bug('settle', new Error(`settled ${n} copies with ${this.#inFlight} in flight`));
      n = this.#inFlight;
    }
    this.#inFlight -= n;
    if (this.#inFlight === 0 && this.#queue.length === 0) wakeAll(this.#idleWaiters);
    // A settled copy frees room in the sink.
    if (this.#queue.length > 0) this.schedulePump();
    return n;
  }

  /** Tells the subclass about items leaving the queue unsent; returns how many. */
  #discard(items: Item[], reason: DropReason): number {
    if (items.length > 0) {
      try {
        this.discarded(items, reason);
      } catch (err) {
        this.#bug('discarded', err);
      }
    }
    return items.length;
  }

  #safePump(): void {
    try {
      this.pump();
    } catch (err) {
      this.#bug('pump', err);
    }
    if (this.#inFlight === 0 && this.#queue.length === 0) wakeAll(this.#idleWaiters);
  }

  /** Resolves when nothing is queued or in flight, or after `ms`. */
  async #whenIdle(ms: number): Promise<void> {
    if (this.#queue.length === 0 && this.#inFlight === 0) return;
    await waitUnlessWoken(ms, this.#idleWaiters);
  }

  #bug(where: string, err: unknown): void {
    try {
      this.rlog.error(`bug:${where}`, 'mirror-error', { dest: this.name, kind: 'mirror_error', where, message: errorText(err) });
    } catch {
      // Logging must not be the thing that throws.
    }
  }
}
