/**
 * Raw HTTP/1.1 byte streams shared by the differential, fuzz and tap tests.
 * `requests`: well-formed client streams (one or more pipelined requests each).
 * `ambiguous`: streams a mirror must refuse to frame, with the reason we give.
 */
const CRLF = '\r\n';

function chunked(parts: string[], trailer = ''): string {
  return parts.map((p) => `${Buffer.byteLength(p, 'latin1').toString(16)}${CRLF}${p}${CRLF}`).join('') + `0${CRLF}${trailer}${CRLF}`;
}

export const bigBody1k = 'k'.repeat(1024);
export const bigBody1m = Buffer.alloc(1024 * 1024, 'm').toString('latin1');

export interface CorpusEntry {
  readonly name: string;
  readonly bytes: string; // latin1
  /** How many requests the stream holds. */
  readonly count: number;
}

export const requests: CorpusEntry[] = [
  { name: 'plain GET', bytes: `GET / HTTP/1.1${CRLF}Host: a${CRLF}${CRLF}`, count: 1 },
  { name: 'GET with query and odd header case/order', bytes: `GET /p/q?x=1&y=%20z HTTP/1.1${CRLF}hOsT: a${CRLF}X-ZED: 1${CRLF}accept: */*${CRLF}X-Dup: a${CRLF}x-dup: b${CRLF}${CRLF}`, count: 1 },
  { name: 'header values with OWS and obs-text', bytes: `GET / HTTP/1.1${CRLF}Host: a${CRLF}X-Sp:   padded value \t${CRLF}X-Lat: caf\xe9${CRLF}X-Empty:${CRLF}${CRLF}`, count: 1 },
  { name: 'POST content-length', bytes: `POST /form HTTP/1.1${CRLF}Host: a${CRLF}Content-Type: text/plain${CRLF}Content-Length: 11${CRLF}${CRLF}hello world`, count: 1 },
  { name: 'POST 1KB body', bytes: `POST /k HTTP/1.1${CRLF}Host: a${CRLF}Content-Length: 1024${CRLF}${CRLF}${bigBody1k}`, count: 1 },
  { name: 'POST 1MB body', bytes: `PUT /m HTTP/1.1${CRLF}Host: a${CRLF}Content-Length: ${bigBody1m.length}${CRLF}${CRLF}${bigBody1m}`, count: 1 },
  { name: 'Content-Length: 0', bytes: `POST /z HTTP/1.1${CRLF}Host: a${CRLF}Content-Length: 0${CRLF}${CRLF}`, count: 1 },
  { name: 'chunked', bytes: `POST /c HTTP/1.1${CRLF}Host: a${CRLF}Transfer-Encoding: chunked${CRLF}${CRLF}${chunked(['hello', ' ', 'world'])}`, count: 1 },
  {
    name: 'chunked with extensions and trailers',
    bytes: `POST /t HTTP/1.1${CRLF}Host: a${CRLF}Transfer-Encoding: chunked${CRLF}Trailer: X-Sum${CRLF}${CRLF}5;name=val${CRLF}hello${CRLF}000006;a;b="q"${CRLF} there${CRLF}0${CRLF}X-Sum: 42${CRLF}X-Other: yes${CRLF}${CRLF}`,
    count: 1,
  },
  { name: 'chunked upper-case hex and 1KB chunk', bytes: `POST /h HTTP/1.1${CRLF}Host: a${CRLF}transfer-encoding: Chunked${CRLF}${CRLF}${chunked([bigBody1k, 'x'.repeat(0xab)])}`, count: 1 },
  { name: 'HEAD', bytes: `HEAD /h HTTP/1.1${CRLF}Host: a${CRLF}${CRLF}`, count: 1 },
  { name: 'HTTP/1.0', bytes: `GET /old HTTP/1.0${CRLF}Host: a${CRLF}${CRLF}`, count: 1 },
  {
    name: 'Expect 100-continue',
    bytes: `POST /e HTTP/1.1${CRLF}Host: a${CRLF}Expect: 100-continue${CRLF}Content-Length: 4${CRLF}${CRLF}body`,
    count: 1,
  },
  {
    name: 'keep-alive sequence',
    bytes:
      `GET /1 HTTP/1.1${CRLF}Host: a${CRLF}${CRLF}` +
      `POST /2 HTTP/1.1${CRLF}Host: a${CRLF}Content-Length: 3${CRLF}${CRLF}abc` +
      `DELETE /3 HTTP/1.1${CRLF}Host: a${CRLF}${CRLF}`,
    count: 3,
  },
  {
    name: 'pipelined mixed framing',
    bytes:
      `POST /a HTTP/1.1${CRLF}Host: a${CRLF}Transfer-Encoding: chunked${CRLF}${CRLF}${chunked(['ab', 'cd'])}` +
      `HEAD /b HTTP/1.1${CRLF}Host: a${CRLF}${CRLF}` +
      `PATCH /c HTTP/1.1${CRLF}Host: a${CRLF}Content-Length: 2${CRLF}${CRLF}{}` +
      `OPTIONS * HTTP/1.1${CRLF}Host: a${CRLF}${CRLF}`,
    count: 4,
  },
  { name: 'CRLF between pipelined requests', bytes: `POST /x HTTP/1.1${CRLF}Host: a${CRLF}Content-Length: 1${CRLF}${CRLF}x${CRLF}GET /y HTTP/1.1${CRLF}Host: a${CRLF}${CRLF}`, count: 2 },
  { name: 'absolute-form target', bytes: `GET http://example.test/abs?q HTTP/1.1${CRLF}Host: example.test${CRLF}${CRLF}`, count: 1 },
  { name: 'binary body', bytes: `POST /bin HTTP/1.1${CRLF}Host: a${CRLF}Content-Length: 6${CRLF}${CRLF}\x00\r\n\xff\x7f\n`, count: 1 },
];

