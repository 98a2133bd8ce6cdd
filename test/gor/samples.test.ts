import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeAll } from '../../src/gor/codec.js';
import { recordToMessage } from '../../src/gor/records.js';
import { getHeader, type RequestMessage } from '../../src/core/message.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/gor/${name}`, import.meta.url));

function requestsOf(name: string): RequestMessage[] {
  const path = fixture(name);
  const { records, reader } = decodeAll(readFileSync(path), { source: path, onMalformed: (m) => assert.fail(`${m.source} record ${m.record}: ${m.error}`) });
  assert.equal(reader.malformed, 0);
  return records.map((r) => {
    assert.equal(r.type, '1');
    assert.match(r.id, /^[0-9a-f]{40}$/, 'gor 0.10 ids are 40 hex chars');
    assert.equal(r.latencyNs, undefined, '3-field headers have no latency');
    const m = recordToMessage(r);
    if (!m.ok) assert.fail(`${name} record ${r.id}: ${m.error}`);
    assert.equal(m.message.type, 'request');
    return m.message as RequestMessage;
  });
}

// gor v0.10.1 re-ordered headers into Go's client order, added Accept-Encoding: gzip,
// rewrote Host to its output's host, and kept chunked bodies chunk-framed (README there).
test('capture-v0.10.1.gor: GET with query, JSON POST, chunked POST', () => {
  const reqs = requestsOf('capture-v0.10.1.gor');
  assert.deepEqual(reqs.map((r) => [r.method, r.target]), [
    ['GET', '/hello?x=1'],
    ['POST', '/api/items'],
    ['POST', '/chunked'],
  ]);
  assert.deepEqual(reqs[0]!.headers, [
    { name: 'Host', value: '127.0.0.1:18084' },
    { name: 'User-Agent', value: 'curl/7.88.1' },
    { name: 'Accept', value: '*/*' },
    { name: 'Accept-Encoding', value: 'gzip' },
  ]);
  assert.equal(reqs[0]!.body.length, 0);
  assert.equal(getHeader(reqs[1]!.headers, 'content-type'), 'application/json');
  assert.equal(reqs[1]!.body.toString(), '{"a":1,"b":"two"}');
  assert.equal(getHeader(reqs[2]!.headers, 'transfer-encoding'), 'chunked');
  assert.equal(reqs[2]!.body.toString(), 'chunky-body-123', 'chunk framing removed by the parser');
  assert.equal(reqs[0]!.startNs, 1795267183932062021n);
  assert.ok(reqs.every((r, i) => i === 0 || r.startNs > reqs[i - 1]!.startNs));
});

test('trio-capture-gor-v0.10.1.gor: the em-proxy → gor capture of the app traffic', () => {
  const reqs = requestsOf('trio-capture-gor-v0.10.1.gor');
  assert.deepEqual(reqs.map((r) => `${r.method} ${r.target}`), [
    'GET /search?q=hello+world&page=2',
    'POST /api/orders',
    'POST /upload',
    'POST /chunked',
    'PUT /api/orders/7',
    'DELETE /api/orders/7',
    'GET /ka/1',
    'GET /ka/2',
  ]);
  const [search, orders, upload, chunked, put, del] = reqs as [RequestMessage, RequestMessage, RequestMessage, RequestMessage, RequestMessage, RequestMessage];
  assert.equal(getHeader(search.headers, 'Cookie'), 'session=s1');
  assert.equal(getHeader(search.headers, 'X-Request-Id'), 'abc-123');
  assert.equal(getHeader(search.headers, 'Accept'), 'application/json');
  assert.equal(orders.body.toString(), '{"item":"book","qty":2}');
  assert.equal(upload.body.length, 1024);
  assert.ok(upload.body.equals(Buffer.alloc(1024, 'x')));
  assert.equal(getHeader(upload.headers, 'Content-Type'), 'application/octet-stream');
  assert.equal(chunked.body.toString(), 'chunk-one|chunk-two');
  assert.equal(put.body.toString(), 'status=shipped');
  assert.equal(getHeader(put.headers, 'Content-Type'), 'application/x-www-form-urlencoded');
  assert.equal(del.body.length, 0);
  for (const r of reqs) {
    assert.equal(r.version, 'HTTP/1.1');
    assert.equal(getHeader(r.headers, 'Host'), '127.0.0.1:18310');
  }
});
