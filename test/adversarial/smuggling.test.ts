// Request-smuggling shapes through the real CLI: the app (a raw socket that records every
// byte) still receives exactly what the client sent and decides for itself; the mirror
// never forwards an ambiguous request — the shadow gets nothing for it and the tap counts
// dropped.desync — while the valid requests before it on the same connection are mirrored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rawExchange, startRecordingShadow } from '../helpers/net.js';
import { assertAccounted, shadowAccounting, startRawApp, startSidecar, tapTotals } from '../helpers/duplicator.js';

const REPLY = Buffer.from('HTTP/1.1 400 Bad Request\r\nContent-Length: 4\r\nConnection: close\r\n\r\nnope');

/** Each shape: a valid request /ok/<name> first, then the ambiguous one (its target starts /smuggle). */
const SHAPES: Record<string, string> = {
  cl_te: 'POST /smuggle/cl_te HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGPOST /smuggle/inner HTTP/1.1\r\nHost: x\r\n\r\n',
  te_cl: 'POST /smuggle/te_cl HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\nGPOST /smuggle/inner HTTP/1.1\r\nContent-Length: 15\r\n\r\nx=1\r\n0\r\n\r\n',
  duplicate_cl_different: 'POST /smuggle/dup HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 30\r\n\r\nhelloGET /smuggle/inner HTTP/1.1\r\nHost: x\r\n\r\n',
  duplicate_cl_same: 'POST /smuggle/dup_same HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello',
  cl_list: 'POST /smuggle/cl_list HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\nhello',
  cl_plus: 'POST /smuggle/cl_plus HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello',
  space_before_colon: 'POST /smuggle/space HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\nhello',
  obs_fold: 'GET /smuggle/fold HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n',
  obs_fold_te: 'POST /smuggle/fold_te HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n',
  bare_lf_head: 'GET /smuggle/lf HTTP/1.1\nHost: x\n\n',
  bare_lf_header: 'GET /smuggle/lf2 HTTP/1.1\r\nHost: x\nContent-Length: 5\r\n\r\nhello',
  bare_cr: 'GET /smuggle/cr HTTP/1.1\r\nHost: x\rX: y\r\n\r\n',
  chunk_size_not_hex: 'POST /smuggle/chunk_x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1x\r\na\r\n0\r\n\r\n',
  chunk_size_negative: 'POST /smuggle/chunk_neg HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\na\r\n0\r\n\r\n',
  chunk_size_0x: 'POST /smuggle/chunk_0x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n',
  chunk_size_space: 'POST /smuggle/chunk_sp HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n',
  chunk_size_trailing_space: 'POST /smuggle/chunk_sp2 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\nDELETE /smuggle/after HTTP/1.1\r\nHost: x\r\n\r\n',
  chunk_ext_raw_bytes: 'POST /smuggle/chunk_ext HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;x=\x80\r\nhello\r\n0\r\n\r\n',
  chunk_size_overflow: 'POST /smuggle/chunk_big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000005\r\nhello\r\n0\r\n\r\n',
  chunk_data_too_long: 'POST /smuggle/chunk_end HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n',
  te_not_chunked_last: 'POST /smuggle/te_list HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n',
  te_obfuscated: 'POST /smuggle/te_x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n',
  te_twice: 'POST /smuggle/te_twice HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n',
  http09: 'GET /smuggle/http09\r\n\r\n',
};

test('smuggling shapes: the app gets the exact bytes and decides; the shadow never gets the ambiguous request', { timeout: 60_000 }, async () => {
  // The app reads until the client's FIN (forwarded by the relay), then answers once and closes.
  const app = await startRawApp((s) => s.on('end', () => s.end(REPLY)));
  const shadow = await startRecordingShadow();
  const dup = await startSidecar({ upstreamPort: app.port, shadowUrls: [shadow.url] });
  try {
    const names = Object.keys(SHAPES);
    for (const name of names) {
      const sent = Buffer.from(`GET /ok/${name} HTTP/1.1\r\nHost: x\r\n\r\n${SHAPES[name]}`, 'latin1');
      const before = app.connections.length;
      // Several writes, as a client would, then a half-close.
      const parts = [sent.subarray(0, 17), sent.subarray(17, 60), sent.subarray(60)];
      const got = await rawExchange(dup.port, parts, { halfClose: true });
      assert.deepEqual(got, REPLY, `${name}: the client gets the app's own answer`);
      assert.equal(app.connections.length, before + 1);
      assert.deepEqual(Buffer.concat(app.connections[before]!), sent, `${name}: the app receives exactly the client's bytes`);
    }
    const { code, output } = await dup.stop();
    assert.equal(code, 0, output);
    const urls = shadow.received.map((r) => r.url).sort();
    assert.deepEqual(urls, names.map((n) => `/ok/${n}`).sort(), 'only the valid requests before each shape are mirrored');
    assert.ok(!urls.some((u) => u.includes('smuggle')));
    const tap = tapTotals(output);
    assert.equal(tap['dropped.desync'], names.length, `one desync per ambiguous request: ${JSON.stringify(tap)}`);
    assert.match(output, /at=tap-desync .*reason=cl_and_te/);
    const acc = shadowAccounting(output, shadow.url);
    assert.equal(acc.seen, names.length);
    assert.equal(acc.mirrored, names.length);
    assertAccounted(acc);
  } finally {
    dup.proc.kill();
    await shadow.close();
    await app.close();
  }
});
