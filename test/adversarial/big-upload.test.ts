// A 1 GiB upload streamed through the relay: generated on the fly in bounded chunks, hashed
// by the app (the node fixture answers with len and sha256). The proxy's RSS, sampled from
// /proc during the upload, stays flat; the copy is over --copy-buffer-size, so the shadow
// gets nothing for it and the tap counts body_too_large. A later request is mirrored as usual.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { createHash, randomBytes } from 'node:crypto';
import { rawExchange, startRecordingShadow } from '../helpers/net.js';
import { assertAccounted, rssKb, sampleRss, shadowAccounting, startNodeApp, startSidecar, tapTotals } from '../helpers/duplicator.js';

const TOTAL = 1024 * 1024 * 1024;
const CHUNK = 256 * 1024;
const RSS_LIMIT_KB = 250 * 1024;

/** Streams `TOTAL` bytes as one Content-Length POST, honouring backpressure; resolves with the sha256 sent and the raw answer. */
async function upload(port: number): Promise<{ sha: string; answer: Buffer; ms: number }> {
  const started = Date.now();
  const sock = net.connect({ host: '127.0.0.1', port });
  await once(sock, 'connect');
  const chunks: Buffer[] = [];
  sock.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((resolve, reject) => {
    sock.once('end', resolve);
    sock.once('error', reject);
  });
  sock.write(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${TOTAL}\r\nConnection: close\r\n\r\n`);
  const hash = createHash('sha256');
  const base = randomBytes(CHUNK);
  for (let i = 0; i < TOTAL / CHUNK; i++) {
    const chunk = Buffer.allocUnsafe(CHUNK);
    base.copy(chunk);
    chunk.writeUInt32BE(i, (i * 4099) % (CHUNK - 4)); // every chunk differs
    hash.update(chunk);
    if (!sock.write(chunk)) await once(sock, 'drain');
  }
  await ended;
  sock.destroy();
  return { sha: hash.digest('hex'), answer: Buffer.concat(chunks), ms: Date.now() - started };
}

test('1 GiB upload: exact bytes to the app, proxy RSS flat, copy dropped as body_too_large', { timeout: 240_000 }, async () => {
  const app = await startNodeApp();
  const shadow = await startRecordingShadow();
  const dup = await startSidecar({ upstreamPort: app.port, shadowUrls: [shadow.url] });
  try {
    const baselineKb = rssKb(dup.pid);
    const rss = sampleRss(dup.pid, 100);
    const { sha, answer, ms } = await upload(dup.port);
    const { peakKb, samples } = rss.stop();
    const text = answer.toString('latin1');
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.ok(text.endsWith(`node POST /upload len=${TOTAL} sha256=${sha}\n`), text);
    console.log(`1 GiB upload: ${ms} ms (${((TOTAL / 1048576) / (ms / 1000)).toFixed(0)} MiB/s); proxy RSS baseline ${(baselineKb / 1024).toFixed(1)} MB, peak ${(peakKb / 1024).toFixed(1)} MB over ${samples} samples`);
    assert.ok(samples > 5, 'RSS was sampled during the upload');
    assert.ok(peakKb < RSS_LIMIT_KB, `proxy RSS peaked at ${peakKb} kB`);

    const after = await rawExchange(dup.port, 'GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(after.toString(), /node GET \/after len=0/);

    const { code, output } = await dup.stop();
    assert.equal(code, 0, output);
    assert.deepEqual(shadow.received.map((r) => r.url), ['/after'], 'the upload is never mirrored (nor truncated)');
    assert.equal(tapTotals(output)['dropped.body_too_large'], 1, output);
    assert.match(output, /at=tap-drop .*reason=body_too_large .*bytes=1073741824/);
    const acc = shadowAccounting(output, shadow.url);
    assert.equal(acc.seen, 1);
    assert.equal(acc.mirrored, 1);
    assertAccounted(acc);
  } finally {
    dup.proc.kill();
    app.proc.kill();
    await shadow.close();
  }
});
