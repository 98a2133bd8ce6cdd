// A client that pipelines 100 requests (GETs, Content-Length POSTs and chunked POSTs) in
// one write: 100 answers in order, byte-identical to the app's own, and 100 copies mirrored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rawExchange, sha256, startRecordingShadow } from '../helpers/net.js';
import { assertAccounted, countResponses, shadowAccounting, startNodeApp, startSidecar, tapTotals } from '../helpers/duplicator.js';

const N = 100;

function requestFor(i: number): { bytes: string; body: string } {
  const body = `body-${i}-`.repeat(i % 7);
  if (i % 5 === 0) {
    const chunks = body ? `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n` : '';
    return { bytes: `POST /p/${i} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}0\r\n\r\n`, body };
  }
  if (i % 3 === 0) return { bytes: `POST /p/${i} HTTP/1.1\r\nHost: x\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, body };
  return { bytes: `GET /p/${i} HTTP/1.1\r\nHost: x\r\n\r\n`, body: '' };
}

test(`${N} requests pipelined in one write: ${N} answers in order, ${N} mirrored`, { timeout: 60_000 }, async () => {
  const app = await startNodeApp();
  const shadow = await startRecordingShadow();
  const dup = await startSidecar({ upstreamPort: app.port, shadowUrls: [shadow.url] });
  try {
    const reqs = Array.from({ length: N }, (_, i) => requestFor(i));
    const oneWrite = Buffer.from(reqs.map((r) => r.bytes).join(''));
    const until = (b: Buffer) => countResponses(b).count >= N;
    const [viaProxy, direct] = await Promise.all([rawExchange(dup.port, oneWrite, { until }), rawExchange(app.port, oneWrite, { until })]);
    assert.deepEqual(viaProxy, direct);
    assert.equal(countResponses(viaProxy).count, N);
    const order = [...viaProxy.toString().matchAll(/node (?:GET|POST) \/p\/(\d+) /g)].map((m) => Number(m[1]));
    assert.deepEqual(order, reqs.map((_, i) => i), 'answers in request order');

    const { code, output } = await dup.stop();
    assert.equal(code, 0, output);
    assert.equal(shadow.received.length, N);
    for (let i = 0; i < N; i++) {
      const r = shadow.received.find((x) => x.url === `/p/${i}`);
      assert.ok(r, `/p/${i} mirrored`);
      assert.equal(r.bodySha, sha256(reqs[i]!.body), `/p/${i} body mirrored without its transfer coding`);
    }
    const acc = shadowAccounting(output, shadow.url);
    assert.equal(acc.mirrored, N);
    assertAccounted(acc);
  } finally {
    dup.proc.kill();
    app.proc.kill();
    await shadow.close();
  }
});

test('past the copy depth (256 pipelined requests): primary exact, every request still counted', { timeout: 60_000 }, async () => {
  const app = await startNodeApp();
  const shadow = await startRecordingShadow();
  const dup = await startSidecar({ upstreamPort: app.port, shadowUrls: [shadow.url] });
  try {
    const M = 300;
    const oneWrite = Buffer.from(Array.from({ length: M }, (_, i) => `GET /deep/${i} HTTP/1.1\r\nHost: x\r\n\r\n`).join(''));
    const until = (b: Buffer) => countResponses(b).count >= M;
    const [viaProxy, direct] = await Promise.all([rawExchange(dup.port, oneWrite, { until }), rawExchange(app.port, oneWrite, { until })]);
    assert.deepEqual(viaProxy, direct, 'all 300 answers, exact and in order');
    const { code, output } = await dup.stop();
    assert.equal(code, 0, output);
    // The tap copies 256 unanswered requests per connection; deeper ones are still framed
    // and paired, and each is counted as dropped pipeline_depth: nothing goes uncounted.
    assert.doesNotMatch(output, /at=tap-desync/);
    assert.equal(shadow.received.length, 256);
    assert.equal(tapTotals(output)['seen'], M);
    assert.equal(tapTotals(output)['dropped.pipeline_depth'], M - 256);
    assertAccounted(shadowAccounting(output, shadow.url));
  } finally {
    dup.proc.kill();
    app.proc.kill();
    await shadow.close();
  }
});
