import { newMessageId, nowNs, type Header, type Message, type RawMessage, type RequestMessage, type ResponseMessage } from '../core/message.js';
import { BodyCollector } from '../http1/body-collector.js';
import { mayLeaveHttp, requestFraming, responseFraming, type BodyFraming } from '../http1/framing.js';
import { isFramingError, FramingError } from '../http1/framing-errors.js';
import {
  parseRequestHead, parseRequestLine, parseResponseHead, parseStatusLine, type RequestHead, type ResponseHead,
} from '../http1/head-parser.js';
import { scanResponseHead } from '../http1/framing-head.js';
import { MAX_HEADER_BYTES, MAX_PENDING_REQUESTS, MAX_TRACKED_REQUESTS } from '../http1/limits.js';
import { ownHead, rawHead, rawMessage, withRaw } from '../http1/raw.js';
import { StreamParser, type AfterMessage, type HeadDecision } from '../http1/stream-parser.js';
import type { Logger } from '../telemetry/logger.js';
import { RateLimitedLog } from '../telemetry/logger.js';
import { TAP, type Stats } from '../telemetry/stats.js';

export interface TapOptions {
  /** Max request body bytes copied for mirroring (gor's --copy-buffer-size, default 5 MiB). A request over it is not mirrored: stats.dropped(TAP,'body_too_large') + rate-limited warn log; never truncated. */
  maxBodyBytes: number;
  /** Also assemble the app's responses (for .gor type 2 records / middleware). When false, the response stream is still framed (to keep pipelining/HEAD/Upgrade state right) but bodies are not copied. */
  captureResponses: boolean;
  /** Receives each complete request (as soon as the request is complete) and, if captureResponses, each response (type 'response', same id as its request, latencyNs = response first byte − request first byte). Exceptions thrown by emit are caught and counted as stats.error(TAP,'emit'). */
  emit: (msg: Message) => void;
  stats: Stats; // count stats.seen(TAP) per request framed; drops under TAP
  log: Logger;
  now?: () => bigint; // ns clock, injectable for tests (default nowNs from core/message)
  /**
   * How long (ms) a complete request's copy may wait for the app to start answering it
   * (default HOLD_MS; 0: emitted as soon as the request is complete). See TapConnection.#hold.
   */
  holdMs?: number;
}

/**
 * A copy waits at most this long for production's answer to begin. Production first: the
 * copy's work (modifiers, queueing, the shadow writes, later the shadow's answer) then runs
 * after the relay has written the app's answer, not while a fast app is about to answer.
 * A slower answer doesn't need the wait (the copy's work is long done by then), so it is
 * short. Side by side with copies sent at once, the bench's fixed-rate workload measured
 * the added p50 at 500 req/s at +1.1–1.3 ms against +1.8–1.9 ms, for no change in memory.
 */
export const HOLD_MS = 5;

export interface ConnectionTap {
  fromClient(chunk: Buffer): void; // bytes client → app, in order
  fromApp(chunk: Buffer): void; // bytes app → client, in order
  close(): void; // connection ended; release everything
  readonly state: 'mirroring' | 'tunnel' | 'desync' | 'closed';
}

export interface Tap {
  open(connectionId: string): ConnectionTap;
  /** Emits every copy still waiting for its answer (shutdown: before the outputs close). */
  flush(): void;
}

/**
 * The tee's consumer: cuts copies of a connection's two byte streams into Messages.
 * Everything here runs synchronously in the relay's 'data' handlers, so it is cheap and
 * it never throws: framing problems end mirroring for the connection ('desync'),
 * anything unexpected is counted and does the same (ARCHITECTURE rule 1).
 */
export function createTap(options: TapOptions): Tap {
  const holdMs = options.holdMs ?? HOLD_MS;
  const now = options.now ?? nowNs;
  const shared: Shared = {
    ...options,
    now,
    warn: new RateLimitedLog(options.log),
    holding: holdMs > 0 ? new HoldingConnections(holdMs, now) : undefined,
  };
  return {
    open: (connectionId) => new TapConnection(connectionId, shared),
    flush: () => shared.holding?.releaseAll(),
  };
}

/**
 * The connections holding copies, and one sweep for all of them (a timer per request would
 * cost more than the wait saves): every `holdMs`, copies held that long are emitted. The
 * sweep runs only while some connection holds a copy.
 */
class HoldingConnections {
  readonly #conns = new Set<TapConnection>();
  readonly #ms: number;
  readonly #ns: bigint;
  readonly #now: () => bigint;
  #timer: NodeJS.Timeout | undefined;

  constructor(ms: number, now: () => bigint) {
    this.#ms = ms;
    this.#ns = BigInt(Math.round(ms * 1e6));
    this.#now = now;
  }

