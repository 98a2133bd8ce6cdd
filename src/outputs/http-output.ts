import { STATUS_CODES } from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import { nowNs, type Message, type RequestMessage, type ResponseMessage } from '../core/message.js';
import { ACCEPTED, dropped, type OfferResult, type Output, type RateLimit } from '../core/output.js';
import { UsageError } from '../core/errors.js';
import { RateLimitedLog, type Logger } from '../telemetry/logger.js';
import type { Stats } from '../telemetry/stats.js';
import { BoundedQueue } from './bounded-queue.js';
import { createLimiter, type Limiter } from './rate-limiter.js';
import { buildShadowRequest, classifyError, estimateSize, headersFromRaw, parseDestination, type Destination, type ErrorKind } from './http-request.js';

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
  /**
   * A copy that was accepted but not answered: its failure kind (timeout, connect_refused,
   * reset…), or 'shutdown' / 'destination_down' for copies dropped after acceptance. Lets
   * comparison count the pair by reason instead of waiting for it (see src/compare).
   */
  onCopyFailed?: (req: RequestMessage, kind: string) => void;
  /** Most body bytes kept for onResponse; the rest is read and discarded (default 1 MiB). */
  responseBufferBytes?: number;
  /** `dest=` in logs and stats (default: the URL). */
  name?: string;
}

export const HTTP_OUTPUT_DEFAULTS = {
  queueLen: 1000,
  maxQueueBytes: 16 * 1024 * 1024,
  workers: 64,
  timeoutMs: 5000,
  skipVerify: false,
  preserveHost: false,
  responseBufferBytes: 1024 * 1024,
} as const;

/** Most response bytes read just to keep a connection reusable; past it the connection is closed. */
const DRAIN_LIMIT = 1024 * 1024;

/** How long close() waits for aborted requests to settle after the grace period. */
const SETTLE_MS = 500;

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
};

type State = 'open' | 'closing' | 'closed';
type Circuit = 'closed' | 'open' | 'half-open';

/** What a Copy reports to its output when it settles (err === null: delivered). */
interface CopyOwner {
  settle(copy: Copy, err: Error | null): void;
  status(status: number): void;
  warn(key: string, err: unknown): void;
}

/**
 * One copy in flight: undici's dispatch handler (the current onRequestStart/onResponse* API).
 * The response body is discarded (or kept up to a cap for track-response). A handler must
 * not throw into undici: every callback is contained.
 */
class Copy implements Dispatcher.DispatchHandler {
  controller: Dispatcher.DispatchController | null = null;
  /** Why we aborted it, if we did: decides how its failure is counted. */
  why: 'timeout' | 'shutdown' | undefined;
  done = false;
  probe = false;
  statusCode = 0;
  statusText = '';
  headersNs = 0n;
  /** Body bytes seen (drain) or kept (track). */
  bytes = 0;
  chunks: Buffer[] | null;

  constructor(
    readonly owner: CopyOwner,
    readonly msg: RequestMessage,
    readonly started: number,
    readonly deadline: number,
    readonly startNs: bigint,
    readonly cap: number, // -1: not tracking
  ) {
    this.chunks = cap >= 0 ? [] : null;
  }

