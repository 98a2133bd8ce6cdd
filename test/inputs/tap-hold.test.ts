// The tap holds a complete request's copy until the app begins its answer (at most holdMs),
// so that copies are sent after production's answer (inputs/tap.ts, HOLD_MS). A held copy
// is never lost: the answer, the sweep, the connection's end, a desync and flush() release it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message, RequestMessage } from '../../src/core/message.js';
import { HOLD_MS } from '../../src/inputs/tap.js';
import { latin1, tapHarness } from '../http1/run-tap.js';
import { eventually } from '../helpers/net.js';

const summary = (ms: readonly Message[]) => ms.map((m) => (m.type === 'request' ? `req ${(m as RequestMessage).target}` : `resp ${m.id === ms[0]?.id ? 'of first' : ''}`.trim()));
const realClock = () => process.hrtime.bigint();
/** Long enough that only an answer, a close or flush() can release a copy during a test. */
const LONG = 60_000;

test('a complete request waits for the head of its answer, then goes before the answer', () => {
  const h = tapHarness({ holdMs: LONG });
  h.conn.fromClient(latin1('POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi'));
  assert.equal(h.messages.length, 0, 'held while the app works');
  assert.equal(h.tap().seen, 1, 'counted when complete, as before');
  h.conn.fromApp(latin1('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhe'));
  assert.deepEqual(summary(h.messages), ['req /a'], 'released by the head, before the body is complete');
  h.conn.fromApp(latin1('llo'));
  assert.deepEqual(summary(h.messages), ['req /a', 'resp of first']);
  assert.equal(h.messages[1]!.id, h.messages[0]!.id);
});

test('pipelined requests are released one by one, in order, by their own answers', () => {
  const h = tapHarness({ holdMs: LONG, captureResponses: false });
  h.conn.fromClient(latin1('GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\n\r\n'));
  assert.equal(h.messages.length, 0);
  h.conn.fromApp(latin1('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
  assert.deepEqual(summary(h.messages), ['req /1']);
  h.conn.fromApp(latin1('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
  assert.deepEqual(summary(h.messages), ['req /1', 'req /2', 'req /3']);
});

test('an answer that began before the request was complete (100-continue, early answer) does not hold it', () => {
  const h = tapHarness({ holdMs: LONG });
  h.conn.fromClient(latin1('PUT /up HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n'));
  h.conn.fromApp(latin1('HTTP/1.1 100 Continue\r\n\r\n'));
  h.conn.fromClient(latin1('hello'));
  assert.deepEqual(summary(h.messages), ['req /up']);

  const e = tapHarness({ holdMs: LONG });
  e.conn.fromClient(latin1('POST /big HTTP/1.1\r\nContent-Length: 6\r\n\r\nabc'));
  e.conn.fromApp(latin1('HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n'));
  e.conn.fromClient(latin1('def'));
  assert.deepEqual(summary(e.messages), ['req /big', 'resp of first']);
});

test('with no answer, the copy goes after holdMs (the sweep)', async () => {
  const h = tapHarness({ holdMs: 20, now: realClock, captureResponses: false });
  const t0 = performance.now();
  h.conn.fromClient(latin1('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n'));
  assert.equal(h.messages.length, 0);
  await eventually(() => h.messages.length === 1, 2000);
  const waited = performance.now() - t0;
  assert.ok(waited >= 15, `released after ${waited.toFixed(1)} ms`);
  assert.deepEqual(summary(h.messages), ['req /slow']);
  // Its answer, later, releases nothing twice.
  h.conn.fromApp(latin1('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
  assert.equal(h.messages.length, 1);
});

test('the connection\'s end, a desync and flush() release every held copy, in order', () => {
  const closed = tapHarness({ holdMs: LONG, captureResponses: false });
  closed.conn.fromClient(latin1('GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n'));
  closed.conn.close();
  assert.deepEqual(summary(closed.messages), ['req /1', 'req /2']);

  const desync = tapHarness({ holdMs: LONG, captureResponses: false });
  desync.conn.fromClient(latin1('GET /1 HTTP/1.1\r\nHost: x\r\n\r\n'));
  desync.conn.fromApp(latin1('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'));
  assert.equal(desync.conn.state, 'desync');
  assert.deepEqual(summary(desync.messages), ['req /1'], 'complete before the desync: copied, as without the wait');

  const flushed = tapHarness({ holdMs: LONG, captureResponses: false });
  const other = flushed.open('c2');
  flushed.conn.fromClient(latin1('GET /a HTTP/1.1\r\nHost: x\r\n\r\n'));
  other.fromClient(latin1('GET /b HTTP/1.1\r\nHost: x\r\n\r\n'));
  flushed.flush();
  assert.deepEqual(summary(flushed.messages).sort(), ['req /a', 'req /b']);
  flushed.conn.close();
  other.close();
  assert.equal(flushed.messages.length, 2, 'nothing emitted twice');
});

test('holdMs 0 emits at completion; the default waits HOLD_MS, a few milliseconds', () => {
  const now = tapHarness({ holdMs: 0 });
  now.conn.fromClient(latin1('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  assert.equal(now.messages.length, 1);
  assert.ok(HOLD_MS > 0 && HOLD_MS <= 10, `HOLD_MS ${HOLD_MS}`);
});