  add(conn: TapConnection): void {
    this.#conns.add(conn);
    if (!this.#timer) {
      this.#timer = setInterval(() => this.#sweep(), this.#ms);
      this.#timer.unref();
    }
  }

  delete(conn: TapConnection): void {
    this.#conns.delete(conn);
  }

  releaseAll(): void {
    // A connection leaves the set as its last copy goes: deleting the current entry is safe.
    for (const c of this.#conns) c.releaseHeld(undefined);
  }

  #sweep(): void {
    if (this.#conns.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
      return;
    }
    const cutoff = this.#now() - this.#ns;
    for (const c of this.#conns) c.releaseHeld(cutoff);
  }
}

/** The app's answers when responses are not captured (see http1/framing-head.ts). */
const FRAMING_ONLY = { strict: true, keepConnection: false } as const;

interface Shared extends Omit<TapOptions, 'now'> {
  now: () => bigint;
  warn: RateLimitedLog;
  /** Where copies wait for their answer; undefined when they don't (holdMs 0). */
  holding: HoldingConnections | undefined;
}

/** One request/response exchange, from the request's head until its final response. */
interface Exchange {
  readonly id: string;
  readonly method: string;
  readonly startNs: bigint;
  /** undefined while the request body is still arriving; then whether it was emitted. */
  emitted: boolean | undefined;
  /** A response that completed before its request did (the app answered early): emitted right after it. */
  early: ResponseMessage | undefined;
  /** Upgrade/CONNECT: client bytes after it are held until the answer says whether HTTP goes on. */
  readonly mayLeaveHttp: boolean;
  /** Too deep in a pipeline to copy: still framed and paired, counted as `pipeline_depth`. */
  readonly countOnly: boolean;
  /** The app has begun its answer (a response head was read for this request). */
  answering: boolean;
  /** The complete request's copy, waiting for the answer to begin (see #hold). */
  held: RequestMessage | undefined;
  /** When it started waiting (the tap's clock). */
  heldSince: bigint;
}

class TapConnection implements ConnectionTap {
  readonly #id: string;
  readonly #o: Shared;
  #state: ConnectionTap['state'] = 'mirroring';
  /** Requests in order whose final response has not been read (FIFO pairing, RFC 9112 §9.3.2). */
  #pending: Exchange[] = [];
  /** The request being received (head read, body not complete); it may already have its answer. */
  #inHand: Exchange | undefined;
  #requestStart = 0n;
  #responseStart = 0n;
  #requests: StreamParser<RequestHead> | undefined;
  #responses: StreamParser<ResponseHead> | undefined;
  /** How many exchanges in #pending hold a copy. */
  #holding = 0;

  constructor(id: string, o: Shared) {
    this.#id = id;
    this.#o = o;
    const heldCap = MAX_HEADER_BYTES + o.maxBodyBytes;
    this.#requests = new StreamParser<RequestHead>(
      {
        begin: () => (this.#requestStart = o.now()),
        head: (bytes) => this.#requestHead(bytes),
        complete: (head, body, trailers, _framing, decision) => this.#requestDone(head, body, trailers, decision),
      },
      { maxHeaderBytes: MAX_HEADER_BYTES, skipLeadingEmptyLines: true, maxHeldBytes: heldCap, checkStartLine: parseRequestLine },
    );
    this.#responses = new StreamParser<ResponseHead>(
      {
        begin: () => (this.#responseStart = o.now()),
        head: (bytes) => this.#responseHead(bytes),
        complete: (head, body, trailers, framing, decision) => this.#responseDone(head, body, trailers, framing, decision),
      },
      { maxHeaderBytes: MAX_HEADER_BYTES, skipLeadingEmptyLines: false, maxHeldBytes: 0, checkStartLine: parseStatusLine },
    );
  }

  get state(): ConnectionTap['state'] {
    return this.#state;
  }

