/**
 * Issue 8: the middleware gets the raw payload — the request as received, chunk framing,
 * odd whitespace and empty values included — and a message it hands back is sent and
 * stored as those bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { Message, RequestMessage } from '../../src/core/message.js';
import { createMiddleware } from '../../src/gor/middleware.js';
import { parseRequestBytes, parseResponseBytes, serializeRequest } from '../../src/http1/index.js';
import { Stats } from '../../src/telemetry/stats.js';
import { memoryLog } from './helpers.js';
import { eventually } from '../helpers/net.js';
import { middlewareOpts } from '../outputs/helpers.js';

const ECHO = fileURLToPath(new URL('../fixtures/middleware/echo.js', import.meta.url));
const WIRE = 'POST /m HTTP/1.1\r\nHost: app\r\nX-Odd:   v  \r\nCookie:\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nX-T: 1\r\n\r\n';

test('a pass-through middleware gets and gives back the payload as received', async () => {
  const parsed = parseRequestBytes(Buffer.from(WIRE, 'latin1'), { id: 'abc123', startNs: 1_700_000_000_000_000_000n });
  assert.ok(parsed.ok);
  const got: Message[] = [];
  const mw = createMiddleware(middlewareOpts(`'${process.execPath}' '${ECHO}'`, { pendingTimeoutMs: 2000 }), { stats: new Stats(), log: memoryLog(), onMessage: (m) => got.push(m) });
  try {
    mw.offer(parsed.message);
    await eventually(() => got.length === 1, 10_000, 'the echoed request');
  } finally {
    await mw.close(1000);
  }
  const back = got[0] as RequestMessage;
  assert.equal(back.id, 'abc123');
  assert.equal(serializeRequest(back).toString('latin1'), WIRE);
  assert.equal(back.body.toString(), 'abc');
});

test("the answer to a HEAD (a Content-Length, no body) comes back from the middleware as the app's answer", async () => {
  const startNs = 1_700_000_000_000_000_000n;
  const head = parseRequestBytes(Buffer.from('HEAD /h HTTP/1.1\r\nHost: app\r\n\r\n', 'latin1'), { id: 'head01', startNs });
  const answer = parseResponseBytes(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n', 'latin1'), { id: 'head01', startNs, latencyNs: 1000n, type: 'response', requestMethod: 'HEAD' });
  assert.ok(head.ok && answer.ok);
  const got: Message[] = [];
  const stats = new Stats();
  const mw = createMiddleware(middlewareOpts(`'${process.execPath}' '${ECHO}'`, { pendingTimeoutMs: 2000 }), { stats, log: memoryLog(), onMessage: (m) => got.push(m) });
  try {
    mw.offer(head.message);
    mw.offer(answer.message);
    await eventually(() => got.length === 2, 10_000, 'the request and its answer echoed');
  } finally {
    await mw.close(1000);
  }
  assert.deepEqual(got.map((m) => m.type), ['request', 'response']);
  assert.equal(stats.entry(mw.name).mirrored, 2, JSON.stringify(stats.entry(mw.name)));
});