export interface AmbiguousEntry {
  readonly name: string;
  readonly bytes: string;
  readonly reason: string;
  /** Where Node's own parser accepts what we refuse, say why that is fine. */
  readonly nodeAccepts?: string;
}

const H = `Host: a${CRLF}`;
export const ambiguous: AmbiguousEntry[] = [
  { name: 'CL and TE', bytes: `POST / HTTP/1.1${CRLF}${H}Content-Length: 5${CRLF}Transfer-Encoding: chunked${CRLF}${CRLF}0${CRLF}${CRLF}`, reason: 'cl_and_te' },
  { name: 'conflicting CL', bytes: `POST / HTTP/1.1${CRLF}${H}Content-Length: 5${CRLF}Content-Length: 6${CRLF}${CRLF}hello!`, reason: 'duplicate_content_length' },
  { name: 'duplicate equal CL', bytes: `POST / HTTP/1.1${CRLF}${H}Content-Length: 5${CRLF}Content-Length: 5${CRLF}${CRLF}hello`, reason: 'duplicate_content_length' },
  { name: 'CL list', bytes: `POST / HTTP/1.1${CRLF}${H}Content-Length: 5, 5${CRLF}${CRLF}hello`, reason: 'bad_content_length' },
  { name: 'CL not a number', bytes: `POST / HTTP/1.1${CRLF}${H}Content-Length: +5${CRLF}${CRLF}hello`, reason: 'bad_content_length' },
  { name: 'TE not final chunked', bytes: `POST / HTTP/1.1${CRLF}${H}Transfer-Encoding: chunked, gzip${CRLF}${CRLF}0${CRLF}${CRLF}`, reason: 'unsupported_transfer_encoding' },
  { name: 'TE identity', bytes: `POST / HTTP/1.1${CRLF}${H}Transfer-Encoding: identity${CRLF}${CRLF}`, reason: 'unsupported_transfer_encoding' },
  { name: 'TE gzip, chunked', bytes: `POST / HTTP/1.1${CRLF}${H}Transfer-Encoding: gzip, chunked${CRLF}${CRLF}0${CRLF}${CRLF}`, reason: 'unsupported_transfer_encoding', nodeAccepts: 'final chunked frames fine, but the body would still be gzip transfer-coded; the Message contract says codings are removed' },
  { name: 'obs-fold', bytes: `GET / HTTP/1.1${CRLF}${H}X-A: one${CRLF} two${CRLF}${CRLF}`, reason: 'obs_fold' },
  { name: 'bare LF line endings', bytes: `GET / HTTP/1.1\nHost: a\n\n`, reason: 'bare_lf' },
  { name: 'bare LF in one header', bytes: `GET / HTTP/1.1${CRLF}Host: a\nX-B: c${CRLF}${CRLF}`, reason: 'bare_lf' },
  { name: 'invalid chunk size', bytes: `POST / HTTP/1.1${CRLF}${H}Transfer-Encoding: chunked${CRLF}${CRLF}zz${CRLF}hello${CRLF}0${CRLF}${CRLF}`, reason: 'bad_chunk_size' },
  { name: 'chunk size overflow', bytes: `POST / HTTP/1.1${CRLF}${H}Transfer-Encoding: chunked${CRLF}${CRLF}fffffffffffffffff1${CRLF}x${CRLF}`, reason: 'bad_chunk_size' },
  { name: 'whitespace after the chunk size, no extension', bytes: `POST / HTTP/1.1${CRLF}${H}Transfer-Encoding: chunked${CRLF}${CRLF}3 ${CRLF}abc${CRLF}0${CRLF}${CRLF}`, reason: 'bad_chunk_size' },
  { name: 'chunk extension value neither token nor quoted-string', bytes: `POST / HTTP/1.1${CRLF}${H}Transfer-Encoding: chunked${CRLF}${CRLF}3;x=\x80${CRLF}abc${CRLF}0${CRLF}${CRLF}`, reason: 'bad_chunk_size' },
  { name: 'chunk data too long', bytes: `POST / HTTP/1.1${CRLF}${H}Transfer-Encoding: chunked${CRLF}${CRLF}2${CRLF}abc${CRLF}0${CRLF}${CRLF}`, reason: 'bad_chunk_end' },
  { name: 'space before colon', bytes: `GET / HTTP/1.1${CRLF}Host : a${CRLF}${CRLF}`, reason: 'bad_header_name' },
  { name: 'invalid header name char', bytes: `GET / HTTP/1.1${CRLF}${H}X(A): b${CRLF}${CRLF}`, reason: 'bad_header_name' },
  { name: 'header without colon', bytes: `GET / HTTP/1.1${CRLF}${H}NoColon${CRLF}${CRLF}`, reason: 'bad_header_name' },
  { name: 'NUL in header value', bytes: `GET / HTTP/1.1${CRLF}${H}X-A: a\x00b${CRLF}${CRLF}`, reason: 'bad_header_value' },
  { name: 'HTTP/0.9', bytes: `GET /${CRLF}`, reason: 'bad_request_line' },
  { name: 'garbage', bytes: `\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03${CRLF}${CRLF}`, reason: 'bad_request_line' },
  { name: 'HTTP/2 version', bytes: `GET / HTTP/2.0${CRLF}${H}${CRLF}`, reason: 'bad_version', nodeAccepts: 'llhttp takes any one-digit version; RFC 9112 §2.3 lets a server answer 505, and an HTTP/1 mirror should not guess at other versions' },
  { name: 'header section over 64 KiB', bytes: `GET / HTTP/1.1${CRLF}${H}X-Big: ${'b'.repeat(70 * 1024)}${CRLF}${CRLF}`, reason: 'header_too_large' },
];

