import type { Message, RawHead, RawMessage } from '../core/message.js';
import { BodyCollector } from './body-collector.js';
import { ChunkedDecoder } from './body-decoder.js';

/**
 * Attaching "the bytes it was read from" to a parsed message (tap, .gor records,
 * middleware), so outputs can send production's bytes instead of re-serializing.
 */

/**
 * Heads under this size are copied out of the relay's chunk when the chunk is much larger
 * than the head. Node hands each socket read over as its own exactly-sized ArrayBuffer, so
 * a head kept as a subarray keeps the whole read alive: measured with 20,000 kept 300-byte
 * heads of 800-byte reads, `arrayBuffers` was 8.1 MB as subarrays and 6.4 MB as copies
 * (Buffer.from copies small sizes into Node's shared 8 KiB pool, no ArrayBuffer each).
 * When the rest of the read is the body we keep anyway, the subarray costs nothing extra,
 * which is why a head that is most of its read stays a subarray.
 */
const SMALL_HEAD = 4096;

export function ownHead(bytes: Buffer): Buffer {
  return bytes.length < SMALL_HEAD && bytes.buffer.byteLength > 2 * bytes.length ? Buffer.from(bytes) : bytes;
}

/**
 * A RawMessage whose body is the given pieces. They are joined only if someone reads `body`
 * (a modifier, a .gor writer, compare); the copy sender writes the pieces as they are. For a
 * 64 KiB POST that is one 64 KiB allocation and copy fewer per request, and under load the
 * young generation's churn of large buffers was what set our peak RSS (issue 8).
 */
export function rawMessage(head: RawHead, parts: readonly Buffer[], chunked: boolean): RawMessage {
  if (parts.length <= 1) {
    const body = parts[0] ?? EMPTY;
    return { head, body, bodyLength: body.length, bodyParts: parts, chunked };
  }
  let length = 0;
  for (const p of parts) length += p.length;
  let joined: Buffer | undefined;
  const raw = { head, bodyLength: length, bodyParts: parts, chunked } as { -readonly [K in keyof RawMessage]: RawMessage[K] };
  Object.defineProperty(raw, 'body', { enumerable: true, configurable: true, get: () => (joined ??= Buffer.concat(parts, length)) });
  return raw;
}

const EMPTY = Buffer.alloc(0);

export function rawHead(bytes: Buffer, start: readonly [string, string, string], head: { headers: RawHead['headers']; lineEnds: readonly number[] }): RawHead {
  return { bytes, start, headers: head.headers, lineEnds: head.lineEnds };
}

/** Decodes a chunk-framed body that a parser has already framed and validated. */
export function decodeChunked(framed: Buffer): Buffer {
  const sink = new BodyCollector(Number.MAX_SAFE_INTEGER, true);
  new ChunkedDecoder(sink).feed(framed, 0);
  return sink.finish();
}

type Fields<M extends Message> = Omit<M, 'body' | 'raw'>;

/**
 * Builds the message from its parsed fields and its raw bytes. For a Content-Length body
 * the decoded body IS the raw body (one buffer, no copy). For a chunked body the decoded
 * view is computed on first read and kept: most copies are only ever sent (as raw bytes),
 * so we do not hold a second, de-chunked copy of every chunked body.
 *
 * `raw` is non-enumerable: it is plumbing, not content — deep equality, logs and JSON see
 * the same message as before, and code that spreads a message (`{...msg}`) gets a plain
 * message that outputs serialize from its parsed view. Edit with `withChanges`, which keeps it.
 */
export function withRaw<M extends Message>(fields: Fields<M>, raw: RawMessage): M {
  const msg = fields as Record<string, unknown>;
  if (raw.chunked) {
    let decoded: Buffer | undefined;
    Object.defineProperty(msg, 'body', { enumerable: true, configurable: true, get: () => (decoded ??= decodeChunked(raw.body)) });
  } else if (raw.bodyParts.length > 1) {
    // Joined only when read (see rawMessage).
    Object.defineProperty(msg, 'body', { enumerable: true, configurable: true, get: () => raw.body });
  } else {
    msg.body = raw.body;
  }
  Object.defineProperty(msg, 'raw', { value: raw, enumerable: false, configurable: true });
  return msg as unknown as M;
}
