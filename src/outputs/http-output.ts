import { nowNs, type Message, type RequestMessage, type ResponseMessage } from '../core/message.js';
import type { DropReason, Output, RateLimit } from '../core/output.js';
import { UsageError } from '../core/errors.js';
import type { ResponseHead } from '../http1/head-parser.js';
import { NO_DEBUG, type DebugLog } from '../telemetry/debug-log.js';
import { errorText } from './error-text.js';
import { QueuedOutput, type Admission, type QueuedOutputDeps } from './queued-output.js';
import { createLimiter, type Limiter } from './rate-limiter.js';
import { classifyError, estimateSize, parseDestination, shadowWireBytes, type Destination, type ErrorKind } from './http-request.js';
import type { Exchange, ShadowConnection } from './http/connection.js';
import { ConnectionPool } from './http/pool.js';

/**
 * The HTTP output: one destination's workers (= most connections), the whole-request
 * timeout sweep and the circuit breaker, on the shared output base (queued-output.ts: the
 * bounded queue, seen counting, refusals, close and its leftovers). Copies are written
 * as the pre-framed bytes of shadowWireBytes() on pooled keep-alive connections
 * (outputs/http/): no HTTP client library, nothing re-serialized on the way out.
 */

export interface HttpOutputOptions {
  /** http:// or https:// base; a path prefix in the URL is prepended to each request target (as gor does). */
  url: string;
  /** `URL|N` (per second, drops 'rate_limited') or `URL|N%` (sampling, drops 'sampled_out'). */
  limit?: RateLimit;
  /** Most requests waiting for a worker (gor --output-http-queue-len). Defaults: config/flags.ts. */
  queueLen: number;
  /** Most bytes waiting for a worker; past it copies drop as 'memory_budget'. */
  maxQueueBytes: number;
  /** Most requests in flight to this destination (gor --output-http-workers). */
  workers: number;
  /** Whole-request timeout, connect to last body byte (gor --output-http-timeout). */
  timeoutMs: number;
  /** Accept any TLS certificate (--output-http-skip-verify). */
  skipVerify: boolean;
  /** Keep the captured Host (--http-original-host, or a set-header of Host); otherwise Host := the destination's host[:port]. */
  preserveHost: boolean;
  /** For --output-http-track-response (type 3). Only when set is the shadow's body kept (capped). */
  onResponse?: (resp: ResponseMessage, req: RequestMessage) => void;
  /** Most body bytes kept for onResponse; the rest is read and discarded. */
  responseBufferBytes: number;
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

export type HttpOutputDeps = QueuedOutputDeps & { readonly debug?: DebugLog };

export function createHttpOutput(options: HttpOutputOptions, deps: HttpOutputDeps): HttpOutput {
  return new HttpOutputImpl(options, deps);
}

/** The flag table validates user input; a bad value here is a programming error. */
function assertPositive(name: string, v: number, integer: boolean): void {
  if (!(v > 0) || (integer && !Number.isInteger(v))) throw new RangeError(`http output: ${name} must be a positive ${integer ? 'integer' : 'number'}, got ${v}`);
}

/** The URL is the user's (no flag checks it before here): a bad one is a usage error naming it. */
function destinationOf(options: HttpOutputOptions): Destination {
  try {
    return parseDestination(options.url);
  } catch (err) {
    throw new UsageError('TD_BAD_VALUE', `output-http: invalid URL ${JSON.stringify(options.url)}: ${errorText(err)}`, 'use http://host[:port][/prefix] or https://…');
  }
}

function checked(options: HttpOutputOptions): HttpOutputOptions {
  assertPositive('queueLen', options.queueLen, true);
  assertPositive('maxQueueBytes', options.maxQueueBytes, false);
  assertPositive('workers', options.workers, true);
  assertPositive('timeoutMs', options.timeoutMs, false);
  if (options.onResponse) assertPositive('responseBufferBytes', options.responseBufferBytes, true);
  return options;
}

class HttpOutputImpl extends QueuedOutput<RequestMessage> implements HttpOutput, CopyOwner {
  readonly statusClasses: Record<StatusClass, number> = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
  readonly #opts: HttpOutputOptions;
  readonly #debug: DebugLog;
  readonly #dest: Destination;
  readonly #pool: ConnectionPool;
  readonly #limiter: Limiter | undefined;
  /** The copies the base counts as in flight, kept for the timeout sweep and for release(). */
  readonly #copies = new Set<Copy>();
  readonly #sweepMs: number;
  readonly #keep: number;
  #sweeper: NodeJS.Timeout | undefined;
  #staleRetries = 0;
  // circuit breaker
  #circuit: Circuit = 'closed';
  #downStreak = 0;
  #backoffMs = BREAKER_MIN_MS;
  #openUntil = 0;
  #probeMsg: RequestMessage | undefined;
  /** What opened the circuit: the kind onCopyFailed hears for the queued copies it drops. */
  #openKind: ErrorKind = 'connect_refused';

