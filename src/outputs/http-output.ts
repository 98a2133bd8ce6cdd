import { nowNs, type Message, type RequestMessage, type ResponseMessage } from '../core/message.js';
import { ACCEPTED, dropped, type OfferResult, type Output, type RateLimit } from '../core/output.js';
import { UsageError } from '../core/errors.js';
import type { ResponseHead } from '../http1/head-parser.js';
import { RateLimitedLog, type Logger } from '../telemetry/logger.js';
import type { Stats } from '../telemetry/stats.js';
import { NO_DEBUG, type DebugLog } from '../telemetry/debug-log.js';
import { BoundedQueue } from './bounded-queue.js';
import { createLimiter, type Limiter } from './rate-limiter.js';
import { classifyError, estimateSize, parseDestination, shadowWireBytes, type Destination, type ErrorKind } from './http-request.js';
import type { Exchange, ShadowConnection } from './http/connection.js';
import { ConnectionPool } from './http/pool.js';

/**
 * The HTTP output: one destination's bounded queue, its workers (= most connections), the
 * whole-request timeout sweep, the circuit breaker and the accounting. Copies are written
 * as the pre-framed bytes of shadowWireBytes() on pooled keep-alive connections
 * (outputs/http/): no HTTP client library, nothing re-serialized on the way out.
 */

export interface HttpOutputOptions {
  /** http:// or https:// base; a path prefix in the URL is prepended to each request target (as gor does). */
  url: string;
  /** `URL|N` (per second, drops 'rate_limited') or `URL|N%` (sampling, drops 'sampled_out'). */
  limit?: RateLimit;
  /** Most requests waiting for a worker (gor --output-http-queue-len; default 1000). */
  queueLen: number;
  /** Most bytes waiting for a worker (default 16 MiB); past it copies drop as 'memory_budget'. */
  maxQueueBytes: number;
  /** Most requests in flight to this destination (gor --output-http-workers; default 64). */
  workers: number;
  /** Whole-request timeout, connect to last body byte (gor --output-http-timeout; default 5000 ms). */
  timeoutMs: number;
  /** Accept any TLS certificate (--output-http-skip-verify; default false). */
  skipVerify: boolean;
  /** Keep the captured Host (--http-original-host, or a set-header of Host); otherwise Host := the destination's host[:port]. */
  preserveHost: boolean;
  /** For --output-http-track-response (type 3). Only when set is the shadow's body kept (capped). */
  onResponse?: (resp: ResponseMessage, req: RequestMessage) => void;
  /** Most body bytes kept for onResponse; the rest is read and discarded (default 1 MiB). */
  responseBufferBytes?: number;
  /** `dest=` in logs and stats (default: the URL). */
  name?: string;
  /**
   * Called once when an accepted copy ends without a response (an error, a timeout, a
   * shutdown, or dropped from the queue when the circuit opened): compare counts unpaired
   * pairs by reason. Exceptions are caught and logged.
   */
  onCopyFailed?: (req: RequestMessage, kind: ErrorKind | 'shutdown') => void;
  /**
   * Connections opened (and TLS handshakes done) as soon as the output is built, before
   * any traffic (default 0; the engine asks for a few). Capped at workers.
   */
  warmConnections?: number;
}

export const HTTP_OUTPUT_DEFAULTS = {
  queueLen: 1000,
  maxQueueBytes: 16 * 1024 * 1024,
  workers: 64,
  timeoutMs: 5000,
  skipVerify: false,
  preserveHost: false,
  responseBufferBytes: 1024 * 1024,
  warmConnections: 0,
} as const;

/** Most response bytes read just to keep a connection reusable; past it the connection is closed. */
const DRAIN_LIMIT = 1024 * 1024;

/** An idle keep-alive connection is closed after this long without traffic (at least 2 timeouts). */
const IDLE_MS = 30_000;

/**
 * Methods a stale keep-alive connection may be retried for (RFC 9110 §9.2.2). A request
 * written on a socket the shadow had just closed, with no response byte back, is sent once
 * more on a fresh connection if idempotent; otherwise it is counted as a `reset` error
 * (the shadow may have processed it).
 */
const RETRYABLE: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** One sweep per output aborts the copies past their deadline (instead of a timer per copy). */
const SWEEP_MS = 250;

