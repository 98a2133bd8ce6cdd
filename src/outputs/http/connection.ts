import type { Socket } from 'node:net';
import type { Header } from '../../core/message.js';
import { BodyCollector } from '../../http1/body-collector.js';
import { responseFraming, type BodyFraming } from '../../http1/framing.js';
import { parseResponseHead, type ResponseHead } from '../../http1/head-parser.js';
import { MAX_HEADER_BYTES } from '../../http1/limits.js';
import { scanResponseHead } from '../../http1/framing-head.js';
import { StreamParser, type AfterMessage, type HeadDecision } from '../../http1/stream-parser.js';

/**
 * One keep-alive connection to a shadow, carrying one copy at a time (no pipelining: a
 * shadow that answers out of order or drops a pipelined request cannot confuse us).
 * Requests go out as pre-framed bytes in one corked write (one writev); responses are
 * framed with the project's own http1/ parser, whose body is counted (and kept up to a
 * cap only for track-response) — never re-assembled otherwise.
 */

/** What a connection needs from the copy it carries. */
export interface Exchange {
  readonly method: string;
  /** -1: discard the body; otherwise keep up to this many bytes (track-response). */
  readonly keep: number;
  /** The final (non-1xx) response head arrived. */
  onHead(head: ResponseHead): void;
  /** The response is complete; `body` holds the kept bytes. */
  onResponse(head: ResponseHead, body: Buffer): void;
  /**
   * The exchange ended without a complete response. `early` is true when no response byte
   * had arrived on a connection that was open before the copy was written: the stale
   * keep-alive race.
   */
  onFailure(err: Error, early: boolean): void;
  /** Past the drain limit: the shadow has answered, the rest is not worth reading. */
  /** The answer ran past the drain limit: `kept` is what the sink kept of its body (cut, so longer than any cap below the limit). */
  onDrainLimit(kept: Buffer): void;
}

/** What a connection tells its pool. */
export interface ConnectionOwner {
  release(conn: ShadowConnection): void;
  gone(conn: ShadowConnection): void;
  connected(conn: ShadowConnection): void;
}

/**
 * Counts a response's body bytes and keeps the first `keep` of them (track-response);
 * never holds more. One per connection, reset for each exchange: no allocation per copy
 * when bodies are discarded.
 */
class ResponseSink extends BodyCollector {
  #parts: Buffer[] = [];
  #keep = -1;
  #kept = 0;
  #total = 0;
  constructor() {
    super(0, false);
  }
  reset(keep: number): void {
    this.#parts = [];
    this.#keep = keep;
    this.#kept = 0;
    this.#total = 0;
  }
  override expect(): void {}
  override add(piece: Buffer): void {
    this.#total += piece.length;
    const room = this.#keep - this.#kept;
    if (room <= 0) return;
    // Copied: a kept slice must not pin the socket's read buffer.
    const part = Buffer.from(piece.length > room ? piece.subarray(0, room) : piece);
    this.#parts.push(part);
    this.#kept += part.length;
  }
  override get total(): number {
    return this.#total;
  }
  override get overLimit(): boolean {
    return false;
  }
  override finish(): Buffer {
    const parts = this.#parts;
    this.#parts = [];
    if (parts.length === 0) return EMPTY;
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, this.#kept);
  }
}

/** A discarded answer: its framing and Connection, nothing else read or validated. */
const DISCARDED = { strict: false, keepConnection: true } as const;

export class ShadowConnection {
  readonly socket: Socket;
  /** The copy in flight on this connection, or null while idle. */
  current: Exchange | null = null;
  /** The socket is (TLS-)connected. */
  ready = false;
  #gotBytes = false;
  /**
   * The current copy was written on a connection that was already open (reused, or warmed
   * ahead of traffic): if it closes before any response byte, the shadow most likely closed
   * it as idle just as we wrote — the stale keep-alive race, not a failure of the copy.
   */
  #sentOnOpen = false;
  /**
   * The current copy's bytes have left our buffers (the last write's callback ran). Asked
   * of the callback rather than of `socket.writableLength`: a TLS socket reports its writes
   * done from a later immediate, so on loopback the answer was often read first, and a
   * healthy connection was closed as if the shadow had answered early (hundreds of TLS
   * handshakes where a few dozen connections do).
   */
  #written = true;
  /** The answer came while our last write was still pending: release when it completes. */
  #releaseWhenWritten = false;
  readonly #sink = new ResponseSink();
  #reusable = true;
  #dead = false;
  readonly #parser: StreamParser<ResponseHead>;
  readonly #owner: ConnectionOwner;
  readonly #drainLimit: number;

