import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequestBytes, parseResponseBytes, serializeRequest, serializeResponse } from '../../src/http1/index.js';
import type { RequestMessage } from '../../src/core/message.js';
import { ambiguous, requests } from './corpus.js';
import { latin1 } from './run-tap.js';

const meta = { id: 'a'.repeat(24), startNs: 1n };
const rmeta = { ...meta, latencyNs: 5n, type: 'response' as const };

function req(s: string): RequestMessage {
  const r = parseRequestBytes(latin1(s), meta);
  if (!r.ok) assert.fail(r.error);
  return r.message;
}

test('parses a chunked request: body decoded, extensions ignored, trailers kept', () => {
  const m = req('POST /t HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n1\r\n!\r\n0\r\nX-Sum: 9\r\n\r\n');
  assert.equal(m.body.toString(), 'hello!');
  assert.deepEqual(m.trailers, [{ name: 'X-Sum', value: '9' }]);
  assert.deepEqual(m.headers.map((h) => h.name), ['Host', 'Transfer-Encoding']);
});

test('a request without framing headers takes the rest of the bytes as its body (gor captures)', () => {
  assert.equal(req('POST /x HTTP/1.1\r\nHost: a\r\n\r\nraw rest').body.toString(), 'raw rest');
  assert.equal(req('POST /x HTTP/1.1\r\nContent-Length: 0\r\n\r\nignored').body.length, 0);
});

test('a body shorter than its Content-Length, or an unfinished chunked body, is an error', () => {
  const short = parseRequestBytes(latin1('POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc'), meta);
  assert.equal(short.ok, false);
  const unfinished = parseRequestBytes(latin1('POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab'), meta);
  assert.equal(unfinished.ok, false);
  assert.equal(parseRequestBytes(latin1('GET / HTTP/1.1\r\nHost: a\r\n'), meta).ok, false);
});

test('every ambiguous shape is refused with its reason', () => {
  for (const a of ambiguous) {
    const r = parseRequestBytes(latin1(a.bytes), meta);
    assert.equal(r.ok, false, a.name);
    if (!r.ok) assert.ok(r.error.startsWith(a.reason), `${a.name}: ${r.error}`);
  }
});

test('responses: HEAD/204/304 bodiless, read-until-close without framing, chunked decoded', () => {
  const head = parseResponseBytes(latin1('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n'), { ...rmeta, requestMethod: 'HEAD' });
  assert.ok(head.ok && head.message.body.length === 0 && head.message.status === 200);
  const rest = parseResponseBytes(latin1('HTTP/1.0 200 OK\r\n\r\nuntil close'), rmeta);
  assert.ok(rest.ok && rest.message.body.toString() === 'until close');
  const ch = parseResponseBytes(latin1('HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'), rmeta);
  assert.ok(ch.ok && ch.message.body.toString() === 'abc' && ch.message.reason === 'Not Found');
  const noReason = parseResponseBytes(latin1('HTTP/1.1 204\r\n\r\n'), rmeta);
  assert.ok(noReason.ok && noReason.message.status === 204 && noReason.message.reason === '');
});

// Issue 8: a message read from bytes is written back as those bytes (chunk framing and
// trailers as received); only a message built in code (a spread drops `raw`) is re-framed.
test('serializeRequest writes a parsed chunked request as received; a built one gets a correct Content-Length in place', () => {
  const wire = 'POST /t HTTP/1.1\r\nhost: a\r\nTransfer-Encoding: chunked\r\nX-After: 1\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n';
  const m = req(wire);
  assert.equal(serializeRequest(m).toString('latin1'), wire);
  assert.equal(m.body.toString(), 'abcde', 'the decoded body is still there');
  assert.equal(serializeRequest({ ...m }).toString('latin1'), 'POST /t HTTP/1.1\r\nhost: a\r\nContent-Length: 5\r\nX-After: 1\r\n\r\nabcde');
});

test('serializeRequest fixes a stale Content-Length and keeps bodiless messages bodiless', () => {
  const m = req('PUT /x HTTP/1.1\r\ncontent-length: 3\r\n\r\nabc');
  assert.equal(serializeRequest({ ...m, body: Buffer.from('abcdef') }).toString(), 'PUT /x HTTP/1.1\r\ncontent-length: 6\r\n\r\nabcdef');
  const g = req('GET /y HTTP/1.1\r\nHost: a\r\n\r\n');
  assert.equal(serializeRequest(g).toString(), 'GET /y HTTP/1.1\r\nHost: a\r\n\r\n');
  assert.equal(serializeRequest({ ...g, body: Buffer.from('zz') }).toString(), 'GET /y HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nzz');
});

test('serializeResponse keeps a HEAD/304 Content-Length; a parsed chunked response stays chunked, a built one is converted', () => {
  const head = parseResponseBytes(latin1('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n'), { ...rmeta, requestMethod: 'HEAD' });
  assert.ok(head.ok);
  assert.equal(serializeResponse(head.message).toString(), 'HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n');
  const ch = parseResponseBytes(latin1('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'), rmeta);
  assert.ok(ch.ok);
  assert.equal(serializeResponse(ch.message).toString(), 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n');
  assert.equal(ch.message.body.toString(), 'abc');
  assert.equal(serializeResponse({ ...ch.message }).toString(), 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc');
});

test('parse → serialize → parse is stable over the request corpus', () => {
  for (const entry of requests.filter((r) => r.count === 1)) {
    const a = req(entry.bytes);
    const again = parseRequestBytes(serializeRequest(a), meta);
    assert.ok(again.ok, entry.name);
    assert.deepEqual(again.message.body, a.body, entry.name);
    assert.equal(again.message.target, a.target);
    assert.equal(serializeRequest(again.message).toString('latin1'), serializeRequest(a).toString('latin1'), entry.name);
  }
});
