import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestMessage, ResponseMessage } from '../../src/core/message.js';
import { ambiguous, exchanges } from '../http1/corpus.js';
import { latin1, tapHarness } from '../http1/run-tap.js';
import { TAP } from '../../src/telemetry/stats.js';
import { MAX_TRACKED_REQUESTS } from '../../src/http1/limits.js';

const reqs = (ms: readonly { type: string }[]) => ms.filter((m): m is RequestMessage => m.type === 'request');
const resps = (ms: readonly { type: string }[]) => ms.filter((m): m is ResponseMessage => m.type === 'response');

test('pipelined responses pair FIFO with their requests: HEAD, 204, 304, chunked, 100-continue', () => {
  const h = tapHarness();
  const ex = exchanges[0]!;
  h.conn.fromClient(latin1(ex.requests));
  h.conn.fromApp(latin1(ex.responses));
  const rq = reqs(h.messages);
  const rs = resps(h.messages);
  assert.deepEqual(rq.map((r) => r.target), ['/1', '/2', '/3', '/4', '/5', '/6']);
  assert.deepEqual(rs.map((r) => r.status), [200, 200, 204, 304, 200, 201]);
  assert.deepEqual(rs.map((r) => r.id), rq.map((r) => r.id));
  assert.deepEqual(rs.map((r) => r.body.toString()), ['one', '', '', '', 'five', 'six']);
  assert.deepEqual(rs[4]!.trailers, [{ name: 'X-T', value: '1' }]);
  assert.equal(rq[5]!.body.toString(), 'ok');
  for (const r of rs) assert.ok(r.latencyNs > 0n);
  assert.equal(h.tap().seen, 6);
  assert.equal(h.conn.state, 'mirroring');
});

