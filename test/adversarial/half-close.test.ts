// Half-closed sockets, in both directions: a client that sends its request then FIN still
// gets the whole answer; an app that answers only after the client's FIN sees that FIN; an
// app that half-closes first still receives what the client sends afterwards. Bytes exact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { eventually, rawExchange, startRecordingShadow } from '../helpers/net.js';
import { assertAccounted, countResponses, shadowAccounting, startNodeApp, startRawApp, startSidecar } from '../helpers/duplicator.js';

test('half-closed sockets: FIN is relayed both ways, answers complete, bytes exact', { timeout: 60_000 }, async () => {
  const node = await startNodeApp();
  const shadow = await startRecordingShadow();
  // Answers only once the client's FIN arrives (so the FIN must be relayed), then closes.
  const afterFin = await startRawApp((s) => s.on('end', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nafter fin')));
  // Answers the first request, then half-closes at once; keeps reading until the client's FIN.
  const finFirst = await startRawApp((s, received) => {
    let answered = false;
    s.on('data', () => {
      if (!answered && received().includes('\r\n\r\n')) {
        answered = true;
        s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
      }
    });
  });
  const dupNode = await startSidecar({ upstreamPort: node.port, shadowUrls: [shadow.url] });
  const dupAfterFin = await startSidecar({ upstreamPort: afterFin.port, shadowUrls: [shadow.url] });
  const dupFinFirst = await startSidecar({ upstreamPort: finFirst.port });
  try {
    // 1. Request + FIN to a real HTTP server: the whole answer, as the app gives it directly.
    for (const req of [
      'GET /half/1 HTTP/1.1\r\nHost: x\r\n\r\n',
      'POST /half/2 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello',
      // 2. Three pipelined requests then FIN: three answers in order.
      'GET /half/3a HTTP/1.1\r\nHost: x\r\n\r\nGET /half/3b HTTP/1.1\r\nHost: x\r\n\r\nGET /half/3c HTTP/1.1\r\nHost: x\r\n\r\n',
    ]) {
      const [viaProxy, direct] = await Promise.all([rawExchange(dupNode.port, req, { halfClose: true }), rawExchange(node.port, req, { halfClose: true })]);
      assert.deepEqual(viaProxy, direct, req);
      assert.ok(countResponses(viaProxy).count >= 1);
    }

    // 3. The app decides only at the client's FIN.
    const sent = 'POST /half/fin HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc';
    const got = await rawExchange(dupAfterFin.port, sent, { halfClose: true });
    assert.equal(got.toString(), 'HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nafter fin');
    assert.equal(Buffer.concat(afterFin.connections[0]!).toString(), sent);

    // 4. The app half-closes first; the client reads the answer and FIN, then still sends bytes, then FIN.
    const sock = net.connect({ host: '127.0.0.1', port: dupFinFirst.port, allowHalfOpen: true });
    await once(sock, 'connect');
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    const closed = once(sock, 'close');
    sock.write('GET /first HTTP/1.1\r\nHost: x\r\n\r\n');
    await once(sock, 'end');
    assert.equal(Buffer.concat(chunks).toString(), 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
    sock.end('late bytes after the app FIN');
    await closed;
    const whole = 'GET /first HTTP/1.1\r\nHost: x\r\n\r\nlate bytes after the app FIN';
    await eventually(() => Buffer.concat(finFirst.connections[0]!).length >= whole.length, 10_000, 'late bytes at the app');
    assert.equal(Buffer.concat(finFirst.connections[0]!).toString(), whole);

    const outs = [];
    for (const d of [dupNode, dupAfterFin, dupFinFirst]) {
      const r = await d.stop();
      assert.equal(r.code, 0, r.output);
      outs.push(r.output);
    }
    const urls = shadow.received.map((r) => r.url).sort();
    assert.deepEqual(urls, ['/half/1', '/half/2', '/half/3a', '/half/3b', '/half/3c', '/half/fin']);
    assert.equal(shadow.received.find((r) => r.url === '/half/fin')!.bodyLength, 3);
    for (const out of outs.slice(0, 2)) assertAccounted(shadowAccounting(out, shadow.url));
    for (const out of outs) assert.doesNotMatch(out, /tap-desync|tap-error/);
  } finally {
    for (const d of [dupNode, dupAfterFin, dupFinFirst]) d.proc.kill();
    node.proc.kill();
    await Promise.all([shadow.close(), afterFin.close(), finFirst.close()]);
  }
});