  abort(reason: Error): void {
    const c = this.controller;
    if (c && !c.aborted) c.abort(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // Timed out or shut down while waiting for a connection: stop it now.
    if (this.why) controller.abort(abortError(this.why));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, _headers: unknown, statusMessage?: string): void {
    if (statusCode < 200) return; // 1xx informational: the final answer follows
    try {
      this.statusCode = statusCode;
      this.statusText = statusMessage ?? '';
      if (this.chunks) this.headersNs = nowNs();
      this.owner.status(statusCode);
    } catch (err) {
      this.owner.warn('handler', err);
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.done) return;
    const chunks = this.chunks;
    if (chunks === null) {
      // Discarded. Past DRAIN_LIMIT (a huge or endless answer, e.g. an event stream) the
      // connection is closed instead: the shadow has answered, so it counts as delivered.
      this.bytes += chunk.length;
      if (this.bytes > DRAIN_LIMIT) {
        this.owner.settle(this, null);
        try {
          controller.abort(new Error('response over the drain limit'));
        } catch {
          /* settled already */
        }
      }
      return;
    }
    const room = this.cap - this.bytes;
    if (room <= 0) return;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    chunks.push(part);
    this.bytes += part.length;
  }

  onResponseEnd(): void {
    this.owner.settle(this, null);
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    this.owner.settle(this, err ?? new Error('unknown error'));
  }

  /** The shadow's answer for track-response (type 3). */
  response(): ResponseMessage {
    const raw = this.controller?.rawHeaders;
    const chunks = this.chunks ?? [];
    return {
      type: 'replayed-response',
      id: this.msg.id,
      startNs: this.startNs,
      latencyNs: this.headersNs - this.startNs,
      version: 'HTTP/1.1',
      status: this.statusCode,
      reason: this.statusText || STATUS_CODES[this.statusCode] || '',
      headers: Array.isArray(raw) ? headersFromRaw(raw) : [],
      body: Buffer.concat(chunks, this.bytes),
    };
  }
}

function abortError(why: 'timeout' | 'shutdown'): Error {
  return Object.assign(new Error(why === 'timeout' ? 'whole-request timeout' : 'shutdown'), { code: why === 'timeout' ? 'ETIMEDOUT' : 'ABORT_ERR' });
}

export function createHttpOutput(options: HttpOutputOptions, deps: { stats: Stats; log: Logger }): HttpOutput {
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
  readonly #dest: Destination;
  readonly #pool: Pool;
  readonly #queue: BoundedQueue<RequestMessage>;
  readonly #limiter: Limiter | undefined;
  readonly #inFlight = new Set<Copy>();
  readonly #idleWaiters = new Set<() => void>();
  readonly #sweepMs: number;
  readonly #cap: number;
  #sweeper: NodeJS.Timeout | undefined;
  #state: State = 'open';
  #pumpScheduled = false;
  #closing: Promise<void> | undefined;
  // circuit breaker
  #circuit: Circuit = 'closed';
  #downStreak = 0;
  #backoffMs = BREAKER_MIN_MS;
  #openUntil = 0;
  #probeMsg: RequestMessage | undefined;

  constructor(options: HttpOutputOptions, deps: { stats: Stats; log: Logger }) {
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
    this.#cap = options.onResponse ? (options.responseBufferBytes ?? HTTP_OUTPUT_DEFAULTS.responseBufferBytes) : -1;
    this.#queue = new BoundedQueue(options.queueLen, options.maxQueueBytes);
    this.#limiter = createLimiter(options.limit);
    this.#pool = new Pool(this.#dest.origin, {
      connections: options.workers,
      pipelining: 1,
      // undici's own timers are per phase; the sweep (below) bounds the whole request.
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connect: {
        timeout: options.timeoutMs,
        ...(this.#dest.https ? { rejectUnauthorized: !options.skipVerify } : {}),
        ...(this.#dest.servername ? { servername: this.#dest.servername } : {}),
      },
    });
    // A pool 'connectionError' etc. is reported through each request; never let it be unhandled.
    this.#pool.on('connectionError', () => {});
    this.#stats.gauge(this.name, 'queue_depth', () => this.#queue.length);
    this.#stats.gauge(this.name, 'in_flight', () => this.#inFlight.size);
  }

  get queueDepth(): number {
    return this.#queue.length;
  }

  get inFlight(): number {
    return this.#inFlight.size;
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
    const leftMsgs = this.#queue.drain();
    const left = leftMsgs.length;
    for (const m of leftMsgs) this.#copyFailed(m, 'shutdown');
    const aborted = this.#inFlight.size;
    for (const c of [...this.#inFlight]) {
      c.why ??= 'shutdown';
      this.#abort(c);
    }
    if (left > 0) this.#stats.dropped(this.name, 'shutdown', left);
    if (left + aborted > 0) this.#log.warn('mirror-drop', { dest: this.name, reason: 'shutdown', queued: left, in_flight: aborted });
    await this.#whenIdle(SETTLE_MS);
    // Copies still waiting for a connection have no controller yet: destroying the pool settles them.
    await withTimeout(this.#pool.destroy().catch(() => {}), SETTLE_MS);
    this.#stopSweep();
  }

  #abort(c: Copy): void {
    try {
      c.abort(abortError(c.why ?? 'shutdown'));
    } catch (err) {
      this.warn('abort', err);
    }
  }

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    // Out of offer()'s call (and out of undici's callbacks): starting requests is undici's work, not the tee's.
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
    if (this.#circuit === 'open' && this.#queue.length > 0) this.#dropQueued();
    while (this.#state !== 'closed' && this.#inFlight.size < this.#opts.workers) {
      const msg = this.#queue.shift();
      if (!msg) break;
      this.#start(msg);
    }
    if (this.#queue.length === 0 && this.#inFlight.size === 0) {
      for (const wake of this.#idleWaiters) wake();
    }
  }

  #start(msg: RequestMessage): void {
    const started = performance.now();
    const c = new Copy(this, msg, started, started + this.#opts.timeoutMs, this.#cap >= 0 ? nowNs() : 0n, this.#cap);
    if (msg === this.#probeMsg) {
      c.probe = true;
      this.#probeMsg = undefined;
    }
    this.#inFlight.add(c);
    this.#sweeper ??= this.#startSweep();
    const req = buildShadowRequest(msg, this.#dest, this.#opts.preserveHost);
    const options: Dispatcher.DispatchOptions & { servername?: string } = {
      method: req.method,
      path: req.path,
      headers: req.headers,
      body: req.body,
    };
    // With a preserved Host, undici would take the TLS server name from it; the shadow's own name is the right one.
    if (this.#dest.servername) options.servername = this.#dest.servername;
    try {
      this.#pool.dispatch(options, c);
    } catch (err) {
      this.settle(c, err instanceof Error ? err : new Error(String(err)));
    }
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
        // Without a controller it is still connecting: undici's connect timeout (the same length) ends it.
        this.#abort(c);
      }
    } catch (err) {
      this.warn('sweep', err);
    }
  }

  /** Called once per copy by its handler (err === null: delivered). Never throws. */
  settle(c: Copy, err: Error | null): void {
    if (c.done) return;
    c.done = true;
    this.#inFlight.delete(c);
    try {
      if (err === null) {
        this.#stats.mirrored(this.name, performance.now() - c.started);
        this.#breakerResult(c, null);
        if (c.chunks) this.#track(c);
      } else if (c.why === 'shutdown') {
        this.#stats.dropped(this.name, 'shutdown');
        this.#copyFailed(c.msg, 'shutdown');
      } else {
        const kind = c.why === 'timeout' ? 'timeout' : classifyError(err);
        this.#failed(kind, err);
        this.#copyFailed(c.msg, kind);
        this.#breakerResult(c, kind);
      }
    } catch (e) {
      this.warn('settle', e);
    }
    this.#schedulePump();
  }

  status(status: number): void {
    const cls = `${Math.floor(status / 100)}xx` as StatusClass;
    if (cls in this.statusClasses) this.statusClasses[cls]++;
  }

  warn(key: string, err: unknown): void {
    this.#rlog.warn(`${key}:${this.name}`, 'mirror-error', { dest: this.name, kind: 'mirror_error', message: errorMessage(err) });
  }

  #copyFailed(msg: RequestMessage, kind: string): void {
    const cb = this.#opts.onCopyFailed;
    if (!cb) return;
    try {
      cb(msg, kind);
    } catch (err) {
      this.warn('copy-failed', err);
    }
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
    this.#dropQueued();
  }

  /** Copies accepted but not started when the circuit opened: each would only be one more failed connect. */
  #dropQueued(): void {
    const msgs = this.#queue.drain();
    for (const m of msgs) this.#copyFailed(m, 'destination_down');
    const n = msgs.length;
    if (n > 0) this.#stats.dropped(this.name, 'destination_down', n);
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

function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void p.finally(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