  constructor(options: HttpOutputOptions, deps: HttpOutputDeps) {
    const dest = destinationOf(checked(options));
    super(options.name ?? options.url, { maxItems: options.queueLen, maxBytes: options.maxQueueBytes }, deps);
    this.#debug = deps.debug ?? NO_DEBUG;
    this.#opts = options;
    this.#dest = dest;
    this.#sweepMs = Math.min(SWEEP_MS, Math.max(10, options.timeoutMs / 4));
    this.#keep = options.onResponse ? options.responseBufferBytes : -1;
    this.#limiter = createLimiter(options.limit);
    this.#pool = new ConnectionPool(dest, {
      max: options.workers,
      skipVerify: options.skipVerify,
      drainLimit: Math.max(DRAIN_LIMIT, this.#keep),
      idleMs: Math.max(IDLE_MS, 2 * options.timeoutMs),
      // Copies queued while every connection was busy go as soon as one is free, not at the
      // next offer: after an early answer, a connection is free only once our write ends.
      onAvailable: () => {
        if (this.queueDepth > 0) this.schedulePump();
      },
    });
    if (options.warmConnections) this.#pool.warm(options.warmConnections);
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

  protected admit(msg: Message): Admission<RequestMessage> {
    if (msg.type !== 'request') return 'filtered'; // the fan-out never offers these (wants())
    // Down: refuse until the backoff is over, then let one probe copy through (half-open).
    const probing = this.#circuit !== 'closed';
    if (probing && (this.#circuit === 'half-open' || performance.now() < this.#openUntil)) return 'destination_down';
    if (this.#limiter) {
      const ok = this.#limiter.allow();
      if (ok !== true) return ok;
    }
    const size = estimateSize(msg);
    if (probing) {
      // The queue is empty while the circuit is open (dropQueued), so only a copy larger than
      // the whole byte budget could be refused after this; it must not become a probe that
      // never runs (the circuit would stay half-open for good).
      if (size > this.#opts.maxQueueBytes) return 'memory_budget';
      this.#circuit = 'half-open';
      this.#probeMsg = msg;
    }
    return { item: msg, size };
  }

  protected pump(): void {
    if (this.#circuit === 'open' && this.queueDepth > 0) this.dropQueued('destination_down');
    while (this.inFlight < this.#opts.workers && this.queueDepth > 0) {
      const conn = this.#pool.acquire();
      if (!conn) break;
      const msg = this.take();
      if (msg === undefined) {
        this.#pool.release(conn);
        break;
      }
      this.#start(msg, conn);
    }
  }

  protected override discarded(items: readonly RequestMessage[], reason: DropReason): void {
    const kind = reason === 'shutdown' ? 'shutdown' : this.#openKind;
    for (const msg of items) this.#copyFailed(msg, kind);
  }

  /** The base counted what was in flight as `shutdown`: end those exchanges and the pool. */
  protected override release(): void {
    this.#stopSweep();
    for (const c of this.#copies) {
      c.why = 'shutdown';
      this.#debugSettled(c, abortError('shutdown'));
      c.done = true; // what the aborted connection reports next is not counted again
      c.abort();
      this.#copyFailed(c.msg, 'shutdown');
    }
    this.#copies.clear();
    this.#pool.destroy();
  }

  #start(msg: RequestMessage, conn: ShadowConnection): void {
    const started = performance.now();
    let bytes: Buffer[];
    try {
      bytes = shadowWireBytes(msg, this.#dest, this.#opts.preserveHost);
    } catch (err) {
      this.#pool.release(conn);
      if (msg === this.#probeMsg) this.#reopen();
      this.lost('mirror_error', 1, { message: errorText(err) });
      this.#copyFailed(msg, 'other');
      return;
    }
    const c = new Copy(this, msg, bytes, started, started + this.#opts.timeoutMs, this.#keep >= 0 ? nowNs() : 0n, this.#keep);
    if (msg === this.#probeMsg) {
      c.probe = true;
      this.#probeMsg = undefined;
    }
    this.#copies.add(c);
    this.#sweeper ??= this.#startSweep();
    c.conn = conn;
    conn.send(c, bytes);
  }

  /** The stale keep-alive race: send the same bytes once more, on a new connection. */
  retry(c: Copy): boolean {
    if (this.isClosed || c.why !== undefined) return false;
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
      if (this.#copies.size === 0) return this.#stopSweep();
      const now = performance.now();
      const late: Copy[] = [];
      for (const c of this.#copies) if (c.deadline <= now && c.why === undefined) late.push(c);
      for (const c of late) {
        c.why = 'timeout';
        c.abort();
        this.settle(c, abortError('timeout'));
      }
    } catch (err) {
      this.#warn('sweep', err);
    }
  }

  /** Called once per copy by its handler (err === null: delivered). Never throws. */
  settle(c: Copy, err: Error | null): void {
    if (c.done) return;
    c.done = true;
    c.conn = null;
    this.#copies.delete(c);
    this.#debugSettled(c, err);
    try {
      if (err === null) {
        this.delivered(1, performance.now() - c.started);
        this.#breakerResult(c, null);
        if (c.keep >= 0) this.#track(c);
      } else {
        const kind = c.why === 'timeout' ? 'timeout' : classifyError(err);
        this.failed(kind, 1, { message: errorText(err) });
        this.#breakerResult(c, kind);
        this.#copyFailed(c.msg, kind);
      }
    } catch (e) {
      this.#warn('settle', e);
    }
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
      this.#warn('copy-failed', err);
    }
  }

  #warn(key: string, err: unknown): void {
    this.rlog.warn(`bug:${key}`, 'mirror-error', { dest: this.name, kind: 'mirror_error', where: key, message: errorText(err) });
  }

  #track(c: Copy): void {
    const track = this.#opts.onResponse;
    if (!track) return;
    try {
      track(c.response(), c.msg);
    } catch (err) {
      // The copy was delivered; a failing consumer is logged, not counted against the shadow.
      this.rlog.warn('track', 'mirror-error', { dest: this.name, kind: 'track_response', message: errorText(err) });
    }
  }

  /** The circuit breaker: N consecutive refused/reset/dns/tls failures open it; a probe closes it. */
  #breakerResult(c: Copy, kind: ErrorKind | null): void {
    const down = kind !== null && DOWN_KINDS.has(kind);
    if (c.probe) {
      if (down) this.#reopen(kind);
      else {
        this.#circuit = 'closed';
        this.#downStreak = 0;
        this.#backoffMs = BREAKER_MIN_MS;
        this.log.info('destination-up', { dest: this.name });
      }
      return;
    }
    if (this.#circuit !== 'closed') return; // copies started before it opened
    if (kind === null) this.#downStreak = 0;
    else if (down && ++this.#downStreak >= BREAKER_THRESHOLD) this.#open(kind);
  }

  /** A probe that failed (or could not be sent): open again, for twice as long. */
  #reopen(kind: ErrorKind | null = null): void {
    this.#backoffMs = Math.min(this.#backoffMs * 2, BREAKER_MAX_MS);
    this.#open(kind);
  }

  #open(kind: ErrorKind | null): void {
    this.#circuit = 'open';
    this.#downStreak = 0;
    this.#probeMsg = undefined;
    this.#openUntil = performance.now() + this.#backoffMs;
    this.#openKind = kind ?? 'connect_refused';
    this.log.warn('destination-down', { dest: this.name, for_ms: this.#backoffMs, kind: kind ?? 'other' });
    // Copies accepted but not started: each would only be one more failed connect.
    this.dropQueued('destination_down');
  }
}