export interface ResponseCase {
  readonly name: string;
  readonly requests: string;
  readonly responses: string;
}

export const exchanges: ResponseCase[] = [
  {
    name: 'pipelined GET/HEAD/204/304/chunked/100-continue',
    requests:
      `GET /1 HTTP/1.1${CRLF}${H}${CRLF}` +
      `HEAD /2 HTTP/1.1${CRLF}${H}${CRLF}` +
      `DELETE /3 HTTP/1.1${CRLF}${H}${CRLF}` +
      `GET /4 HTTP/1.1${CRLF}${H}If-None-Match: "x"${CRLF}${CRLF}` +
      `GET /5 HTTP/1.1${CRLF}${H}${CRLF}` +
      `POST /6 HTTP/1.1${CRLF}${H}Expect: 100-continue${CRLF}Content-Length: 2${CRLF}${CRLF}ok`,
    responses:
      `HTTP/1.1 200 OK${CRLF}Content-Length: 3${CRLF}${CRLF}one` +
      `HTTP/1.1 200 OK${CRLF}Content-Length: 1000${CRLF}${CRLF}` +
      `HTTP/1.1 204 No Content${CRLF}${CRLF}` +
      `HTTP/1.1 304 Not Modified${CRLF}ETag: "x"${CRLF}Content-Length: 50${CRLF}${CRLF}` +
      `HTTP/1.1 200 OK${CRLF}Transfer-Encoding: chunked${CRLF}${CRLF}${chunked(['fi', 've'], `X-T: 1${CRLF}`)}` +
      `HTTP/1.1 100 Continue${CRLF}${CRLF}HTTP/1.1 201 Created${CRLF}Content-Length: 3${CRLF}${CRLF}six`,
  },
  {
    name: 'read until close',
    requests: `GET /old HTTP/1.0${CRLF}${CRLF}`,
    responses: `HTTP/1.0 200 OK${CRLF}Content-Type: text/plain${CRLF}${CRLF}all of the rest\r\nof the bytes`,
  },
];
