import type { Header } from '../core/message.js';
import { FramingError } from './framing-errors.js';
import { parseStatusLine, type ResponseHead } from './head-parser.js';

/**
 * A response head read for its framing only: status line, and the fields framing and
 * connection reuse depend on (Content-Length, Transfer-Encoding, optionally Connection).
 *
 * Used where a response is framed but not kept: the tap's view of the app's answers when
 * responses are not captured (every answer production sends), and a shadow's answer that
 * is discarded. The full parser (head-parser.ts) decodes the head into one string, splits
 * it and makes two strings per field; this walks the bytes and makes strings only for the
 * few fields it keeps. Under load that was the largest single allocation of the hot path
 * (about a sixth of all bytes allocated, by V8's sampling heap profiler, with two shadows).
 *
 * Kept fields carry their lower-case name (framing compares names case-insensitively).
 * `strict` applies exactly the full parser's checks, in its order, with its error reasons
 * (bare CR, obs-fold, field name token, field value characters), so the tap desyncs on
 * precisely the same answers; test/http1/framing-head.test.ts holds the two side by side.
 * Not strict, fields other than the kept ones are skipped unread (a discarded shadow answer).
 */
export function scanResponseHead(bytes: Buffer, opts: { strict: boolean; keepConnection: boolean }): ResponseHead {
  // The section ends with its empty line; the full parser cuts the same way.
  let end = bytes.length;
  if (endsWithCrlf(bytes, end) && endsWithCrlf(bytes, end - 2)) end -= 4;
  else if (endsWithCrlf(bytes, end)) end -= 2;
  // First every line's line breaks, as head-parser's lines() does before anything else.
  if (opts.strict) checkLineBreaks(bytes, end);

  const eol = lineEnd(bytes, 0, end);
  // Strict: head-parser's own check of the status line (one short string), so the two cannot drift.
  const status = opts.strict ? parseStatusLine(bytes.toString('latin1', 0, eol)) : lenientStatusLine(bytes, eol);
  const headers: Header[] = [];
  // Each CRLF before `end` starts one more field line, an empty one included (as split does).
  for (let e = eol; e < end; ) {
    const s = e + 2;
    e = lineEnd(bytes, s, end);
    scanField(bytes, s, e, opts, headers);
  }
  // Not kept, never edited or re-serialized: no reason phrase, no line offsets.
  return { version: status.version, status: status.status, reason: '', headers, lineEnds: NO_LINE_ENDS };
}

/** One field line [s, e): checked (strict), and kept if it is a framing field. */
function scanField(bytes: Buffer, s: number, e: number, opts: { strict: boolean; keepConnection: boolean }, headers: Header[]): void {
  const c0 = s < e ? bytes[s]! : -1;
  if (opts.strict && (c0 === SP || c0 === HTAB)) throw new FramingError('obs_fold');
  // The name: up to the first colon of this line (never searched past it).
  let colon = s;
  let token = true;
  while (colon < e && bytes[colon] !== COLON) token = TCHAR[bytes[colon++]!] === 1 && token;
  if (colon === e || colon === s || !token) {
    if (opts.strict) throw new FramingError('bad_header_name', JSON.stringify(bytes.toString('latin1', s, Math.min(colon, s + 40))));
    return;
  }
  if (opts.strict) {
    for (let i = colon + 1; i < e; i++) {
      if (BAD_VALUE[bytes[i]!] === 1) throw new FramingError('bad_header_value', bytes.toString('latin1', s, colon));
    }
  }
  const n = colon - s;
  // Kept under its lower-case name (a constant: no string made for it); only the value is read.
  const name =
    n === 14 && nameIs(bytes, s, CONTENT_LENGTH) ? 'content-length'
    : n === 17 && nameIs(bytes, s, TRANSFER_ENCODING) ? 'transfer-encoding'
    : opts.keepConnection && n === 10 && nameIs(bytes, s, CONNECTION) ? 'connection'
    : undefined;
  if (name === undefined) return;
  let a = colon + 1;
  let z = e;
  while (a < z && (bytes[a] === SP || bytes[a] === HTAB)) a++;
  while (z > a && (bytes[z - 1] === SP || bytes[z - 1] === HTAB)) z--;
  headers.push({ name, value: bytes.toString('latin1', a, z) });
}

/** Where the line starting at `from` ends: its CRLF, or `end`. */
function lineEnd(bytes: Buffer, from: number, end: number): number {
  const at = bytes.indexOf(CRLF, from);
  return at < 0 || at + 2 > end ? end : at;
}

/** A CR or LF that is not part of a CRLF, reported for the first line that has one (CR first). */
function checkLineBreaks(bytes: Buffer, end: number): void {
  let sawCr = false;
  let sawLf = false;
  for (let i = 0; i <= end; i++) {
    const b = i < end ? bytes[i]! : -1;
    if (i === end || (b === CR && i + 1 < end && bytes[i + 1] === LF)) {
      if (sawCr) throw new FramingError('bare_cr');
      if (sawLf) throw new FramingError('bare_lf');
      i++;
    } else if (b === CR) sawCr = true;
    else if (b === LF) sawLf = true;
  }
}

const CRLF = Buffer.from('\r\n', 'latin1');
const NO_LINE_ENDS: number[] = Object.freeze([]) as unknown as number[];

/**
 * A discarded shadow answer's status line: `HTTP/1.0` or `HTTP/1.1`, a space, a status of
 * at least 100; the reason phrase is not read. (A shadow's odd reason phrase is no reason
 * to throw its keep-alive connection away.)
 */
function lenientStatusLine(bytes: Buffer, eol: number): { version: string; status: number } {
  if (eol < 12 || bytes[8] !== SP) throw new FramingError('bad_status_line', JSON.stringify(bytes.toString('latin1', 0, Math.min(eol, 40))));
  const version = bytes.toString('latin1', 0, 8);
  if (version !== 'HTTP/1.1' && version !== 'HTTP/1.0') throw new FramingError('bad_version', version);
  let status = 0;
  for (let i = 9; i < 12; i++) {
    const d = bytes[i]! - 0x30;
    if (d < 0 || d > 9) throw new FramingError('bad_status_line', JSON.stringify(bytes.toString('latin1', 0, Math.min(eol, 40))));
    status = status * 10 + d;
  }
  if (status < 100) throw new FramingError('bad_status_line', JSON.stringify(bytes.toString('latin1', 0, Math.min(eol, 40))));
  return { version, status };
}

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;

function endsWithCrlf(bytes: Buffer, end: number): boolean {
  return end >= 2 && bytes[end - 2] === CR && bytes[end - 1] === LF;
}

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const CONTENT_LENGTH = ascii('content-length');
const TRANSFER_ENCODING = ascii('transfer-encoding');
const CONNECTION = ascii('connection');

/** ASCII case-insensitive compare of a field name with a lower-case one of the same length. */
function nameIs(bytes: Buffer, at: number, lower: Uint8Array): boolean {
  for (let i = 0; i < lower.length; i++) {
    const b = bytes[at + i]!;
    if ((b >= 0x41 && b <= 0x5a ? b + 0x20 : b) !== lower[i]) return false;
  }
  return true;
}

/** RFC 9110 §5.6.2 tchar, as head-parser's TOKEN. */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;

/** RFC 9110 §5.5: controls other than HTAB are invalid in a field value, as head-parser's BAD_VALUE_CHAR. */
const BAD_VALUE = new Uint8Array(256);
for (let b = 0; b <= 0x1f; b++) if (b !== HTAB) BAD_VALUE[b] = 1;
BAD_VALUE[0x7f] = 1;
