// When copies leave (inputs/tap.ts, HOLD_MS): after the app begins its answer, or a few
// milliseconds after the request when the app takes longer. Through the built CLI, real
// loopback sockets, a real node:http app and shadow: a slow answer never delays its copy,
// and every copy of a run is delivered and counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startRecordingShadow, eventually } from '../helpers/net.js';
import { startSidecar } from '../helpers/wrapper.js';
import { shadowAccounting } from '../helpers/duplicator.js';

function get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
}

test('a slow answer does not hold its copy back; fast answers are all mirrored', async () => {
  const APP_DELAY_MS = 2000;
  const app = await startRecordingShadow({ status: 200, body: 'app\n', delayMs: (url) => (url === '/slow' ? APP_DELAY_MS : 0), record: false });
  const shadow = await startRecordingShadow();
  const dup = await startSidecar({ upstreamPort: app.port, shadowUrls: [shadow.url] });
  try {
    const t0 = performance.now();
    const answered = get(dup.port, '/slow');
    await eventually(() => shadow.received.length === 1, APP_DELAY_MS - 500, 'the copy of /slow before the app answers');
    const copyAfterMs = performance.now() - t0;
    assert.equal(shadow.received[0]!.url, '/slow');
    assert.equal(await answered, 200);
    const answerAfterMs = performance.now() - t0;
    assert.ok(copyAfterMs < answerAfterMs - 500, `copy after ${copyAfterMs.toFixed(0)} ms, answer after ${answerAfterMs.toFixed(0)} ms`);

    for (let i = 0; i < 30; i++) assert.equal(await get(dup.port, `/fast/${i}`), 200);
    await eventually(() => shadow.received.length === 31, 10_000, 'every fast copy');
    assert.deepEqual(shadow.received.slice(1).map((r) => r.url), Array.from({ length: 30 }, (_, i) => `/fast/${i}`));
  } finally {
    const stopped = await dup.stop();
    await app.close();
    await shadow.close();
    const a = shadowAccounting(stopped.output, shadow.url);
    assert.equal(a.seen, 31, stopped.output.slice(-2000));
    assert.equal(a.mirrored, 31);
  }
});
