// Shadows that misbehave: one answers with non-HTTP garbage, one with a 10 GB response
// (streamed lazily, with backpressure, until the proxy hangs up). The primary is untouched
// (exact bytes), the 10 GB answer is cut off, the proxy's RSS stays bounded, and every
// copy is accounted for (seen == mirrored + dropped + errors).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { rawExchange } from '../helpers/net.js';
import { assertAccounted, rssKb, sampleRss, shadowAccounting, startNodeApp, startSidecar } from '../helpers/duplicator.js';

const TEN_GB = 10 * 1024 ** 3;
const RSS_LIMIT_KB = 250 * 1024;

async function listen(server: net.Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

test('garbage-speaking and 10 GB-answering shadows: primary exact, answer cut off, RSS bounded, all accounted', { timeout: 120_000 }, async () => {
  const app = await startNodeApp();
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  };
  // Answers each request with bytes that are not HTTP at all, then closes.
  const garbage = net.createServer((s) => {
    track(s);
    s.once('data', () => s.end(Buffer.from('\x00\xffthis is not http\r\n\r\n\x1b[31m', 'latin1')));
  });
  // Answers with a 10 GB Content-Length and streams it lazily, honouring backpressure,
  // until the client goes away; records how much each connection was actually sent.
  const sentPerConnection: number[] = [];
  const huge = net.createServer((s) => {
    track(s);
    const idx = sentPerConnection.push(0) - 1;
    const chunk = Buffer.alloc(64 * 1024, 'z');
    let closed = false;
    s.on('close', () => (closed = true));
    s.once('data', () => {
      s.write(`HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${TEN_GB}\r\n\r\n`);
      const pump = () => {
        while (!closed && sentPerConnection[idx]! < TEN_GB) {
          sentPerConnection[idx]! += chunk.length;
          if (!s.write(chunk)) return void s.once('drain', pump);
        }
      };
      pump();
    });
  });
  const garbageUrl = await listen(garbage);
  const hugeUrl = await listen(huge);
  const dup = await startSidecar({ upstreamPort: app.port, shadowUrls: [garbageUrl, hugeUrl], args: ['--output-http-timeout', '10s'] });
  try {
    const baselineKb = rssKb(dup.pid);
    const rss = sampleRss(dup.pid, 100);
    const N = 30;
    for (let i = 0; i < N; i++) {
      const req = `POST /bad-shadow/${i} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello`;
      const [viaProxy, direct] = await Promise.all([rawExchange(dup.port, req), rawExchange(app.port, req)]);
      assert.deepEqual(viaProxy, direct, `request ${i}: primary bytes exact`);
    }
    const { code, output } = await dup.stop(60_000);
    const { peakKb } = rss.stop();
    assert.equal(code, 0, output);
    const totalSent = sentPerConnection.reduce((a, b) => a + b, 0);
    console.log(`10 GB shadow: ${sentPerConnection.length} connections, ${(totalSent / 1048576).toFixed(1)} MiB written in all (max ${(Math.max(...sentPerConnection) / 1048576).toFixed(1)} MiB on one); proxy RSS baseline ${(baselineKb / 1024).toFixed(1)} MB, peak ${(peakKb / 1024).toFixed(1)} MB`);
    assert.ok(sentPerConnection.length >= 1);
    assert.ok(Math.max(...sentPerConnection) < 256 * 1024 * 1024, 'each 10 GB answer is cut off early');
    assert.ok(peakKb < RSS_LIMIT_KB, `proxy RSS peaked at ${peakKb} kB`);

    const g = shadowAccounting(output, garbageUrl);
    assert.equal(g.seen, N);
    assert.equal(g.mirrored, 0, `garbage is never counted as delivered: ${JSON.stringify(g.totals)}`);
    assert.ok(g.errors > 0, JSON.stringify(g.totals));
    assertAccounted(g, 'garbage shadow');
    const h = shadowAccounting(output, hugeUrl);
    assert.equal(h.seen, N);
    assertAccounted(h, '10 GB shadow');
    console.log(`garbage shadow: ${JSON.stringify(g.totals)}; 10 GB shadow: ${JSON.stringify(h.totals)}`);
  } finally {
    dup.proc.kill();
    app.proc.kill();
    for (const s of sockets) s.destroy();
    garbage.close();
    huge.close();
  }
});
