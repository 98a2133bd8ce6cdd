import type { Header } from '../../core/message.js';
import { FramingError } from '../../http1/framing-errors.js';
import type { ResponseHead } from '../../http1/head-parser.js';

/**
 * A shadow's response head when its body is discarded: only what framing and connection
 * reuse depend on (status, version, Content-Length, Transfer-Encoding, Connection) is
 * read, from one latin1 string, without validating or keeping the other fields.
 * The full parser (http1/head-parser) is used when the response is kept (track-response).
 * Framing fields are still checked by http1/framing's responseFraming, so an ambiguous
 * answer closes the connection exactly as with the full parser.
 */
export function leanResponseHead(bytes: Buffer): ResponseHead {
  const text = bytes.toString('latin1');
  const eol = text.indexOf('\r\n');
  // "HTTP/1.x SSS" at least; the reason phrase is not needed.
  if (eol < 12 || !text.startsWith('HTTP/1.') || text.charCodeAt(8) !== 0x20) throw new FramingError('bad_status_line', JSON.stringify(text.slice(0, 40)));
  const version = text.slice(0, 8);
  if (version !== 'HTTP/1.1' && version !== 'HTTP/1.0') throw new FramingError('bad_version', version);
  const status = Number(text.slice(9, 12));
  if (!Number.isInteger(status) || status < 100) throw new FramingError('bad_status_line', JSON.stringify(text.slice(0, 40)));
  const headers: Header[] = [];
  let pos = eol + 2;
  for (;;) {
    const end = text.indexOf('\r\n', pos);
    if (end <= pos) break; // the empty line (or a malformed tail: nothing more to read)
    const len = keyLength(text, pos, end);
    if (len > 0) {
      const name = text.slice(pos, pos + len);
      const lower = name.toLowerCase();
      if (lower === 'content-length' || lower === 'transfer-encoding' || lower === 'connection') {
        headers.push({ name, value: text.slice(pos + len + 1, end).trim() });
      }
    }
    pos = end + 2;
  }
  // No line offsets: a discarded answer is never re-serialized or edited.
  return { version, status, reason: '', headers, lineEnds: [] };
}

/** Length of a field name worth reading (10, 14 or 17 chars before the colon), else 0. */
function keyLength(text: string, start: number, end: number): number {
  for (const n of [10, 14, 17]) {
    if (start + n < end && text.charCodeAt(start + n) === 0x3a) return n;
  }
  return 0;
}
