/**
 * The one message type that flows through every stage: tap → pipeline → outputs,
 * and file replay → pipeline → outputs. It mirrors GoReplay's payload types
 * (1 = request, 2 = original response, 3 = replayed response) so the .gor codec
 * and the middleware protocol map onto it one-to-one.
 *
 * Messages are immutable once emitted: the same object is offered to every output,
 * so a rule that changes a message returns a new one (see pipeline/).
 */

export interface Header {
  /** The name exactly as it was sent (case preserved). Compare with `sameName`. */
  readonly name: string;
  readonly value: string;
}

/**
 * The head of a message exactly as it was received, so that a copy can be sent as
 * production's bytes and a modifier's change can be applied in place (only the lines it
 * changed are re-emitted). The parsed view (method, target, headers…) stays the one
 * filters and modifiers read; this records what it was read from.
 */
export interface RawHead {
  /** Start line, field lines and the empty line, byte for byte. */
  readonly bytes: Buffer;
  /** The start line's three fields as parsed from `bytes` (method/target/version or version/status/reason). */
  readonly start: readonly [string, string, string];
  /**
   * The Header objects parsed from `bytes`, one per field line. A message whose
   * `headers` still holds one of these objects holds that line unchanged (messages are
   * immutable, so identity means "not edited").
   */
  readonly headers: readonly Header[];
  /** Byte offset just past each line's CRLF: [start line, field line 0, field line 1, …]. */
  readonly lineEnds: readonly number[];
}

/** A message as received: its head, and its body with the transfer coding as it came (chunk framing, extensions, trailers). */
export interface RawMessage {
  readonly head: RawHead;
  /**
   * The framed body bytes as received (for Content-Length framing: the same bytes as `body`).
   * A body read in several pieces is joined on first read of this field: writers that take
   * a list use `bodyParts` instead, and nothing is copied.
   */
  readonly body: Buffer;
  /** The length of `body`, known without joining it. */
  readonly bodyLength: number;
  /** `body` as the pieces it was read in (none for an empty body). */
  readonly bodyParts: readonly Buffer[];
  /** The body was chunked on the wire: `body` above is chunk-framed, the message's `body` is decoded. */
  readonly chunked: boolean;
}

export interface RequestMessage {
  readonly type: 'request';
  /** Hex id shared by a request and its response (gor's 24-hex-char style). */
  readonly id: string;
  /** Wall-clock time of the request's first byte, in ns since the epoch. */
  readonly startNs: bigint;
  readonly method: string;
  /** The request-target exactly as sent: path and query, or an absolute URL. */
  readonly target: string;
  /** e.g. "HTTP/1.1" */
  readonly version: string;
  readonly headers: readonly Header[];
  /** The body with transfer coding removed (chunked is decoded; for a chunked raw body, decoded on first read). */
  readonly body: Buffer;
  /** Trailer fields of a chunked body, if any. */
  readonly trailers?: readonly Header[];
  /**
   * The bytes it was read from (tap, .gor file, middleware); absent for a message built
   * in code. Outputs send and store these, edited in place where the parsed view differs.
   */
  readonly raw?: RawMessage;
}

export interface ResponseMessage {
  /** 'response' = the app's original answer (gor type 2); 'replayed-response' = a shadow's (type 3). */
  readonly type: 'response' | 'replayed-response';
  readonly id: string;
  readonly startNs: bigint;
  /** Time from the request's first byte to the response's first byte. */
  readonly latencyNs: bigint;
  readonly version: string;
  readonly status: number;
  readonly reason: string;
  readonly headers: readonly Header[];
  /** Transfer coding removed (for a chunked raw body, decoded on first read). */
  readonly body: Buffer;
  readonly trailers?: readonly Header[];
  /** The bytes it was read from, when it was read from bytes (see RequestMessage.raw). */
  readonly raw?: RawMessage;
}

export type Message = RequestMessage | ResponseMessage;

/**
 * A copy of `msg` with some parsed fields changed — the way rules edit a message. It keeps
 * the raw bytes (and a lazily decoded body) so outputs still send production's bytes with
 * only the changed lines re-emitted; a plain spread would drop them (`raw` is not enumerable).
 */
export function withChanges<M extends Message>(msg: M, patch: Partial<Omit<M, 'type' | 'body' | 'raw'>>): M {
  // Built field by field rather than with Object.create(proto, getOwnPropertyDescriptors(msg)):
  // that took 8–10 µs per edit (Node 20 and 22), and `--output-http-header 'Host: …'`, the
  // usual Heroku set-up, edits every copy. This takes well under 1 µs.
  const from = msg as unknown as Record<string, unknown>;
  const changes = patch as Record<string, unknown>;
  const proto = Object.getPrototypeOf(msg) as object | null;
  const out: Record<string, unknown> = proto === Object.prototype ? {} : (Object.create(proto) as Record<string, unknown>);
  // The fields in their order; a lazily decoded `body` stays a getter (never decoded here).
  for (const key of Object.keys(from)) {
    if (key !== 'body') out[key] = Object.hasOwn(changes, key) ? changes[key] : from[key];
    else {
      const body = Object.getOwnPropertyDescriptor(from, key)!;
      if (body.get) Object.defineProperty(out, key, body);
      else out[key] = body.value;
    }
  }
  for (const key of Object.keys(changes)) if (!Object.hasOwn(out, key)) out[key] = changes[key];
  if (msg.raw) Object.defineProperty(out, 'raw', { value: msg.raw, enumerable: false, configurable: true });
  return out as unknown as M;
}

/** GoReplay's payload type digit for a message. */
export function gorPayloadType(msg: Message): '1' | '2' | '3' {
  if (msg.type === 'request') return '1';
  return msg.type === 'response' ? '2' : '3';
}

/** HTTP field names are case-insensitive (RFC 9110 §5.1). */
export function sameName(a: string, b: string): boolean {
  return a.length === b.length && a.toLowerCase() === b.toLowerCase();
}

export function getHeader(headers: readonly Header[], name: string): string | undefined {
  for (const h of headers) if (sameName(h.name, name)) return h.value;
  return undefined;
}

let idCounter = 0;
const idPrefix = Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, '0');

/** A new message id: 24 hex chars, unique within this process (prefix is per process). */
export function newMessageId(): string {
  idCounter = (idCounter + 1) % 0x1_0000_0000_0000;
  return idPrefix + idCounter.toString(16).padStart(16, '0');
}

/**
 * The epoch-ns value of hrtime 0: wall clock read once, then advanced by the monotonic clock.
 * (Gluing `Date.now()` milliseconds to hrtime's sub-millisecond digits, as this used to, is not
 * monotonic: the two clocks' millisecond boundaries differ, so two readings 0.2 ms apart could
 * go back by up to 1 ms — a fast response got a timestamp before its request and a negative
 * latency in the .gor file, and consecutive requests could be written out of order.)
 */
const EPOCH_AT_HRTIME_ZERO = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

/** Wall-clock now in ns since the epoch (gor's timestamp unit); never goes backwards. */
export function nowNs(): bigint {
  return EPOCH_AT_HRTIME_ZERO + process.hrtime.bigint();
}