/** Circuit breaker: this many consecutive failures of these kinds open it, for a backoff that doubles. */
const BREAKER_THRESHOLD = 5;
const BREAKER_MIN_MS = 1000;
const BREAKER_MAX_MS = 30_000;
const DOWN_KINDS: ReadonlySet<ErrorKind> = new Set<ErrorKind>(['connect_refused', 'reset', 'dns', 'tls']);

export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';

export type HttpOutput = Output & {
  readonly queueDepth: number;
  readonly inFlight: number;
  /** Shadow responses by status class (a 5xx is a delivered mirror, not an error). */
  readonly statusClasses: Readonly<Record<StatusClass, number>>;
  /** 'open' while the destination is considered down (copies refused 'destination_down'). */
  readonly circuit: Circuit;
  /** Copies sent once more on a fresh connection after the stale keep-alive race. */
  readonly staleRetries: number;
};

type State = 'open' | 'closing' | 'closed';
type Circuit = 'closed' | 'open' | 'half-open';

/** What a Copy reports to its output. */
interface CopyOwner {
  settle(copy: Copy, err: Error | null): void;
  status(status: number): void;
  retry(copy: Copy): boolean;
}

/**
 * One copy in flight on one pooled connection. It is the connection's Exchange: the
 * connection reports the response head, the end, or the failure; the copy settles once.
 */
class Copy implements Exchange {
  conn: ShadowConnection | null = null;
  /** Why we ended it, if we did: decides how its failure is counted. */
  why: 'timeout' | 'shutdown' | undefined;
  done = false;
  probe = false;
  retried = false;
  head: ResponseHead | null = null;
  headersNs = 0n;
  body: Buffer | null = null;
  readonly method: string;

  constructor(
    readonly owner: CopyOwner,
    readonly msg: RequestMessage,
    readonly bytes: readonly Buffer[],
    readonly started: number,
    readonly deadline: number,
    readonly startNs: bigint,
    readonly keep: number, // -1: not tracking
  ) {
    this.method = msg.method;
  }

  onHead(head: ResponseHead): void {
    this.head = head;
    if (this.keep >= 0) this.headersNs = nowNs();
    this.owner.status(head.status);
  }

  onResponse(_head: ResponseHead, body: Buffer): void {
    this.conn = null;
    if (this.keep >= 0) this.body = body;
    this.owner.settle(this, null);
  }

  onFailure(err: Error, early: boolean): void {
    this.conn = null;
    if (early && !this.done && !this.retried && RETRYABLE.has(this.method) && this.owner.retry(this)) return;
    this.owner.settle(this, err);
  }

  onDrainLimit(kept: Buffer): void {
    this.conn = null;
    // Delivered as far as the shadow is concerned; a tracked body is what was kept, which is
    // over the keep cap, so a consumer (compare) sees it was cut rather than a short body.
    if (this.keep >= 0) this.body = kept;
    this.owner.settle(this, null);
  }

  /** Ends the exchange now (timeout, shutdown): its connection is closed, not reused. */
  abort(): void {
    const c = this.conn;
    this.conn = null;
    if (c) c.destroy();
  }

  /** The shadow's answer for track-response (type 3). */
  response(): ResponseMessage {
    const head = this.head;
    return {
      type: 'replayed-response',
      id: this.msg.id,
      startNs: this.startNs,
      latencyNs: this.headersNs - this.startNs,
      version: head?.version ?? 'HTTP/1.1',
      status: head?.status ?? 0,
      reason: head?.reason ?? '',
      headers: head?.headers ?? [],
      body: this.body ?? Buffer.alloc(0),
    };
  }
}

function abortError(why: 'timeout' | 'shutdown'): Error {
  return Object.assign(new Error(why === 'timeout' ? 'whole-request timeout' : 'shutdown'), { code: why === 'timeout' ? 'ETIMEDOUT' : 'ABORT_ERR' });
}

export function createHttpOutput(options: HttpOutputOptions, deps: { stats: Stats; log: Logger; debug?: DebugLog }): HttpOutput {
  return new HttpOutputImpl(options, deps);
}

function positive(name: string, v: number, integer: boolean): number {
  if (!(v > 0) || (integer && !Number.isInteger(v))) {
    throw new UsageError('TD_BAD_VALUE', `${name} must be a positive ${integer ? 'integer' : 'number'}, got ${v}`);
  }
  return v;
}

