import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Header, RequestMessage, ResponseMessage } from '../../src/core/message.js';
import { createHttpOutput } from '../../src/outputs/http-output.js';
import { FanOut } from '../../src/outputs/fan-out.js';
import { accounting, blackHole, closeHttp, deps, rawServer, recordingServer, refusedPort, request, sha256, until, httpOpts as opts } from './helpers.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';


/** The fields undici writes itself; everything else must arrive as captured. */
const framing = new Set(['host', 'connection', 'content-length']);
function pairs(raw: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < raw.length; i += 2) if (!framing.has(raw[i]!.toLowerCase())) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}
const hostOf = (raw: readonly string[]) => raw[raw.findIndex((v, i) => i % 2 === 0 && v.toLowerCase() === 'host') + 1];

test('a healthy shadow receives exact method, target, headers and body for a batch (incl. 1 MB)', async () => {
  const shadow = await recordingServer();
  const d = deps();
  const out = createHttpOutput(opts(shadow.url), d);
  try {
    const big = randomBytes(1024 * 1024);
    const hdr = (seq: number, extra: Header[] = []): Header[] => [
      { name: 'Host', value: 'app.example.com' },
      { name: 'X-Seq', value: String(seq) },
      { name: 'Connection', value: 'close' },
      ...extra,
    ];
    const msgs: RequestMessage[] = [
      request('/plain', { headers: hdr(0) }),
      request('/a?b=1&c', { headers: hdr(1) }),
      request('/upload?x=%20y', { method: 'POST', body: big, headers: hdr(2, [{ name: 'Content-Type', value: 'application/octet-stream' }, { name: 'Transfer-Encoding', value: 'chunked' }]) }),
      request('/items/7', { method: 'PUT', body: Buffer.from('{"a":1}'), headers: hdr(3, [{ name: 'cookie', value: 'a=1' }, { name: 'Cookie', value: 'b=2' }, { name: 'x-MiXeD', value: 'Case' }, { name: 'Expect', value: '100-continue' }]) }),
      request('/x', { method: 'DELETE', headers: hdr(4) }),
      request('/q?', { method: 'OPTIONS', headers: hdr(5) }),
      request('/cache/x', { method: 'PURGE', headers: hdr(6) }),
      request('//double//slash/./x/../y?&&', { method: 'PATCH', body: Buffer.from('p'), headers: hdr(7) }),
    ];
    for (let i = 8; i < 40; i++) msgs.push(request(`/batch/${i}?i=${i}`, { method: 'POST', body: randomBytes(i * 100), headers: hdr(i) }));
    for (const m of msgs) assert.deepEqual(out.offer(m), { accepted: true });
    await out.close(30_000);

    assert.equal(shadow.got.length, msgs.length);
    for (const got of shadow.got) {
      const seq = Number(got.rawHeaders[got.rawHeaders.indexOf('X-Seq') + 1]);
      const m = msgs[seq]!;
      assert.equal(got.method, m.method);
      assert.equal(got.url, m.target, 'the target arrives exactly, no normalisation, no stray "?"');
      assert.equal(got.bodyLength, m.body.length);
      assert.equal(got.bodySha, sha256(m.body));
      const expected = m.headers
        .filter((h) => !['host', 'connection', 'transfer-encoding', 'expect'].includes(h.name.toLowerCase()))
        .map((h): [string, string] => [h.name, h.value]);
      assert.deepEqual(pairs(got.rawHeaders), expected);
      assert.equal(hostOf(got.rawHeaders), `127.0.0.1:${shadow.port}`, 'Host := the destination by default');
    }
    assert.ok(shadow.got.some((g) => g.url === '/a?b=1&c') && shadow.got.some((g) => g.url === '/plain'));
    assert.equal(d.stats.entry(out.name).mirrored, msgs.length);
    assert.equal(out.statusClasses['2xx'], msgs.length);
    assert.ok(accounting(d.stats, out.name).balanced);
  } finally {
    await out.close(0);
    await shadow.close();
  }
});

