import { sameName, type Header, type RawHead, type RequestMessage, type ResponseMessage } from '../core/message.js';

/**
 * A Message as HTTP/1.1 bytes.
 *
 * A message read from bytes (it has `raw`) is written back as those bytes: the head byte
 * for byte, the body with its transfer coding as received (chunk framing, extensions and
 * trailers). Where its parsed view was changed (a modifier, gor's Host rule, the shadow's
 * connection) only what changed is re-emitted: a changed field rewrites only its line, a
 * removed field removes only its line, a changed method/target/version rebuilds only the
 * start line. Nothing is re-serialized on the common path: an unmodified head is the
 * received buffer itself.
 *
 * A message built in code (no `raw`) is written from its parsed view, `Name: value` per
 * field, with its decoded body framed by a correct Content-Length (see frameHeaders).
 */

/** In-place edits on top of the message's own parsed view (see outputs/http-request.ts). */
export interface HeadEdits {
  /** The request-target to send instead of the message's (e.g. with a destination's path prefix). */
  readonly target?: string;
  /** The version to send instead of the message's. */
  readonly version?: string;
  /** A value for the first Host field (inserted right after the request line when there is none). */
  readonly host?: string;
  /** Fields to leave out, by lower-case name. */
  readonly drop?: (lowerName: string) => boolean;
  /** Fields appended after the others. */
  readonly append?: readonly Header[];
  /**
   * A body with no framing field (gor captures may store a body that way) gets a
   * Content-Length appended, so a receiver reads it. Off for files, which keep the bytes as read.
   */
  readonly frameBody?: boolean;
}

const NO_EDITS: HeadEdits = Object.freeze({});
const CRLF = '\r\n';

/** The request's head with the edits applied in place. */
export function requestHead(msg: RequestMessage, edits: HeadEdits = NO_EDITS): Buffer {
  const start: [string, string, string] = [msg.method, edits.target ?? msg.target, edits.version ?? msg.version];
  const raw = msg.raw;
  if (raw) {
    const unframed = edits.frameBody === true && raw.bodyLength > 0 && !hasFraming(msg.headers);
    const e = unframed ? { ...edits, append: [...(edits.append ?? []), { name: 'Content-Length', value: String(raw.bodyLength) }] } : edits;
    return editHead(raw.head, start, `${start[0]} ${start[1]} ${start[2]}${CRLF}`, msg.headers, e);
  }
  return fromParsed(`${start[0]} ${start[1]} ${start[2]}${CRLF}`, frameHeaders(msg.headers, msg.body.length, true), edits);
}

/** The request's body as it goes on the wire after `requestHead` (raw framing when read from bytes). */
export function requestBody(msg: RequestMessage): Buffer {
  return msg.raw ? msg.raw.body : msg.body;
}

/** `requestBody` as the pieces it was read in, for a writer that takes a list (no join). */
export function requestBodyParts(msg: RequestMessage): readonly Buffer[] {
  if (msg.raw) return msg.raw.bodyParts;
  return msg.body.length > 0 ? [msg.body] : [];
}

export function serializeRequest(msg: RequestMessage): Buffer {
  return join(requestHead(msg), requestBody(msg));
}

export function serializeResponse(msg: ResponseMessage): Buffer {
  const raw = msg.raw;
  const statusLine = `${msg.version} ${msg.status}${msg.reason ? ' ' + msg.reason : ' '}${CRLF}`;
  if (raw) return join(editHead(raw.head, [msg.version, String(msg.status), msg.reason], statusLine, msg.headers, NO_EDITS), raw.body);
  return join(fromParsed(statusLine, frameHeaders(msg.headers, msg.body.length, false), NO_EDITS), msg.body);
}

function join(head: Buffer, body: Buffer): Buffer {
  return body.length === 0 ? head : Buffer.concat([head, body], head.length + body.length);
}

/**
 * The raw head with only the changed lines re-emitted. A field line is kept byte for byte
 * when the message still holds the very Header object parsed from it (rules replace the
 * object of a field they change), so odd whitespace, empty values and obs-text survive.
 */
