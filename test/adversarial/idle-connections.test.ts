// 5,000 concurrent idle connections through the relay (each holds a client socket and an
// app socket in the proxy): none is dropped, every one gets an exact answer afterwards,
// the proxy's RSS stays bounded, and every mirrored copy is accounted for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { rawExchange, startRecordingShadow } from '../helpers/net.js';
import { assertAccounted, countResponses, fdLimits, rssKb, sampleRss, shadowAccounting, sleep, startNodeApp, startSidecar } from '../helpers/duplicator.js';

const N = 5000;
const BATCH = 250;
const RSS_LIMIT_KB = 500 * 1024;
const REQ = 'GET /idle HTTP/1.1\r\nHost: x\r\n\r\n';

function readResponse(sock: net.Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => reject(new Error(`no answer; got ${Buffer.concat(chunks).length} bytes`)), 60_000);
    const onData = (c: Buffer) => {
      chunks.push(c);
      const all = Buffer.concat(chunks);
      if (countResponses(all).count >= 1) {
        clearTimeout(timer);
        sock.off('data', onData);
        resolve(all);
      }
    };
    sock.on('data', onData);
    sock.once('close', () => reject(new Error('closed before the answer')));
  });
}

test(`${N} concurrent idle connections: all answered afterwards, RSS bounded`, { timeout: 150_000 }, async (t) => {
  const { soft, hard } = fdLimits();
  // This process holds N client sockets; the proxy ~2N (it is started with its limit raised to the hard limit).
  if (soft < N + 1000 || hard < 2 * N + 1000) {
    t.skip(`ulimit -n is ${soft} (hard ${hard}); need ${N + 1000} here and ${2 * N + 1000} for the proxy`);
    return;
  }
  const app = await startNodeApp();
  const shadow = await startRecordingShadow();
  const dup = await startSidecar({ upstreamPort: app.port, shadowUrls: [shadow.url], shellPrefix: `ulimit -n ${Math.min(hard, 65536)};` });
  const sockets: net.Socket[] = [];
  try {
    const expected = await rawExchange(app.port, REQ, { until: (b) => countResponses(b).count >= 1 });
    const baselineKb = rssKb(dup.pid);
    const rss = sampleRss(dup.pid, 200);
    for (let b = 0; b < N / BATCH; b++) {
      const batch = Array.from({ length: BATCH }, () => net.connect({ host: '127.0.0.1', port: dup.port }));
      batch.forEach((s) => s.on('error', () => {}));
      await Promise.all(batch.map((s) => once(s, 'connect')));
      sockets.push(...batch);
    }
    await sleep(1000); // idle: all connected, nothing sent
    const idleKb = rssKb(dup.pid);
    assert.ok(sockets.every((s) => !s.destroyed && s.readyState === 'open'), 'every idle connection is still open');
    let answered = 0;
    for (let b = 0; b < N / BATCH; b++) {
      const batch = sockets.slice(b * BATCH, (b + 1) * BATCH);
      const answers = await Promise.all(batch.map((s) => {
        const p = readResponse(s);
        s.write(REQ);
        return p;
      }));
      for (const a of answers) assert.deepEqual(a, expected);
      answered += answers.length;
    }
    const { peakKb } = rss.stop();
    assert.equal(answered, N);
    console.log(`${N} idle connections: proxy RSS baseline ${(baselineKb / 1024).toFixed(1)} MB, idle ${(idleKb / 1024).toFixed(1)} MB, peak ${(peakKb / 1024).toFixed(1)} MB`);
    assert.ok(peakKb < RSS_LIMIT_KB, `proxy RSS peaked at ${peakKb} kB`);
    for (const s of sockets) s.destroy();
    const { code, output } = await dup.stop(60_000);
    assert.equal(code, 0, output.slice(-2000));
    const acc = shadowAccounting(output, shadow.url);
    assert.equal(acc.seen, N);
    assertAccounted(acc);
    assert.equal(acc.mirrored + (acc.totals['dropped.queue_full'] ?? 0), N, JSON.stringify(acc.totals));
    assert.ok(acc.mirrored > 0);
    console.log(`${N} idle connections: shadow ${JSON.stringify(acc.totals)}`);
  } finally {
    for (const s of sockets) s.destroy();
    dup.proc.kill();
    app.proc.kill();
    await shadow.close();
  }
});
