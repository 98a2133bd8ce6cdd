// HTTP/1.0 without keep-alive: one request per connection, answers framed by Content-Length
// or by the app closing the connection (no length at all). Bytes exact; every request mirrored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rawExchange, startRecordingShadow } from '../helpers/net.js';
import { assertAccounted, shadowAccounting, startNodeApp, startRawApp, startSidecar } from '../helpers/duplicator.js';

test('HTTP/1.0 without keep-alive: exact bytes, connection closed by the app, all mirrored', { timeout: 60_000 }, async () => {
  const node = await startNodeApp();
  // An HTTP/1.0 app that frames its answer by closing the connection (no Content-Length).
  const closeFramed = await startRawApp((s, received) =>
    s.on('data', () => {
      const all = received().toString('latin1');
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) return;
      const cl = Number(/\r\ncontent-length: *(\d+)/i.exec(all)?.[1] ?? 0);
      if (all.length < end + 4 + cl) return;
      s.end(`HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nclose-framed answer to ${all.slice(0, all.indexOf(' HTTP/'))}\n${'x'.repeat(70_000)}`);
    }),
  );
  const shadow = await startRecordingShadow();
  const dupNode = await startSidecar({ upstreamPort: node.port, shadowUrls: [shadow.url] });
  const dupRaw = await startSidecar({ upstreamPort: closeFramed.port, shadowUrls: [shadow.url] });
  try {
    for (let i = 0; i < 10; i++) {
      const req = i % 2 ? `GET /h10/${i} HTTP/1.0\r\nHost: x\r\n\r\n` : `POST /h10/${i} HTTP/1.0\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody`;
      // Node answers an HTTP/1.0 request without keep-alive and closes: rawExchange ends on that close.
      const [viaProxy, direct] = await Promise.all([rawExchange(dupNode.port, req), rawExchange(node.port, req)]);
      assert.deepEqual(viaProxy, direct, req);
      assert.match(viaProxy.toString(), /^HTTP\/1\.1 200 OK\r\n[^]*\r\nConnection: close\r\n/i);
      const raw = await rawExchange(dupRaw.port, req.replace('/h10/', '/raw10/'));
      const expected = `HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nclose-framed answer to ${i % 2 ? 'GET' : 'POST'} /raw10/${i}\n${'x'.repeat(70_000)}`;
      assert.equal(raw.toString('latin1'), expected, 'a close-framed answer arrives whole');
      assert.equal(Buffer.concat(closeFramed.connections[i]!).toString(), req.replace('/h10/', '/raw10/'));
    }
    const a = await dupNode.stop();
    const b = await dupRaw.stop();
    assert.equal(a.code, 0, a.output);
    assert.equal(b.code, 0, b.output);
    const urls = shadow.received.map((r) => r.url).sort();
    assert.equal(urls.length, 20);
    assert.deepEqual(urls.filter((u) => u.startsWith('/h10/')).length, 10);
    assert.deepEqual(urls.filter((u) => u.startsWith('/raw10/')).length, 10);
    for (const out of [a.output, b.output]) {
      assert.doesNotMatch(out, /tap-desync|tap-error/);
      const acc = shadowAccounting(out, shadow.url);
      assert.equal(acc.mirrored, 10);
      assertAccounted(acc);
    }
  } finally {
    dupNode.proc.kill();
    dupRaw.proc.kill();
    node.proc.kill();
    await shadow.close();
    await closeFramed.close();
  }
});