  constructor(socket: Socket, owner: ConnectionOwner, drainLimit: number, secure: boolean) {
    this.socket = socket;
    this.#owner = owner;
    this.#drainLimit = drainLimit;
    this.#parser = new StreamParser<ResponseHead>(
      {
        begin: () => {},
        head: (bytes) => this.#head(bytes),
        complete: (head, _body, _trailers, framing) => this.#complete(head, framing),
      },
      { maxHeaderBytes: MAX_HEADER_BYTES, skipLeadingEmptyLines: false, maxHeldBytes: 0 },
    );
    socket.setNoDelay(true);
    socket.on(secure ? 'secureConnect' : 'connect', () => {
      this.ready = true;
      this.#owner.connected(this);
    });
    socket.on('data', (chunk: Buffer) => this.#data(chunk));
    socket.on('error', (err) => this.#end(err));
    socket.on('close', () => this.#end(null));
    // The shadow closed its side (idle keep-alive timeout): a half-open socket is useless to us.
    socket.on('end', () => this.#end(null));
  }

  get dead(): boolean {
    return this.#dead;
  }

  /** Writes one pre-framed request: head and body in one corked write, so one writev. */
  send(ex: Exchange, bytes: readonly Buffer[]): void {
    this.current = ex;
    this.#gotBytes = false;
    this.#sentOnOpen = this.ready;
    this.#sink.reset(ex.keep);
    this.#written = false;
    this.#releaseWhenWritten = false;
    const s = this.socket;
    const last = bytes.length - 1;
    if (last === 0) {
      s.write(bytes[0]!, this.#onWritten);
      return;
    }
    s.cork();
    for (let i = 0; i < last; i++) s.write(bytes[i]!);
    s.write(bytes[last]!, this.#onWritten);
    s.uncork();
  }

  readonly #onWritten = (err?: Error | null): void => {
    this.#written = true;
    if (!this.#releaseWhenWritten) return;
    this.#releaseWhenWritten = false;
    if (err || this.#dead || this.current !== null) return;
    this.#owner.release(this);
  };

  /** Ends the connection now (timeout, shutdown, protocol error); the current exchange is the caller's. */
  destroy(): void {
    this.current = null;
    this.#markDead();
    this.socket.destroy();
  }

  #data(chunk: Buffer): void {
    const ex = this.current;
    if (ex === null) {
      // Bytes nobody asked for (a second response, garbage): the stream can't be trusted.
      this.destroy();
      return;
    }
    this.#gotBytes = true;
    try {
      this.#parser.feed(chunk);
    } catch (err) {
      this.#fail(err instanceof Error ? err : new Error(String(err)), false);
      return;
    }
    // Still reading the same response past the drain limit (a huge or endless answer).
    if (this.current === ex && this.#sink.total > this.#drainLimit) {
      const kept = this.#sink.finish();
      this.destroy();
      ex.onDrainLimit(kept);
    }
  }

  #head(bytes: Buffer): HeadDecision<ResponseHead> {
    const ex = this.current;
    if (ex === null) throw new Error('response without a request');
    // Kept responses get every field (and full validation); discarded ones only their framing.
    const head = ex.keep >= 0 ? parseResponseHead(bytes) : scanResponseHead(bytes, DISCARDED);
    const framing = responseFraming(head, ex.method);
    if (head.status >= 200 || head.status === 101) ex.onHead(head);
    return { head, framing, body: this.#sink };
  }

  #complete(head: ResponseHead, framing: BodyFraming): AfterMessage {
    const ex = this.current;
    if (ex === null) return 'stop';
    // 1xx (100 Continue, 103 Early Hints): informational, the final answer follows.
    if (head.status < 200 && head.status !== 101) return 'continue';
    if (framing.kind === 'until-close' || framing.kind === 'tunnel' || !keepAlive(head.version, head.headers)) this.#reusable = false;
    const body = this.#sink.finish();
    this.current = null;
    // An answer before our whole request was written (an early 4xx) leaves bytes in flight:
    // the connection is reused only once they have gone (see #written).
    if (!this.#reusable || this.#dead) this.destroy();
    else if (this.#written) this.#owner.release(this);
    else this.#releaseWhenWritten = true;
    ex.onResponse(head, body);
    return this.#reusable ? 'continue' : 'stop';
  }

  #fail(err: Error, early: boolean): void {
    const ex = this.current;
    this.destroy();
    if (ex) ex.onFailure(err, early);
  }

  #end(err: Error | null): void {
    if (this.#dead && this.current === null) return;
    const ex = this.current;
    if (ex !== null && err === null) {
      // A body read until close is complete now; the parser calls #complete.
      try {
        this.#parser.end();
      } catch {
        /* nothing to complete */
      }
    }
    const left = this.current;
    if (left !== null) {
      const early = this.#sentOnOpen && !this.#gotBytes;
      this.#fail(err ?? closedError(), early);
      return;
    }
    this.#markDead();
    if (!this.socket.destroyed) this.socket.destroy();
  }

  #markDead(): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#owner.gone(this);
  }
}

function closedError(): Error {
  return Object.assign(new Error('the shadow closed the connection before answering'), { code: 'ECONNRESET' });
}

/** HTTP/1.1 stays open unless `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`. */
function keepAlive(version: string, headers: readonly Header[]): boolean {
  let close = version !== 'HTTP/1.1';
  for (const h of headers) {
    if (h.name.length !== 10 || h.name.toLowerCase() !== 'connection') continue;
    const v = h.value.toLowerCase();
    if (v.includes('close')) return false;
    if (v.includes('keep-alive')) close = false;
  }
  return !close;
}

const EMPTY = Buffer.alloc(0);