class HttpOutputImpl implements HttpOutput, CopyOwner {
  readonly name: string;
  readonly statusClasses: Record<StatusClass, number> = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
  readonly #opts: HttpOutputOptions;
  readonly #stats: Stats;
  readonly #log: Logger;
  readonly #rlog: RateLimitedLog;
  readonly #debug: DebugLog;
  readonly #dest: Destination;
  readonly #pool: ConnectionPool;
  readonly #queue: BoundedQueue<RequestMessage>;
  readonly #limiter: Limiter | undefined;
  readonly #inFlight = new Set<Copy>();
  readonly #idleWaiters = new Set<() => void>();
  readonly #sweepMs: number;
  readonly #keep: number;
  #sweeper: NodeJS.Timeout | undefined;
  #staleRetries = 0;
  #state: State = 'open';
  #pumpScheduled = false;
  #closing: Promise<void> | undefined;
  // circuit breaker
  #circuit: Circuit = 'closed';
  #downStreak = 0;
  #backoffMs = BREAKER_MIN_MS;
  #openUntil = 0;
  #probeMsg: RequestMessage | undefined;

  constructor(options: HttpOutputOptions, deps: { stats: Stats; log: Logger; debug?: DebugLog }) {
    this.#debug = deps.debug ?? NO_DEBUG;
    this.#opts = options;
    this.#stats = deps.stats;
    this.#log = deps.log;
    this.#rlog = new RateLimitedLog(deps.log);
    try {
      this.#dest = parseDestination(options.url);
    } catch (err) {
      throw new UsageError('TD_BAD_VALUE', `output-http: invalid URL ${JSON.stringify(options.url)}: ${(err as Error).message}`, 'use http://host[:port][/prefix] or https://…');
    }
    this.name = options.name ?? options.url;
    positive('output-http-queue-len', options.queueLen, true);
    positive('output-http max queue bytes', options.maxQueueBytes, false);
    positive('output-http-workers', options.workers, true);
    positive('output-http-timeout', options.timeoutMs, false);
    this.#sweepMs = Math.min(SWEEP_MS, Math.max(10, options.timeoutMs / 4));
    this.#keep = options.onResponse ? (options.responseBufferBytes ?? HTTP_OUTPUT_DEFAULTS.responseBufferBytes) : -1;
    this.#queue = new BoundedQueue(options.queueLen, options.maxQueueBytes);
    this.#limiter = createLimiter(options.limit);
    this.#pool = new ConnectionPool(this.#dest, {
      max: options.workers,
      skipVerify: options.skipVerify,
      drainLimit: Math.max(DRAIN_LIMIT, this.#keep),
      idleMs: Math.max(IDLE_MS, 2 * options.timeoutMs),
    });
    const warm = options.warmConnections ?? HTTP_OUTPUT_DEFAULTS.warmConnections;
    if (warm > 0) this.#pool.warm(warm);
    this.#stats.gauge(this.name, 'queue_depth', () => this.#queue.length);
    this.#stats.gauge(this.name, 'in_flight', () => this.#inFlight.size);
  }

  get queueDepth(): number {
    return this.#queue.length;
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Copies sent again after the stale keep-alive race (see RETRYABLE). */
  get staleRetries(): number {
    return this.#staleRetries;
  }

  get circuit(): Circuit {
    return this.#circuit;
  }

  wants(msg: Message): boolean {
    return msg.type === 'request';
  }

  offer(msg: Message): OfferResult {
    if (msg.type !== 'request') return dropped('filtered'); // the fan-out never offers these (wants())
    this.#stats.seen(this.name);
    try {
      return this.#enqueue(msg);
    } catch (err) {
      // Never throw to the tee. The caller counts the drop; we only say why.
      this.#rlog.warn(`offer:${this.name}`, 'mirror-error', { dest: this.name, kind: 'mirror_error', message: errorMessage(err) });
      return dropped('mirror_error');
    }
  }

  #enqueue(msg: RequestMessage): OfferResult {
    if (this.#state !== 'open') return dropped('shutdown');
    // Down: refuse until the backoff is over, then let one probe copy through (half-open).
    const probing = this.#circuit !== 'closed';
    if (probing && (this.#circuit === 'half-open' || performance.now() < this.#openUntil)) return dropped('destination_down');
    if (this.#limiter) {
      const ok = this.#limiter.allow();
      if (ok !== true) return dropped(ok);
    }
    const pushed = this.#queue.push(msg, estimateSize(msg));
    if (pushed === 'full') return dropped('queue_full');
    if (pushed === 'over_bytes') return dropped('memory_budget');
    if (probing) {
      this.#circuit = 'half-open';
      this.#probeMsg = msg;
    }
    this.#schedulePump();
    return ACCEPTED;
  }

  close(graceMs: number): Promise<void> {
    this.#closing ??= this.#close(graceMs);
    return this.#closing;
  }

  async #close(graceMs: number): Promise<void> {
    this.#state = 'closing';
    await this.#whenIdle(Math.max(0, graceMs));
    this.#state = 'closed';
    const left = this.#queue.drain();
    const aborted = this.#inFlight.size;
    for (const c of [...this.#inFlight]) {
      c.why ??= 'shutdown';
      c.abort();
      this.settle(c, abortError(c.why));
    }
    if (left.length > 0) {
      this.#stats.dropped(this.name, 'shutdown', left.length);
      for (const msg of left) this.#copyFailed(msg, 'shutdown');
    }
    if (left.length + aborted > 0) this.#log.warn('mirror-drop', { dest: this.name, reason: 'shutdown', queued: left.length, in_flight: aborted });
    this.#pool.destroy();
    this.#stopSweep();
  }

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    // Out of offer()'s call (and out of the connections' callbacks): writing copies is not the tee's work.
    queueMicrotask(() => {
      this.#pumpScheduled = false;
      this.#safePump();
    });
  }

  /** A throw here would be an uncaught exception in a microtask or callback: contain it. */
  #safePump(): void {
    try {
      this.#pump();
    } catch (err) {
      this.#rlog.warn(`pump:${this.name}`, 'mirror-error', { dest: this.name, kind: 'mirror_error', message: errorMessage(err) });
    }
  }

  #pump(): void {
    if (this.#circuit === 'open' && this.#queue.length > 0) this.#dropQueued(null);
    while (this.#state !== 'closed' && this.#inFlight.size < this.#opts.workers && this.#queue.length > 0) {
      const conn = this.#pool.acquire();
      if (!conn) break;
      this.#start(this.#queue.shift()!, conn);
    }
    if (this.#queue.length === 0 && this.#inFlight.size === 0) {
      for (const wake of this.#idleWaiters) wake();
    }
  }

  #start(msg: RequestMessage, conn: ShadowConnection): void {
    const started = performance.now();
    let bytes: Buffer[];
    try {
      bytes = shadowWireBytes(msg, this.#dest, this.#opts.preserveHost);
    } catch (err) {
      this.#pool.release(conn);
      this.#stats.dropped(this.name, 'mirror_error');
      this.warn('frame', err);
      return;
    }
    const c = new Copy(this, msg, bytes, started, started + this.#opts.timeoutMs, this.#keep >= 0 ? nowNs() : 0n, this.#keep);
    if (msg === this.#probeMsg) {
      c.probe = true;
      this.#probeMsg = undefined;
    }
    this.#inFlight.add(c);
    this.#sweeper ??= this.#startSweep();
    c.conn = conn;
    conn.send(c, bytes);
  }

  /** The stale keep-alive race: send the same bytes once more, on a new connection. */
  retry(c: Copy): boolean {
    if (this.#state === 'closed' || c.why !== undefined) return false;
    const conn = this.#pool.acquire(true);
    if (!conn) return false;
    c.retried = true;
    c.conn = conn;
    this.#staleRetries++;
    conn.send(c, c.bytes);
    return true;
  }

  #startSweep(): NodeJS.Timeout {
    const t = setInterval(() => this.#sweep(), this.#sweepMs);
    t.unref();
    return t;
  }

  #stopSweep(): void {
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }

  /** Aborts the copies past their deadline; one interval per output, only while copies are in flight. */
  #sweep(): void {
    try {
      if (this.#inFlight.size === 0) return this.#stopSweep();
      const now = performance.now();
      const late: Copy[] = [];
      for (const c of this.#inFlight) if (c.deadline <= now && c.why === undefined) late.push(c);
      for (const c of late) {
        c.why = 'timeout';
        c.abort();
        this.settle(c, abortError('timeout'));
      }
    } catch (err) {
      this.warn('sweep', err);
    }
  }

  /** Called once per copy by its handler (err === null: delivered). Never throws. */
  settle(c: Copy, err: Error | null): void {
    if (c.done) return;
    c.done = true;
    c.conn = null;
    this.#inFlight.delete(c);
    this.#debugSettled(c, err);
    try {
      if (err === null) {
        this.#stats.mirrored(this.name, performance.now() - c.started);
        this.#breakerResult(c, null);
        if (c.keep >= 0) this.#track(c);
      } else if (c.why === 'shutdown') {
        this.#stats.dropped(this.name, 'shutdown');
        this.#copyFailed(c.msg, 'shutdown');
      } else {
        const kind = c.why === 'timeout' ? 'timeout' : classifyError(err);
        this.#failed(kind, err);
        this.#breakerResult(c, kind);
        this.#copyFailed(c.msg, kind);
      }
    } catch (e) {
      this.warn('settle', e);
    }
    this.#schedulePump();
  }

  /** --verbose: one line per settled copy (status and latency, or why it failed). Keep this call in settle(). */
  #debugSettled(c: Copy, err: Error | null): void {
    if (!this.#debug.enabled) return;
    const base = { dest: this.name, method: c.msg.method, target: c.msg.target, latencyMs: performance.now() - c.started };
    if (err === null) this.#debug.copy({ ...base, status: c.head?.status });
    else if (c.why === 'shutdown') this.#debug.copy({ ...base, drop: 'shutdown' });
    else this.#debug.copy({ ...base, error: c.why === 'timeout' ? 'timeout' : classifyError(err) });
  }

  status(status: number): void {
    const cls = `${Math.floor(status / 100)}xx` as StatusClass;
    if (cls in this.statusClasses) this.statusClasses[cls]++;
  }

  #copyFailed(msg: RequestMessage, kind: ErrorKind | 'shutdown'): void {
    const cb = this.#opts.onCopyFailed;
    if (!cb) return;
    try {
      cb(msg, kind);
    } catch (err) {
      this.warn('copy-failed', err);
    }
  }

  warn(key: string, err: unknown): void {
    this.#rlog.warn(`${key}:${this.name}`, 'mirror-error', { dest: this.name, kind: 'mirror_error', message: errorMessage(err) });
  }

  #track(c: Copy): void {
    const track = this.#opts.onResponse;
    if (!track) return;
    try {
      track(c.response(), c.msg);
    } catch (err) {
      // The copy was delivered; a failing consumer is logged, not counted against the shadow.
      this.#rlog.warn(`track:${this.name}`, 'mirror-error', { dest: this.name, kind: 'track_response', message: errorMessage(err) });
    }
  }

  /** The circuit breaker: N consecutive refused/reset/dns/tls failures open it; a probe closes it. */
  #breakerResult(c: Copy, kind: ErrorKind | null): void {
    const down = kind !== null && DOWN_KINDS.has(kind);
    if (c.probe) {
      if (down) {
        this.#backoffMs = Math.min(this.#backoffMs * 2, BREAKER_MAX_MS);
        this.#open(kind);
      } else {
        this.#circuit = 'closed';
        this.#downStreak = 0;
        this.#backoffMs = BREAKER_MIN_MS;
        this.#log.info('destination-up', { dest: this.name });
      }
      return;
    }
    if (this.#circuit !== 'closed') return; // copies started before it opened
    if (kind === null) this.#downStreak = 0;
    else if (down && ++this.#downStreak >= BREAKER_THRESHOLD) this.#open(kind);
  }

  #open(kind: ErrorKind | null): void {
    this.#circuit = 'open';
    this.#downStreak = 0;
    this.#probeMsg = undefined;
    this.#openUntil = performance.now() + this.#backoffMs;
    this.#log.warn('destination-down', { dest: this.name, for_ms: this.#backoffMs, kind: kind ?? 'other' });
    this.#dropQueued(kind);
  }

  /** Copies accepted but not started when the circuit opened: each would only be one more failed connect. */
  #dropQueued(kind: ErrorKind | null): void {
    const left = this.#queue.drain();
    if (left.length === 0) return;
    this.#stats.dropped(this.name, 'destination_down', left.length);
    for (const msg of left) this.#copyFailed(msg, kind ?? 'connect_refused');
  }

  #failed(kind: ErrorKind, err: unknown): void {
    this.#stats.error(this.name, kind);
    this.#rlog.warn(`error:${this.name}:${kind}`, 'mirror-error', { dest: this.name, kind, message: errorMessage(err) });
  }

  /** Resolves when nothing is queued or in flight, or after `ms`, whichever is first. */
  #whenIdle(ms: number): Promise<void> {
    if (this.#queue.length === 0 && this.#inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#idleWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#idleWaiters.add(done);
    });
  }
}

function errorMessage(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.length > 200 ? m.slice(0, 200) + '…' : m;
}