function editHead(raw: RawHead, start: readonly [string, string, string], startLine: string, headers: readonly Header[], edits: HeadEdits): Buffer {
  const startSame = raw.start[0] === start[0] && raw.start[1] === start[1] && raw.start[2] === start[2];
  if (startSame && headers === raw.headers && !edits.drop && !edits.append && edits.host === undefined) return raw.bytes;

  const parts: (string | [number, number])[] = [];
  const ends = raw.lineEnds;
  parts.push(startSame ? [0, ends[0]!] : startLine);
  let index: Map<Header, number> | undefined;
  const lineOf = (h: Header, i: number): number => {
    if (headers === raw.headers) return i;
    index ??= new Map(raw.headers.map((r, k) => [r, k]));
    return index.get(h) ?? -1;
  };
  let host = edits.host;
  if (host !== undefined && !headers.some((h) => sameName(h.name, 'host'))) {
    parts.push(`Host: ${host}${CRLF}`);
    host = undefined;
  }
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i]!;
    const lower = h.name.toLowerCase();
    if (edits.drop?.(lower)) continue;
    if (host !== undefined && lower === 'host') {
      const v = host;
      host = undefined;
      if (v !== h.value) {
        parts.push(`${h.name}: ${v}${CRLF}`);
        continue;
      }
    }
    const k = lineOf(h, i);
    if (k < 0) parts.push(`${h.name}: ${h.value}${CRLF}`);
    else parts.push([ends[k]!, ends[k + 1]!]);
  }
  for (const h of edits.append ?? []) parts.push(`${h.name}: ${h.value}${CRLF}`);
  parts.push(CRLF);
  return assembleParts(raw.bytes, parts);
}

/** One buffer from ranges of `source` and latin1 strings; adjacent ranges are copied in one go. */
function assembleParts(source: Buffer, parts: readonly (string | [number, number])[]): Buffer {
  let total = 0;
  for (const p of parts) total += typeof p === 'string' ? p.length : p[1] - p[0];
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (typeof p === 'string') {
      at += out.write(p, at, 'latin1');
      continue;
    }
    let end = p[1];
    while (i + 1 < parts.length && typeof parts[i + 1] !== 'string' && (parts[i + 1] as [number, number])[0] === end) end = (parts[++i] as [number, number])[1];
    at += source.copy(out, at, p[0], end);
  }
  return out;
}

function fromParsed(startLine: string, headers: readonly Header[], edits: HeadEdits): Buffer {
  let head = startLine;
  let host = edits.host;
  if (host !== undefined && !headers.some((h) => sameName(h.name, 'host'))) {
    head += `Host: ${host}${CRLF}`;
    host = undefined;
  }
  for (const h of headers) {
    const lower = h.name.toLowerCase();
    if (edits.drop?.(lower)) continue;
    if (host !== undefined && lower === 'host') {
      head += `${h.name}: ${host}${CRLF}`;
      host = undefined;
      continue;
    }
    head += `${h.name}: ${h.value}${CRLF}`;
  }
  for (const h of edits.append ?? []) head += `${h.name}: ${h.value}${CRLF}`;
  return Buffer.from(head + CRLF, 'latin1');
}

export function hasFraming(headers: readonly Header[]): boolean {
  for (const h of headers) if (sameName(h.name, 'content-length') || sameName(h.name, 'transfer-encoding')) return true;
  return false;
}

/**
 * For a message built in code, whose body is de-chunked: its framing headers can be wrong
 * for it (`Transfer-Encoding: chunked` would make the receiver wait for chunk sizes that
 * are not there; a Content-Length may be stale), so `Transfer-Encoding` becomes a correct
 * `Content-Length` at the same position. A body with no framing at all gets one appended.
 * A response with an empty body keeps its Content-Length as is: it may answer a HEAD or be
 * a 304, where Content-Length describes the representation (RFC 9110 §8.6).
 */
function frameHeaders(headers: readonly Header[], bodyLength: number, isRequest: boolean): readonly Header[] {
  if (!hasFraming(headers)) {
    return bodyLength > 0 ? [...headers, { name: 'Content-Length', value: String(bodyLength) }] : headers;
  }
  const keepResponseLength = !isRequest && bodyLength === 0 && headers.some((h) => sameName(h.name, 'content-length'));
  if (keepResponseLength) return headers.filter((h) => !sameName(h.name, 'transfer-encoding'));
  const out: Header[] = [];
  let placed = false;
  for (const h of headers) {
    const isCl = sameName(h.name, 'content-length');
    if (!isCl && !sameName(h.name, 'transfer-encoding')) {
      out.push(h);
    } else if (!placed) {
      out.push({ name: isCl ? h.name : 'Content-Length', value: String(bodyLength) });
      placed = true;
    }
  }
  return out;
}
