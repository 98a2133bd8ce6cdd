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
  /** The body with transfer coding removed (chunked is decoded). */
  readonly body: Buffer;
  /** Trailer fields of a chunked body, if any. */
  readonly trailers?: readonly Header[];
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
  readonly body: Buffer;
  readonly trailers?: readonly Header[];
}

export type Message = RequestMessage | ResponseMessage;

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