test('Host is preserved when asked; a URL path prefix is prepended', async () => {
  const shadow = await recordingServer();
  const d = deps();
  const kept = createHttpOutput(opts(shadow.url + '/mirror/', { preserveHost: true, name: 'kept' }), d);
  const rewritten = createHttpOutput(opts(shadow.url, { name: 'rewritten' }), d);
  try {
    kept.offer(request('/a?b=1&c', { headers: [{ name: 'X-Who', value: 'kept' }, { name: 'host', value: 'www.example.com' }] }));
    rewritten.offer(request('/a', { headers: [{ name: 'X-Who', value: 'rewritten' }, { name: 'Host', value: 'www.example.com' }] }));
    await Promise.all([kept.close(10_000), rewritten.close(10_000)]);
    const by = (who: string) => shadow.got.find((g) => g.rawHeaders.includes(who))!;
    assert.equal(hostOf(by('kept').rawHeaders), 'www.example.com');
    assert.equal(by('kept').url, '/mirror/a?b=1&c');
    assert.equal(hostOf(by('rewritten').rawHeaders), `127.0.0.1:${shadow.port}`);
  } finally {
    await shadow.close();
  }
});

test('per-second limit: 100 offers at once with |10 let about 10 through', async () => {
  const shadow = await recordingServer();
  const d = deps();
  const out = createHttpOutput(opts(shadow.url, { limit: { kind: 'per-second', n: 10 } }), d);
  const fan = new FanOut([out], d);
  try {
    for (let i = 0; i < 100; i++) fan.offer(request(`/r/${i}`));
    await fan.close(10_000);
    const e = d.stats.entry(out.name);
    assert.ok(e.mirrored >= 10 && e.mirrored <= 15, `mirrored ${e.mirrored}`);
    assert.equal(e.dropped.rate_limited, 100 - e.mirrored);
    assert.equal(shadow.got.length, e.mirrored);
    assert.ok(accounting(d.stats, out.name).balanced);
  } finally {
    await shadow.close();
  }
});

test('percent limit: |50% lets roughly half through', async () => {
  const shadow = await recordingServer();
  const d = deps();
  const out = createHttpOutput(opts(shadow.url, { limit: { kind: 'percent', n: 50 } }), d);
  const fan = new FanOut([out], d);
  try {
    for (let i = 0; i < 400; i++) fan.offer(request(`/p/${i}`));
    await fan.close(20_000);
    const e = d.stats.entry(out.name);
    assert.ok(e.mirrored > 120 && e.mirrored < 280, `mirrored ${e.mirrored}`); // ~10 sigma either side
    assert.equal(e.dropped.sampled_out, 400 - e.mirrored);
    assert.ok(accounting(d.stats, out.name).balanced);
  } finally {
    await shadow.close();
  }
});

test('a black-holed shadow fills only its own queue; a healthy output on the same fan-out gets everything', async () => {
  const hole = await blackHole();
  const shadow = await recordingServer();
  const d = deps();
  const stuck = createHttpOutput(opts(hole.url, { queueLen: 20, workers: 2, timeoutMs: 60_000 }), d);
  const healthy = createHttpOutput(opts(shadow.url), d);
  const fan = new FanOut([stuck, healthy], d);
  try {
    for (let i = 0; i < 200; i++) fan.offer(request(`/f/${i}`, { headers: [{ name: 'X-I', value: String(i) }] }));
    await until(() => shadow.got.length === 200, 20_000, 'healthy shadow to receive all');
    await until(() => stuck.inFlight === 2, 10_000, 'black hole workers busy');
    // The 200 offers ran in one synchronous burst, before any worker took a copy: 20 were
    // queued, the 180 newest dropped; then the 2 workers took 2 from the queue.
    const e = d.stats.entry(stuck.name);
    assert.equal(e.dropped.queue_full, 180);
    assert.equal(stuck.queueDepth, 18);
    assert.deepEqual(d.stats.readGauges(stuck.name), { queue_depth: 18, in_flight: 2 });
    assert.ok(d.log.lines.some((l) => /at=mirror-drop .*reason=queue_full/.test(l)));
    assert.ok(d.log.lines.filter((l) => l.includes('reason=queue_full')).length < 5, 'drop logs are rate-limited');

    const started = Date.now();
    await fan.close(300);
    assert.ok(Date.now() - started < 5_000, 'close is bounded by the grace period even for a black hole');
    assert.equal(e.dropped.shutdown, 20);
    for (const name of [stuck.name, healthy.name]) assert.ok(accounting(d.stats, name).balanced, JSON.stringify(accounting(d.stats, name)));
    assert.equal(d.stats.entry(healthy.name).mirrored, 200);
    assert.deepEqual(fan.outputs.map((o) => o.offer(request('/late'))), [
      { accepted: false, reason: 'shutdown' },
      { accepted: false, reason: 'shutdown' },
    ]);
  } finally {
    await hole.close();
    await shadow.close();
  }
});

