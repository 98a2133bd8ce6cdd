import { sameName, type Header } from '../core/message.js';
import { FramingError } from './framing-errors.js';
import type { RequestHead, ResponseHead } from './head-parser.js';

/** How the body after a head is delimited (RFC 9112 §6.3). */
export type BodyFraming =
  | { readonly kind: 'none' }
  | { readonly kind: 'length'; readonly length: number }
  | { readonly kind: 'chunked' }
  | { readonly kind: 'until-close' } // responses only: the body is the rest of the connection
  | { readonly kind: 'tunnel' }; // 101 Switching Protocols or a 2xx to CONNECT: no more HTTP

const NONE: BodyFraming = Object.freeze({ kind: 'none' });
const CHUNKED: BodyFraming = Object.freeze({ kind: 'chunked' });
const UNTIL_CLOSE: BodyFraming = Object.freeze({ kind: 'until-close' });
const TUNNEL: BodyFraming = Object.freeze({ kind: 'tunnel' });
const DIGITS = /^\d+$/;

/**
 * Reads Content-Length / Transfer-Encoding and refuses every ambiguous combination.
 * RFC 9112 §6.1 and §6.3 allow a recipient to resolve some of these (TE wins over CL,
 * identical duplicate CLs may merge), but an intermediary that resolves them differently
 * from the app is how request smuggling works — and a mirror must send exactly what the
 * app framed. So: anything but one clean CL, or TE exactly `chunked`, is a framing error.
 * (`gzip, chunked` is refused too: its body would still be gzip-coded after de-chunking,
 * and the Message contract says transfer codings are removed.)
 */
function lengthOrChunked(headers: readonly Header[]): BodyFraming | undefined {
  let length: number | undefined;
  let te: string | undefined;
  for (const h of headers) {
    if (sameName(h.name, 'content-length')) {
      if (length !== undefined) throw new FramingError('duplicate_content_length');
      if (!DIGITS.test(h.value)) throw new FramingError('bad_content_length', h.value.slice(0, 40));
      length = Number(h.value);
      if (!Number.isSafeInteger(length)) throw new FramingError('bad_content_length', h.value.slice(0, 40));
    } else if (sameName(h.name, 'transfer-encoding')) {
      te = te === undefined ? h.value : `${te},${h.value}`;
    }
  }
  if (te !== undefined) {
    if (length !== undefined) throw new FramingError('cl_and_te');
    if (te.trim().toLowerCase() !== 'chunked') throw new FramingError('unsupported_transfer_encoding', te.slice(0, 40));
    return CHUNKED;
  }
  return length === undefined ? undefined : { kind: 'length', length };
}

/** RFC 9112 §6.3 rules 4–7 for requests: no CL/TE means no body. */
export function requestFraming(head: RequestHead): BodyFraming {
  return lengthOrChunked(head.headers) ?? NONE;
}

/**
 * RFC 9112 §6.3 for responses. `requestMethod` is the method of the request this
 * response answers (FIFO pairing), or undefined if there is none.
 * Rule 1: HEAD, 1xx, 204, 304 have no body. Rule 2: a 2xx to CONNECT switches to a
 * tunnel; so does 101 (RFC 9110 §15.2.2). Rule 8: otherwise read until close.
 */
export function responseFraming(head: ResponseHead, requestMethod: string | undefined): BodyFraming {
  const framed = lengthOrChunked(head.headers); // validated even when unused: ambiguity is ambiguity
  const s = head.status;
  if (s === 101) return TUNNEL;
  if (requestMethod === 'CONNECT' && s >= 200 && s < 300) return TUNNEL;
  if (requestMethod === 'HEAD' || s < 200 || s === 204 || s === 304) return NONE;
  return framed ?? UNTIL_CLOSE;
}

/** RFC 9110 §7.8: a request asking to switch protocols; its answer decides whether HTTP continues. */
export function mayLeaveHttp(head: RequestHead): boolean {
  if (head.method === 'CONNECT') return true;
  for (const h of head.headers) if (sameName(h.name, 'upgrade')) return true;
  return false;
}
