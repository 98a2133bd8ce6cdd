import type { RequestMessage, ResponseMessage } from '../core/message.js';
import { BodyCollector } from './body-collector.js';
import { ChunkedDecoder } from './body-decoder.js';
import { requestFraming, responseFraming, type BodyFraming } from './framing.js';
import { isFramingError } from './framing-errors.js';
import { parseRequestHead, parseRequestLine, parseResponseHead, parseStatusLine } from './head-parser.js';
import { MAX_HEADER_BYTES } from './limits.js';
import { rawHead, rawMessage, withRaw } from './raw.js';
import { SectionReader } from './section-reader.js';

export type ParseResult<M> = { ok: true; message: M } | { ok: false; error: string };

/**
 * Whole-message parsing, for payloads that are already complete in memory (.gor records,
 * middleware lines). Same head and framing rules as the stream parser, plus one
 * leniency: a message without CL/TE takes the rest of the bytes as its body, because gor
 * captures sometimes store bodies that way (for responses that is RFC 9112 read-until-close).
 * A body shorter than its Content-Length, or an unfinished chunked body, is an error:
 * we never pass on a truncated body as if it were whole.
 */
export function parseRequestBytes(bytes: Buffer, meta: { id: string; startNs: bigint }): ParseResult<RequestMessage> {
  try {
    const { head, rest } = splitHead(bytes, true);
    const h = parseRequestHead(head);
    const b = readBody(bytes, rest, requestFraming(h), true);
    if (typeof b === 'string') return { ok: false, error: b };
    const message = withRaw<RequestMessage>(
      {
        type: 'request', id: meta.id, startNs: meta.startNs,
        method: h.method, target: h.target, version: h.version, headers: h.headers,
        ...(b.trailers ? { trailers: b.trailers } : {}),
      },
      rawMessage(rawHead(head, [h.method, h.target, h.version], h), b.raw.length > 0 ? [b.raw] : [], b.chunked),
    );
    return { ok: true, message };
  } catch (e) {
    return failure(e);
  }
}

export function parseResponseBytes(
  bytes: Buffer,
  meta: { id: string; startNs: bigint; latencyNs: bigint; type: 'response' | 'replayed-response'; requestMethod?: string },
): ParseResult<ResponseMessage> {
  try {
    const { head, rest } = splitHead(bytes, false);
    const h = parseResponseHead(head);
    const b = readBody(bytes, rest, responseFraming(h, meta.requestMethod), false);
    if (typeof b === 'string') return { ok: false, error: b };
    const message = withRaw<ResponseMessage>(
      {
        type: meta.type, id: meta.id, startNs: meta.startNs, latencyNs: meta.latencyNs,
        version: h.version, status: h.status, reason: h.reason, headers: h.headers,
        ...(b.trailers ? { trailers: b.trailers } : {}),
      },
      rawMessage(rawHead(head, [h.version, String(h.status), h.reason], h), b.raw.length > 0 ? [b.raw] : [], b.chunked),
    );
    return { ok: true, message };
  } catch (e) {
    return failure(e);
  }
}

function splitHead(bytes: Buffer, isRequest: boolean): { head: Buffer; rest: number } {
  const reader = new SectionReader(MAX_HEADER_BYTES, false, isRequest, isRequest ? parseRequestLine : parseStatusLine);
  const end = reader.feed(bytes, 0);
  if (end < 0) throw new Incomplete('incomplete head');
  return { head: reader.take(), rest: end };
}

/**
 * The body's bytes as stored (`raw`, a view of the payload: the message holds the record,
 * no copy) and whether they are chunk-framed; the decoded body is derived from them (withRaw).
 */
function readBody(bytes: Buffer, pos: number, framing: BodyFraming, isRequest: boolean) {
  switch (framing.kind) {
    case 'length': {
      if (bytes.length - pos < framing.length) return `truncated body: ${bytes.length - pos} of ${framing.length} bytes`;
      return { raw: bytes.subarray(pos, pos + framing.length), chunked: false, trailers: undefined };
    }
    case 'chunked': {
      const decoder = new ChunkedDecoder(new BodyCollector(Number.MAX_SAFE_INTEGER, false));
      const end = decoder.feed(bytes, pos);
      if (end < 0) return 'incomplete chunked body';
      return { raw: bytes.subarray(pos, end), chunked: true, trailers: decoder.trailers };
    }
    case 'until-close':
      return { raw: bytes.subarray(pos), chunked: false, trailers: undefined };
    case 'none':
    case 'tunnel':
      // A request without CL/TE: gor may have stored the body as "the rest of the bytes".
      return { raw: isRequest && framing.kind === 'none' ? bytes.subarray(pos) : EMPTY, chunked: false, trailers: undefined };
  }
}

const EMPTY = Buffer.alloc(0);

class Incomplete extends Error {}

function failure(e: unknown): { ok: false; error: string } {
  if (isFramingError(e) || e instanceof Incomplete) return { ok: false, error: e.message };
  return { ok: false, error: `unexpected: ${e instanceof Error ? e.message : String(e)}` };
}
