// Slowloris clients trickle their headers one byte at a time; while they are mid-header,
// other clients are served with exact bytes; the slow ones get exact answers at the end,
// and every request (fast or slow) is mirrored and accounted for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { eventually, rawExchange, startRecordingShadow } from '../helpers/net.js';
import { assertAccounted, shadowAccounting, sleep, startNodeApp, startSidecar } from '../helpers/duplicator.js';

const SLOW = 30;
const FAST = 60;

const request = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;

/** Writes one byte at a time: the request line and Host, then X-Trickle bytes until `keepGoing()` is false, then the end. */
async function slowloris(port: number, path: string, keepGoing: () => boolean, onTrickling: () => void): Promise<Buffer> {
  const sock = net.connect({ host: '127.0.0.1', port });
  await once(sock, 'connect');
  sock.setNoDelay(true);
  const got: Buffer[] = [];
  sock.on('data', (c: Buffer) => got.push(c));
  const ended = once(sock, 'end');
  const trickle = async (s: string) => {
    for (const ch of s) {
      sock.write(ch);
      await sleep(15);
    }
  };
  try {
    await trickle(`GET ${path} HTTP/1.1\r\nHost: x\r\nX-Trickle: a`);
    onTrickling();
    for (let i = 0; i < 2000 && keepGoing(); i++) await trickle('a'); // bounded: ≤ 2000 bytes
    await trickle('\r\nConnection: close\r\n\r\n');
    await ended;
    return Buffer.concat(got);
  } finally {
    sock.destroy();
  }
}

test('slowloris clients do not hold up others; all bytes exact; all mirrored', { timeout: 120_000 }, async () => {
  const app = await startNodeApp();
  const shadow = await startRecordingShadow();
  const dup = await startSidecar({ upstreamPort: app.port, shadowUrls: [shadow.url] });
  try {
    let fastDone = false;
    let trickling = 0;
    const slow = Array.from({ length: SLOW }, (_, i) => slowloris(dup.port, `/slow-client/${i}`, () => !fastDone, () => trickling++));
    // Every slow client is mid-header now, and stays so until the fast ones are all done.
    await eventually(() => trickling === SLOW, 30_000, 'slow clients trickling');
    for (let b = 0; b < FAST / 10; b++) {
      await Promise.all(
        Array.from({ length: 10 }, async (_, j) => {
          const path = `/fast/${b * 10 + j}`;
          const [viaProxy, direct] = await Promise.all([rawExchange(dup.port, request(path)), rawExchange(app.port, request(path))]);
          assert.deepEqual(viaProxy, direct, `${path}: exact bytes while slowloris clients trickle`);
        }),
      );
    }
    fastDone = true;
    const slowAnswers = await Promise.all(slow);
    for (let i = 0; i < SLOW; i++) {
      const direct = await rawExchange(app.port, request(`/slow-client/${i}`));
      assert.deepEqual(slowAnswers[i], direct, `slow client ${i} gets its exact answer`);
    }
    const { code, output } = await dup.stop();
    assert.equal(code, 0, output);
    assert.equal(shadow.received.length, SLOW + FAST);
    const trickled = shadow.received.filter((r) => r.url.startsWith('/slow-client/'));
    assert.equal(trickled.length, SLOW);
    assert.ok(trickled.every((r) => /^a+$/.test(String(r.headers['x-trickle']))), 'the trickled header arrives whole at the shadow');
    const acc = shadowAccounting(output, shadow.url);
    assert.equal(acc.mirrored, SLOW + FAST);
    assertAccounted(acc);
  } finally {
    dup.proc.kill();
    app.proc.kill();
    await shadow.close();
  }
});