test('Expect: 100-continue — the body arrives after the app\'s 100, framing stays right', () => {
  const h = tapHarness();
  h.conn.fromClient(latin1('PUT /up HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n'));
  h.conn.fromApp(latin1('HTTP/1.1 100 Continue\r\n\r\n'));
  assert.equal(h.messages.length, 0);
  h.conn.fromClient(latin1('hello'));
  h.conn.fromApp(latin1('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
  h.conn.fromClient(latin1('GET /next HTTP/1.1\r\nHost: a\r\n\r\n'));
  h.conn.fromApp(latin1('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
  assert.deepEqual(h.messages.map((m) => m.type), ['request', 'response', 'request', 'response']);
  assert.equal((h.messages[0] as RequestMessage).body.toString(), 'hello');
  assert.equal(h.messages[1]!.id, h.messages[0]!.id);
  assert.equal(h.messages[3]!.id, h.messages[2]!.id);
});

test('an early final response (before the request body is complete) is emitted after its request', () => {
  const h = tapHarness();
  h.conn.fromClient(latin1('POST /big HTTP/1.1\r\nContent-Length: 6\r\n\r\nabc'));
  h.conn.fromApp(latin1('HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n'));
  assert.equal(h.messages.length, 0);
  h.conn.fromClient(latin1('def'));
  assert.deepEqual(h.messages.map((m) => m.type), ['request', 'response']);
});

test('a response without framing is read until close', () => {
  const h = tapHarness();
  const ex = exchanges[1]!;
  h.conn.fromClient(latin1(ex.requests));
  h.conn.fromApp(latin1(ex.responses));
  assert.equal(resps(h.messages).length, 0);
  h.conn.close();
  const [r] = resps(h.messages);
  assert.equal(r!.body.toString(), 'all of the rest\r\nof the bytes');
  assert.equal(h.conn.state, 'closed');
});

test('captureResponses=false: responses are framed but neither copied nor emitted', () => {
  const h = tapHarness({ captureResponses: false });
  const ex = exchanges[0]!;
  h.conn.fromClient(latin1(ex.requests));
  h.conn.fromApp(latin1(ex.responses));
  h.conn.fromClient(latin1('GET /after HTTP/1.1\r\n\r\n'));
  assert.equal(resps(h.messages).length, 0);
  assert.equal(reqs(h.messages).length, 7);
});

test('101 Switching Protocols → tunnel: client bytes after the Upgrade request are never parsed', () => {
  const h = tapHarness();
  h.conn.fromClient(latin1('GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x85garbage-frame'));
  assert.equal(h.conn.state, 'mirroring');
  h.conn.fromApp(latin1('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello'));
  assert.equal(h.conn.state, 'tunnel');
  h.conn.fromClient(latin1('\x88\x80more frames'));
  h.conn.fromApp(latin1('not http'));
  assert.deepEqual(h.messages.map((m) => m.type), ['request', 'response']);
  assert.equal((h.messages[1] as ResponseMessage).status, 101);
  assert.equal(h.tap().dropped.desync, undefined);
});

test('an Upgrade request answered with a plain 200 keeps parsing the held client bytes', () => {
  const h = tapHarness();
  h.conn.fromClient(latin1('GET /x HTTP/1.1\r\nUpgrade: h2c\r\n\r\nGET /y HTTP/1.1\r\n\r\n'));
  assert.equal(reqs(h.messages).length, 1);
  h.conn.fromApp(latin1('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
  assert.deepEqual(reqs(h.messages).map((r) => r.target), ['/x', '/y']);
});

test('CONNECT answered 200 → tunnel', () => {
  const h = tapHarness();
  h.conn.fromClient(latin1('CONNECT db.internal:5432 HTTP/1.1\r\nHost: db.internal:5432\r\n\r\n'));
  h.conn.fromApp(latin1('HTTP/1.1 200 Connection Established\r\n\r\n'));
  assert.equal(h.conn.state, 'tunnel');
  h.conn.fromClient(latin1('\x16\x03\x01binary'));
  assert.equal(reqs(h.messages).length, 1);
});

test('a request body over maxBodyBytes is dropped as body_too_large, framing kept for the next one', () => {
  const h = tapHarness({ maxBodyBytes: 10 });
  h.conn.fromClient(latin1('POST /big HTTP/1.1\r\nContent-Length: 11\r\n\r\n'));
  h.conn.fromClient(latin1('01234567890GET /small HTTP/1.1\r\n\r\n'));
  h.conn.fromClient(latin1('POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n012345\r\n5\r\n67890\r\n0\r\n\r\n'));
  h.conn.fromClient(latin1('POST /exact HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789'));
  h.conn.fromApp(latin1('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na'));
  assert.deepEqual(h.messages.map((m) => (m.type === 'request' ? m.target : m.type)), ['/small', '/exact', 'response']);
  assert.equal(h.tap().dropped.body_too_large, 2);
  assert.equal(h.tap().seen, 4);
  assert.ok(h.log.lines.some((l) => l.includes('reason=body_too_large')));
});

test('a response body over the cap is dropped as response_too_large when captured; its request is still copied', () => {
  const h = tapHarness({ maxBodyBytes: 4 });
  h.conn.fromClient(latin1('GET / HTTP/1.1\r\n\r\n'));
  h.conn.fromApp(latin1('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabcde'));
  assert.equal(resps(h.messages).length, 0);
  assert.equal(h.messages.filter((m) => m.type === 'request').length, 1);
  assert.deepEqual(h.tap().dropped, { response_too_large: 1 }, 'not a request drop: seen (requests) still balances');
  assert.equal(h.tap().seen, 1);
  assert.ok(h.log.lines.some((l) => l.includes('reason=response_too_large') && l.includes('kind=response')));
});

test('emit throwing is counted, not thrown into the relay', () => {
  const h = tapHarness({ emit: () => { throw new Error('boom'); } });
  assert.doesNotThrow(() => {
    h.conn.fromClient(latin1('GET / HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n'));
    h.conn.fromApp(latin1('HTTP/1.1 204 No Content\r\n\r\n'));
  });
  assert.equal(h.tap().errors.emit, 3);
  assert.equal(h.conn.state, 'mirroring');
});

test('every ambiguous request shape desyncs the connection: one drop, one warn, nothing after', () => {
  for (const a of ambiguous) {
    const h = tapHarness();
    h.conn.fromClient(latin1(a.bytes));
    assert.equal(h.conn.state, 'desync', a.name);
    h.conn.fromClient(latin1('GET /after HTTP/1.1\r\n\r\n'));
    h.conn.fromApp(latin1('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
    assert.equal(h.messages.length, 0, a.name);
    assert.equal(h.tap().dropped.desync, 1, a.name);
    assert.equal(h.tap().seen, 1, a.name);
    assert.equal(h.log.lines.length, 1, a.name);
    assert.match(h.log.lines[0]!, new RegExp(`at=tap-desync .*reason=${a.reason}`), a.name);
  }
});

test('a malformed response desyncs the connection', () => {
  const h = tapHarness();
  h.conn.fromClient(latin1('GET / HTTP/1.1\r\n\r\n'));
  h.conn.fromApp(latin1('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab'));
  assert.equal(h.conn.state, 'desync');
  assert.equal(h.tap().dropped.desync, 1);
  assert.equal(reqs(h.messages).length, 1);
});

test('pipelining past the copy depth: still framed and paired, each deeper request counted as pipeline_depth', () => {
  const h = tapHarness({ captureResponses: false });
  h.conn.fromClient(latin1('GET / HTTP/1.1\r\n\r\n'.repeat(300)));
  assert.equal(h.conn.state, 'mirroring');
  assert.equal(reqs(h.messages).length, 256);
  assert.equal(h.stats.entry(TAP).seen, 300);
  assert.equal(h.stats.entry(TAP).dropped.pipeline_depth, 44);
  // The 300 answers pair up; the connection goes on being mirrored afterwards.
  h.conn.fromApp(latin1('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'.repeat(300)));
  h.conn.fromClient(latin1('GET /after HTTP/1.1\r\n\r\n'));
  assert.equal(reqs(h.messages).length, 257);
});

test('pipelining past the tracking depth desyncs instead of growing without bound', () => {
  const h = tapHarness({ captureResponses: false });
  h.conn.fromClient(latin1('GET / HTTP/1.1\r\n\r\n'.repeat(MAX_TRACKED_REQUESTS + 1)));
  assert.equal(h.conn.state, 'desync');
  assert.equal(h.stats.entry(TAP).dropped.desync, 1);
});

test('close releases the connection; later bytes are ignored', () => {
  const h = tapHarness();
  h.conn.fromClient(latin1('POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab'));
  h.conn.close();
  h.conn.fromClient(latin1('cde'));
  assert.equal(h.conn.state, 'closed');
  assert.equal(h.messages.length, 0);
});

test('a logger that throws while reporting a desync does not escape into the relay', () => {
  const throwing = { info() {}, warn() { throw new Error('stderr gone'); }, error() {}, line() {} };
  const h = tapHarness({ log: throwing });
  assert.doesNotThrow(() => h.conn.fromClient(latin1('GET / HTTP/1.1\r\nBad Header: x\r\n\r\n')));
  assert.equal(h.conn.state, 'desync');
  assert.doesNotThrow(() => h.conn.fromClient(latin1('more')));
  h.conn.close();
});

test('a body read in pieces reaches the copy sender as those pieces: nothing joined unless someone reads body', async () => {
  const { parseDestination, shadowWireBytes } = await import('../../src/outputs/http-request.js');
  const h = tapHarness();
  const head = 'POST /up HTTP/1.1\r\nHost: app\r\nContent-Length: 12000\r\n\r\n';
  // Three reads, each its own buffer as a socket hands them over; the first carries the head.
  const reads = [Buffer.from(head + 'a'.repeat(4000), 'latin1'), Buffer.alloc(4000, 'b'), Buffer.alloc(4000, 'c')];
  for (const r of reads) h.conn.fromClient(r);
  const [msg] = reqs(h.messages);
  assert.ok(msg?.raw);
  assert.equal(msg.raw.bodyLength, 12000);
  assert.equal(msg.raw.bodyParts.length, 3);
  assert.ok(msg.raw.bodyParts.every((p, i) => p.buffer === reads[i]!.buffer), 'pieces are views of the reads, not copies');
  const wire = shadowWireBytes(msg, parseDestination('http://127.0.0.1:9'), true);
  assert.equal(wire.length, 4, 'head + the three pieces, for one writev');
  assert.equal(Buffer.concat(wire).toString('latin1'), head + 'a'.repeat(4000) + 'b'.repeat(4000) + 'c'.repeat(4000));
  // Reading body joins once (a modifier, a .gor writer) and gives the same bytes.
  assert.equal(msg.body.toString('latin1'), 'a'.repeat(4000) + 'b'.repeat(4000) + 'c'.repeat(4000));
  assert.equal(msg.body, msg.raw.body, 'joined once, then kept');
});

test('a small tail of a large read is copied out rather than pinning the read', () => {
  const h = tapHarness();
  const first = Buffer.from('POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 4600\r\n\r\n' + 'x'.repeat(4000), 'latin1');
  // The second read carries the last 600 bytes of this body and a whole next request.
  const next = 'POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 3000\r\n\r\n' + 'z'.repeat(3000);
  const second = Buffer.alloc(600 + next.length, 'y');
  second.write(next, 600, 'latin1');
  h.conn.fromClient(first);
  h.conn.fromClient(second);
  const [a, b] = reqs(h.messages);
  assert.ok(a?.raw && b?.raw);
  assert.equal(a.raw.bodyParts.length, 2);
  assert.equal(a.raw.bodyParts[0]!.buffer, first.buffer, 'most of its read: kept as a view');
  assert.notEqual(a.raw.bodyParts[1]!.buffer, second.buffer, 'a sixth of its read: copied, so the read is not kept alive by it');
  assert.equal(b.raw.bodyParts[0]!.buffer, second.buffer, 'the next body is most of that read: a view');
  assert.equal(a.body.toString('latin1'), 'x'.repeat(4000) + 'y'.repeat(600));
});
