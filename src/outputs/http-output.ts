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

export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';

export type HttpOutput = Output & {
  readonly queueDepth: number;
  readonly inFlight: number;
  /** Shadow responses by status class (a 5xx is a delivered mirror, not an error). */
  readonly statusClasses: Readonly<Record<StatusClass, number>>;
};

interface InFlight {
  readonly ctl: AbortController;
  /** Why we aborted it, if we did: decides how its failure is counted. */
  why?: 'timeout' | 'shutdown';
}

type State = 'open' | 'closing' | 'closed';

export function createHttpOutput(options: HttpOutputOptions, deps: { stats: Stats; log: Logger }): HttpOutput {
  return new HttpOutputImpl(options, deps);
}

function positive(name: string, v: number, integer: boolean): number {
  if (!(v > 0) || (integer && !Number.isInteger(v))) {
    throw new UsageError('TD_BAD_VALUE', `${name} must be a positive ${integer ? 'integer' : 'number'}, got ${v}`);
  }
  return v;
}

class HttpOutputImpl implements HttpOutput {
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
  readonly #inFlight = new Set<InFlight>();
  readonly #idleWaiters = new Set<() => void>();
  #state: State = 'open';
  #pumpScheduled = false;
  #closing: Promise<void> | undefined;

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
    this.#queue = new BoundedQueue(options.queueLen, options.maxQueueBytes);
    this.#limiter = createLimiter(options.limit);
    this.#pool = new Pool(this.#dest.origin, {
      connections: options.workers,
      pipelining: 1,
      // undici's own timers are per phase; ours (below) bounds the whole request.
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
    if (this.#limiter) {
      const ok = this.#limiter.allow();
      if (ok !== true) return dropped(ok);
    }
    const pushed = this.#queue.push(msg, estimateSize(msg));
    if (pushed === 'full') return dropped('queue_full');
    if (pushed === 'over_bytes') return dropped('memory_budget');
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
    const left = this.#queue.drain().length;
    const aborted = this.#inFlight.size;
    for (const f of this.#inFlight) {
      f.why ??= 'shutdown';
      f.ctl.abort();
    }
    if (left > 0) this.#stats.dropped(this.name, 'shutdown', left);
    if (left + aborted > 0) this.#log.warn('mirror-drop', { dest: this.name, reason: 'shutdown', queued: left, in_flight: aborted });
    await this.#whenIdle(SETTLE_MS);
    await withTimeout(this.#pool.destroy().catch(() => {}), SETTLE_MS);
  }

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    // Out of offer()'s call: starting requests is undici's work, not the tee's.
    queueMicrotask(() => {
      this.#pumpScheduled = false;
      this.#safePump();
    });
  }

  #pump(): void {
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
    const f: InFlight = { ctl: new AbortController() };
    this.#inFlight.add(f);
    const timer = setTimeout(() => {
      f.why ??= 'timeout';
      f.ctl.abort();
    }, this.#opts.timeoutMs);
    timer.unref();
    const started = performance.now();
    this.#send(msg, f.ctl.signal).then(
      () => {
        clearTimeout(timer);
        this.#stats.mirrored(this.name, performance.now() - started);
      },
      (err: unknown) => {
        clearTimeout(timer);
        if (f.why === 'shutdown') this.#stats.dropped(this.name, 'shutdown');
        else this.#failed(f.why === 'timeout' ? 'timeout' : classifyError(err), err);
      },
    ).finally(() => {
      this.#inFlight.delete(f);
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

  async #send(msg: RequestMessage, signal: AbortSignal): Promise<void> {
    const req = buildShadowRequest(msg, this.#dest, this.#opts.preserveHost);
    const startNs = nowNs();
    const track = this.#opts.onResponse;
    const options: Dispatcher.RequestOptions & { servername?: string } = {
      method: req.method,
      path: req.path,
      headers: req.headers,
      body: req.body,
      signal,
      responseHeaders: track ? 'raw' : null,
    };
    // With a preserved Host, undici would take the TLS server name from it; the shadow's own name is the right one.
    if (this.#dest.servername) options.servername = this.#dest.servername;
    const res = await this.#pool.request(options);
    const headersNs = nowNs();
    this.#countStatus(res.statusCode);
    if (!track) {
      // Drain and discard, so the connection can be reused. Past DRAIN_LIMIT (a huge or
      // endless answer, e.g. an event stream) undici closes the connection instead: the
      // shadow has answered, so it still counts as delivered, and the worker is free.
      await res.body.dump({ limit: DRAIN_LIMIT, signal });
      return;
    }
    const cap = this.#opts.responseBufferBytes ?? HTTP_OUTPUT_DEFAULTS.responseBufferBytes;
    const chunks: Buffer[] = [];
    let kept = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      if (kept >= cap) continue;
      const part = chunk.length > cap - kept ? chunk.subarray(0, cap - kept) : chunk;
      chunks.push(part);
      kept += part.length;
    }
    const resp: ResponseMessage = {
      type: 'replayed-response',
      id: msg.id,
      startNs,
      latencyNs: headersNs - startNs,
      version: 'HTTP/1.1',
      status: res.statusCode,
      reason: res.statusText || STATUS_CODES[res.statusCode] || '',
      headers: headersFromRaw(res.headers as unknown as Buffer[]),
      body: Buffer.concat(chunks, kept),
    };
    try {
      track(resp, msg);
    } catch (err) {
      // The copy was delivered; a failing consumer is logged, not counted against the shadow.
      this.#rlog.warn(`track:${this.name}`, 'mirror-error', { dest: this.name, kind: 'track_response', message: errorMessage(err) });
    }
  }

  #countStatus(status: number): void {
    const cls = `${Math.floor(status / 100)}xx` as StatusClass;
    if (cls in this.statusClasses) this.statusClasses[cls]++;
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