test('the byte bound drops as memory_budget', async () => {
  const hole = await blackHole();
  const d = deps();
  const out = createHttpOutput(opts(hole.url, { workers: 1, maxQueueBytes: 300_000, timeoutMs: 60_000 }), d);
  const fan = new FanOut([out], d);
  try {
    for (let i = 0; i < 10; i++) fan.offer(request('/big', { method: 'POST', body: Buffer.alloc(100_000) }));
    await fan.close(100);
    const e = d.stats.entry(out.name);
    assert.ok((e.dropped.memory_budget ?? 0) >= 6, JSON.stringify(e.dropped));
    assert.ok(accounting(d.stats, out.name).balanced);
  } finally {
    await hole.close();
  }
});

test('nothing listening: every copy is an error of kind connect_refused', async () => {
  const port = await refusedPort();
  const d = deps();
  const out = createHttpOutput(opts(`http://127.0.0.1:${port}`), d);
  for (let i = 0; i < 25; i++) out.offer(request(`/r/${i}`));
  await out.close(20_000);
  const e = d.stats.entry(out.name);
  assert.deepEqual(e.errors, { connect_refused: 25 });
  assert.ok(accounting(d.stats, out.name).balanced);
  assert.ok(d.log.lines.some((l) => /at=mirror-error .*kind=connect_refused/.test(l)));
  assert.ok(d.log.lines.filter((l) => l.includes('at=mirror-error')).length < 5, 'error logs are rate-limited');
});

test('a slow shadow times out, which frees the workers for the next copies', async () => {
  const timers = new Set<NodeJS.Timeout>();
  const slow = createServer((req, res) => {
    req.resume();
    timers.add(setTimeout(() => res.end('late'), 5_000));
  });
  await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
  const d = deps();
  const out = createHttpOutput(opts(`http://127.0.0.1:${(slow.address() as AddressInfo).port}`, { workers: 2, timeoutMs: 200 }), d);
  try {
    for (let i = 0; i < 6; i++) out.offer(request(`/slow/${i}`));
    await out.close(20_000); // 3 rounds of 2 workers, each freed by the timeout
    assert.deepEqual(d.stats.entry(out.name).errors, { timeout: 6 });
    assert.ok(accounting(d.stats, out.name).balanced);
  } finally {
    for (const t of timers) clearTimeout(t);
    await closeHttp(slow);
  }
});

test('a resetting shadow counts reset errors; after 5 in a row the rest still queued are dropped destination_down', async () => {
  const rst = await rawServer((s) => s.once('data', () => s.resetAndDestroy()));
  const d = deps();
  const out = createHttpOutput(opts(rst.url, { workers: 3 }), d);
  try {
    for (let i = 0; i < 9; i++) out.offer(request(`/rst/${i}`));
    await out.close(20_000);
    const e = d.stats.entry(out.name);
    assert.ok((e.errors.reset ?? 0) >= 5, JSON.stringify(e.errors));
    assert.deepEqual(Object.keys(e.errors), ['reset']);
    assert.equal((e.errors.reset ?? 0) + (e.dropped.destination_down ?? 0), 9, JSON.stringify(e));
    assert.ok(accounting(d.stats, out.name).balanced);
  } finally {
    await rst.close();
  }
});