  fromClient(chunk: Buffer): void {
    if (this.#state === 'mirroring') this.#guard(() => this.#requests?.feed(chunk));
  }

  fromApp(chunk: Buffer): void {
    if (this.#state === 'mirroring') this.#guard(() => this.#responses?.feed(chunk));
  }

  close(): void {
    if (this.#state === 'closed') return;
    // RFC 9112 §6.3 rule 8: a response framed by the connection's end is complete now.
    if (this.#state === 'mirroring') this.#guard(() => this.#responses?.end());
    this.#state = 'closed';
    this.#release();
  }

  /** Nothing escapes into the relay: not a framing error, not a bug, not a failing logger. */
  #guard(work: () => void): void {
    try {
      work();
    } catch (e) {
      try {
        this.#fail(e);
      } catch {
        this.#state = 'desync';
        this.#release();
      }
    }
  }

  #requestHead(bytes: Buffer) {
    const head = parseRequestHead(bytes);
    const framing = requestFraming(head);
    if (this.#pending.length >= MAX_TRACKED_REQUESTS) throw new FramingError('too_many_pipelined');
    // Deep pipelines stay framed (so every request is counted and responses pair up), but
    // past the copy depth nothing is buffered for them.
    const countOnly = this.#pending.length >= MAX_PENDING_REQUESTS;
    this.#inHand = {
      id: newMessageId(),
      method: head.method,
      startNs: this.#requestStart,
      emitted: undefined,
      early: undefined,
      mayLeaveHttp: mayLeaveHttp(head),
      countOnly,
      answering: false,
      held: undefined,
      heldSince: 0n,
    };
    this.#pending.push(this.#inHand);
    return countOnly
      ? { head, framing, body: new BodyCollector(this.#o.maxBodyBytes, false) }
      : this.#collect(head, framing, bytes);
  }

  /**
   * Where a copied message's bytes go. The head is kept as received (see ownHead). A
   * Content-Length body is collected once and is both the raw and the decoded body; a
   * chunked body is collected as received (framing included) and decoded only if someone
   * reads `body` — the decoder still runs, counting only, to frame it and cap it.
   * The cap (--copy-buffer-size) applies to the decoded size and to the bytes held.
   */
  #collect<H>(head: H, framing: BodyFraming, bytes: Buffer): HeadDecision<H> {
    const cap = this.#o.maxBodyBytes;
    const headBytes = ownHead(bytes);
    if (framing.kind !== 'chunked') return { head, framing, body: new BodyCollector(cap, true), headBytes };
    return { head, framing, body: new BodyCollector(cap, false), rawBody: new BodyCollector(cap, true), headBytes };
  }

  #requestDone(head: RequestHead, body: BodyCollector, trailers: Header[] | undefined, decision: HeadDecision<RequestHead>): AfterMessage {
    const ex = this.#inHand;
    this.#inHand = undefined;
    if (!ex) return 'continue'; // cannot happen: the head set it
    this.#o.stats.seen(TAP);
    if (ex.countOnly) {
      ex.emitted = false;
      this.#o.stats.dropped(TAP, 'pipeline_depth');
      this.#o.warn.warn('pipeline_depth', 'tap-drop', { reason: 'pipeline_depth', depth: MAX_PENDING_REQUESTS, conn: this.#id });
    } else if (body.overLimit || decision.rawBody?.overLimit === true) {
      ex.emitted = false;
      this.#dropTooLarge('request', body.total);
    } else {
      ex.emitted = true;
      const copy = withRaw<RequestMessage>(
        {
          type: 'request', id: ex.id, startNs: ex.startNs,
          method: head.method, target: head.target, version: head.version, headers: head.headers,
          ...(trailers ? { trailers } : {}),
        },
        rawOf(head, [head.method, head.target, head.version], body, decision),
      );
      // Answered already (early), being answered, or answered in full (no longer pending): now.
      const holding = this.#o.holding;
      if (!holding || ex.early || ex.answering || !this.#pending.includes(ex)) this.#emit(copy);
      else this.#hold(ex, copy, holding);
      if (ex.early) this.#emit(ex.early);
    }
    ex.early = undefined;
    // If the answer already came (an early final response), there is nothing to wait for.
    return ex.mayLeaveHttp && this.#pending.includes(ex) ? 'pause' : 'continue';
  }

  #responseHead(bytes: Buffer) {
    // The answer to the oldest request begins: its copy goes now, after the relay has
    // already written these bytes to the client.
    const ex = this.#pending[0];
    if (ex) {
      ex.answering = true;
      if (ex.held) this.#emitHeld(ex);
    }
    if (!this.#o.captureResponses) {
      // Framed, never copied: only the framing fields are read, checked as strictly as a full parse.
      const head = scanResponseHead(bytes, FRAMING_ONLY);
      return { head, framing: responseFraming(head, this.#pending[0]?.method), body: new BodyCollector(this.#o.maxBodyBytes, false) };
    }
    const head = parseResponseHead(bytes);
    return this.#collect(head, responseFraming(head, this.#pending[0]?.method), bytes);
  }

  #responseDone(
    head: ResponseHead, body: BodyCollector, trailers: Header[] | undefined, framing: BodyFraming, decision: HeadDecision<ResponseHead>,
  ): AfterMessage {
    // 1xx other than 101 are interim (e.g. 100 Continue): the final response follows for the same request.
    if (head.status < 200 && head.status !== 101) return 'continue';
    const ex = this.#pending.shift();
    if (ex && this.#o.captureResponses) {
      if (body.overLimit || decision.rawBody?.overLimit === true) this.#dropTooLarge('response', body.total);
      else if (ex.emitted !== false) {
        const msg = withRaw<ResponseMessage>(
          {
            type: 'response', id: ex.id, startNs: this.#responseStart, latencyNs: this.#responseStart - ex.startNs,
            version: head.version, status: head.status, reason: head.reason, headers: head.headers,
            ...(trailers ? { trailers } : {}),
          },
          rawOf(head, [head.version, String(head.status), head.reason], body, decision),
        );
        // A response to a dropped request is not emitted: that exchange is already counted once.
        if (ex.emitted) this.#emit(msg);
        else ex.early = msg;
      }
    }
    if (framing.kind === 'tunnel') {
      this.#state = 'tunnel';
      this.#release();
      return 'stop';
    }
    if (ex?.mayLeaveHttp) this.#requests?.resume();
    return 'continue';
  }

  /**
   * Production first: a complete request's copy waits for the app's answer to begin, at
   * most holdMs (HOLD_MS), so that with a fast app the copy's work follows the answer
   * instead of delaying it. Released by the answer's head, the sweep, or the end of
   * mirroring on this connection (close, desync, tunnel): a held copy is never dropped.
   */
  #hold(ex: Exchange, copy: RequestMessage, holding: HoldingConnections): void {
    ex.held = copy;
    ex.heldSince = this.#o.now();
    if (this.#holding++ === 0) holding.add(this);
  }

  #emitHeld(ex: Exchange): void {
    const copy = ex.held;
    if (!copy) return;
    ex.held = undefined;
    if (--this.#holding === 0) this.#o.holding?.delete(this);
    this.#emit(copy);
  }

  /** Emits, in request order, the copies held since `cutoff` or earlier (the tap's clock; every one when undefined). */
  releaseHeld(cutoff: bigint | undefined): void {
    // Emitting never changes #pending (the outputs don't call back into the tap).
    for (const ex of this.#pending) {
      if (this.#holding === 0) return;
      if (ex.held && (cutoff === undefined || ex.heldSince <= cutoff)) this.#emitHeld(ex);
    }
  }

  #emit(msg: Message): void {
    try {
      this.#o.emit(msg);
    } catch {
      this.#o.stats.error(TAP, 'emit');
    }
  }

  /**
   * A request over the cap is a copy not made (`body_too_large`, beside `seen`); an answer
   * over it has its own reason, so the tap's `seen` still balances against request drops.
   */
  #dropTooLarge(kind: 'request' | 'response', bytes: number): void {
    const reason = kind === 'request' ? 'body_too_large' : 'response_too_large';
    this.#o.stats.dropped(TAP, reason);
    this.#o.warn.warn(reason, 'tap-drop', {
      reason, kind, bytes, limit: this.#o.maxBodyBytes, conn: this.#id,
    });
  }

