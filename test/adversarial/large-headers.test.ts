// 16 KiB header lines (and a 16 KiB request target): relayed byte for byte and mirrored
// whole. A head over the tap's 64 KiB cap is still relayed exactly; only its copy is
// given up (dropped.desync, reason header_too_large) and counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rawExchange, startRecordingShadow } from '../helpers/net.js';
import { assertAccounted, countResponses, shadowAccounting, startRawApp, startSidecar, tapTotals } from '../helpers/duplicator.js';

const K16 = 16 * 1024;
const REPLY = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';

test('16 KiB header lines are relayed and mirrored; an over-cap head is relayed and its copy dropped', { timeout: 60_000 }, async () => {
  // Answers every complete head (no bodies here), keep-alive; closes when the client does.
  const app = await startRawApp((s, received) => {
    let answered = 0;
    s.on('end', () => s.end());
    s.on('data', () => {
      const heads = received().toString('latin1').split('\r\n\r\n').length - 1;
      for (; answered < heads; answered++) s.write(REPLY);
    });
  });
  const shadow = await startRecordingShadow({ maxHeaderSize: 256 * 1024 });
  const dup = await startSidecar({ upstreamPort: app.port, shadowUrls: [shadow.url] });
  try {
    const big = (c: string) => c.repeat(K16);
    const cases = [
      `GET /big-header HTTP/1.1\r\nHost: x\r\nX-Big: ${big('a')}\r\n\r\n`,
      `GET /three-big HTTP/1.1\r\nHost: x\r\nX-A: ${big('b')}\r\nX-B: ${big('c')}\r\nCookie: ${big('d')}\r\n\r\n`,
      `GET /big-target?q=${big('e')} HTTP/1.1\r\nHost: x\r\n\r\n`,
      `GET /over-cap HTTP/1.1\r\nHost: x\r\n${[1, 2, 3, 4, 5].map((n) => `X-${n}: ${big('f')}\r\n`).join('')}\r\n`,
    ];
    for (const [i, req] of cases.entries()) {
      const got = await rawExchange(dup.port, req, { until: (b) => countResponses(b).count >= 1 });
      assert.equal(got.toString(), REPLY);
      assert.equal(Buffer.concat(app.connections[i]!).toString('latin1'), req, `case ${i}: the app gets the exact head`);
    }
    const { code, output } = await dup.stop();
    assert.equal(code, 0, output);
    const byUrl = new Map(shadow.received.map((r) => [r.url.split('?')[0], r]));
    assert.deepEqual([...byUrl.keys()].sort(), ['/big-header', '/big-target', '/three-big']);
    assert.equal(byUrl.get('/big-header')!.headers['x-big'], big('a'));
    assert.equal(byUrl.get('/three-big')!.headers.cookie, big('d'));
    assert.equal(byUrl.get('/big-target')!.url, `/big-target?q=${big('e')}`);
    assert.equal(tapTotals(output)['dropped.desync'], 1);
    assert.match(output, /at=tap-desync .*reason=header_too_large/);
    const acc = shadowAccounting(output, shadow.url);
    assert.equal(acc.mirrored, 3);
    assertAccounted(acc);
  } finally {
    dup.proc.kill();
    await shadow.close();
    await app.close();
  }
});