test('a 5xx from the shadow is a delivered mirror, counted by status class; track-response gets type 3', async () => {
  const shadow = await recordingServer(503, 'down for maintenance');
  const d = deps();
  const seen: [ResponseMessage, RequestMessage][] = [];
  const out = createHttpOutput(opts(shadow.url, { onResponse: (resp, req) => seen.push([resp, req]), responseBufferBytes: 4 }), d);
  const m = request('/status');
  out.offer(m);
  out.offer(request('/status2'));
  try {
    await out.close(10_000);
    const e = d.stats.entry(out.name);
    assert.equal(e.mirrored, 2);
    assert.deepEqual(e.errors, {});
    assert.equal(out.statusClasses['5xx'], 2);
    const [resp, req] = seen.find(([, r]) => r === m)!;
    assert.equal(resp.type, 'replayed-response');
    assert.equal(resp.id, req.id);
    assert.equal(resp.status, 503);
    assert.equal(resp.reason, 'Service Unavailable');
    assert.equal(resp.body.toString(), 'down', 'body capped at responseBufferBytes');
    assert.ok(resp.headers.some((h) => h.name.toLowerCase() === 'x-shadow' && h.value === 'yes'));
  } finally {
    await shadow.close();
  }
});

test('only requests are wanted; constructor rejects bad options with a usage error', () => {
  const d = deps();
  const out = createHttpOutput(opts('http://127.0.0.1:9'), d);
  assert.equal(out.wants(request('/')), true);
  const resp: ResponseMessage = { type: 'response', id: 'x', startNs: 0n, latencyNs: 0n, version: 'HTTP/1.1', status: 200, reason: 'OK', headers: [], body: Buffer.alloc(0) };
  assert.equal(out.wants(resp), false);
  void out.close(0);
  assert.throws(() => createHttpOutput(opts('not a url'), d), { name: 'UsageError', code: 'TD_BAD_VALUE' });
  assert.throws(() => createHttpOutput(opts('http://h', { workers: 0 }), d), RangeError);
});

test('sustained traffic to a black hole: timeouts free the workers, the queue never passes its bound, all accounted', async () => {
  const hole = await blackHole();
  const d = deps();
  const out = createHttpOutput(opts(hole.url, { workers: 2, queueLen: 5, timeoutMs: 100 }), d);
  const fan = new FanOut([out], d);
  try {
    let maxDepth = 0;
    for (let tick = 0; tick < 30; tick++) {
      for (let i = 0; i < 10; i++) fan.offer(request(`/t/${tick}/${i}`, { method: 'POST', body: Buffer.alloc(1000) }));
      maxDepth = Math.max(maxDepth, out.queueDepth);
      assert.ok(out.inFlight <= 2);
      await new Promise((r) => setTimeout(r, 20));
    }
    await until(() => (d.stats.entry(out.name).errors.timeout ?? 0) >= 4, 20_000, 'several timeouts');
    await fan.close(200);
    const e = d.stats.entry(out.name);
    assert.ok(maxDepth <= 5, `max depth ${maxDepth}`);
    assert.ok((e.dropped.queue_full ?? 0) > 0);
    assert.equal(e.mirrored, 0);
    assert.deepEqual(Object.keys(e.errors), ['timeout']);
    const acc = accounting(d.stats, out.name);
    assert.equal(acc.seen, 300);
    assert.ok(acc.balanced, JSON.stringify(acc));
    assert.ok(hole.accepted() <= e.errors.timeout! + 2 + 2, 'one connection per timed-out request at most (aborts destroy the socket)');
  } finally {
    await hole.close();
  }
});

test('an endless response is cut after the drain limit: delivered, and the worker is freed', async () => {
  const streams = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    const t = setInterval(() => res.write(Buffer.alloc(64 * 1024, 0x61)), 2);
    streams.add(t);
    res.on('close', () => {
      clearInterval(t);
      streams.delete(t);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const d = deps();
  const out = createHttpOutput(opts(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { workers: 1, timeoutMs: 60_000 }), d);
  try {
    for (let i = 0; i < 3; i++) out.offer(request(`/events/${i}`));
    await until(() => d.stats.entry(out.name).mirrored === 3, 30_000, 'three streams cut and counted');
    await out.close(1_000);
    assert.deepEqual(d.stats.entry(out.name).errors, {});
    assert.ok(accounting(d.stats, out.name).balanced);
  } finally {
    for (const t of streams) clearInterval(t);
    await closeHttp(server);
  }
});