  /**
   * Stops mirroring this connection; the relay carries on untouched. Counted once: the
   * request in hand (if any) is `seen` and dropped; later bytes cannot be framed, so they
   * are not counted one by one — the warn line and the drop say this connection went dark.
   */
  #fail(e: unknown): void {
    if (this.#state !== 'mirroring') return;
    const inHand = this.#requests?.inMessage === true;
    this.#state = 'desync';
    if (inHand) this.#o.stats.seen(TAP);
    if (isFramingError(e)) {
      this.#o.stats.dropped(TAP, 'desync');
      this.#o.warn.warn('desync', 'tap-desync', { reason: e.reason, conn: this.#id });
    } else {
      this.#o.stats.error(TAP, 'tap_exception');
      this.#o.stats.dropped(TAP, 'mirror_error');
      this.#o.warn.warn('tap_exception', 'tap-error', { error: e instanceof Error ? e.message : String(e), conn: this.#id });
    }
    this.#release();
  }

  #release(): void {
    this.releaseHeld(undefined);
    this.#requests?.stop();
    this.#responses?.stop();
    this.#requests = undefined;
    this.#responses = undefined;
    this.#pending = [];
    this.#inHand = undefined;
  }
}

/** The raw side of a message the tap assembled (see TapConnection.#collect). */
function rawOf<H extends RequestHead | ResponseHead>(
  head: H, start: readonly [string, string, string], body: BodyCollector, decision: HeadDecision<H>,
): RawMessage {
  const chunked = decision.rawBody !== undefined;
  return rawMessage(rawHead(decision.headBytes ?? Buffer.alloc(0), start, head), (chunked ? decision.rawBody : body).finishParts(), chunked);
}
