// Units of the admin surface that need no process: the flags and the token rule, the request
// sniffer the relay uses for --admin-path (any split of the stream gives the same decisions
// and the same forwarded bytes), the per-destination gate, and the token check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInvocation, type Config } from '../../src/config/index.js';
import { UsageError } from '../../src/core/errors.js';
import { run } from '../../src/cli/run.js';
import { RequestSniffer, type LocalRequest } from '../../src/relay/request-sniffer.js';
import { ResponseTracker } from '../../src/relay/response-tracker.js';
import { DestinationGate } from '../../src/engine/destination-gate.js';
import { createNullOutput } from '../../src/outputs/null-output.js';
import { OUTPUT_INTERNALS } from '../../src/config/flags.js';
import { createMemoryLogger } from '../../src/telemetry/logger.js';
import { Stats } from '../../src/telemetry/stats.js';
import { newMessageId, nowNs, type RequestMessage } from '../../src/core/message.js';
import { authenticate, cookieValue, tokenMatches } from '../../src/admin/auth.js';
import { isUnderPrefix } from '../../src/admin/router.js';
import { compareRows, MAX_ENDPOINT_SERIES } from '../../src/admin/metrics.js';
import type { CompareCount, Comparison } from '../../src/compare/index.js';

const TOKEN = 'abcdefghijklmnop-0123';
const noFiles = { cwd: '/app', readFile: () => undefined };
const cfg = (argv: string[], env: NodeJS.ProcessEnv = {}): Config => {
  const inv = parseInvocation(argv, { PORT: '5000', ...env }, noFiles);
  assert.equal(inv.kind, 'run');
  return (inv as { config: Config }).config;
};

test('--admin-path needs TRAFFIC_DUPLICATOR_ADMIN_TOKEN: exit 2 naming the flag and the variable, before anything starts', async () => {
  let err = '';
  const status = await run('traffic-duplicator', ['--admin-path', '/__td', '--', 'true'], { env: { PORT: '5000' }, stderr: (t) => (err += t) });
  assert.equal(status, 2);
  assert.match(err, /--admin-path \/__td .*needs TRAFFIC_DUPLICATOR_ADMIN_TOKEN/);
  assert.match(err, /hint: .*TRAFFIC_DUPLICATOR_ADMIN_TOKEN=/);
});

test('admin flags: values, the token from the environment, bad paths and short tokens refused', () => {
  const c = cfg(['--admin-listen', '127.0.0.1:9090', '--admin-path', '/__td/', '--', 'app'], { TRAFFIC_DUPLICATOR_ADMIN_TOKEN: TOKEN });
  assert.deepEqual(c.adminListen, { host: '127.0.0.1', port: 9090 });
  assert.equal(c.adminPath, '/__td');
  assert.equal(c.adminToken, TOKEN);
  assert.equal(cfg(['--admin-listen', ':9090', '--', 'app']).adminToken, undefined);
  for (const bad of ['/', 'admin', '/a b', '/a?x=1', '/a//b']) {
    assert.throws(() => cfg(['--admin-path', bad, '--', 'app'], { TRAFFIC_DUPLICATOR_ADMIN_TOKEN: TOKEN }), (e: unknown) => e instanceof UsageError && /--admin-path/.test(e.message), bad);
  }
  assert.throws(() => cfg(['--admin-listen', ':9090', '--', 'app'], { TRAFFIC_DUPLICATOR_ADMIN_TOKEN: 'short' }), /at least 16/);
});

test('isUnderPrefix: the path itself, below it, with a query; not a longer sibling', () => {
  for (const t of ['/__td', '/__td/', '/__td/api/report', '/__td?token=x', 'http://h/__td/metrics']) assert.ok(isUnderPrefix(t, '/__td'), t);
  for (const t of ['/__tdx', '/', '/x/__td', '/__T D']) assert.ok(!isUnderPrefix(t, '/__td'), t);
});

test('tokens: constant-time match on digests; bearer, query and cookie sources', () => {
  assert.ok(tokenMatches(TOKEN, TOKEN));
  assert.ok(!tokenMatches(TOKEN.slice(0, -1), TOKEN));
  assert.ok(!tokenMatches('', TOKEN));
  assert.ok(!tokenMatches(undefined, TOKEN));
  assert.deepEqual(authenticate({ bearer: 'x', query: undefined, cookie: TOKEN }, TOKEN), { ok: true, via: 'cookie' });
  assert.deepEqual(authenticate({ bearer: 'x', query: 'y', cookie: 'z' }, TOKEN), { ok: false });
  assert.equal(cookieValue('a=1; td_admin=abc%20d; b=2', 'td_admin'), 'abc d');
});

/** Feeds `stream` to a sniffer in pieces of `size` bytes; local requests are answered at once. */
function sniff(stream: Buffer, size: number): { forwarded: Buffer; methods: string[]; local: LocalRequest[] } {
  const out: Buffer[] = [];
  const methods: string[] = [];
  const local: LocalRequest[] = [];
  const sniffer: RequestSniffer = new RequestSniffer((t) => isUnderPrefix(t, '/__td'), {
    forward: (b) => out.push(Buffer.from(b)),
    forwarded: (m) => methods.push(m),
    local: (r) => {
      local.push(r);
      queueMicrotask(() => sniffer.resume());
    },
    unframeable: () => assert.fail('unframeable'),
  }, 1024);
  // Resume synchronously between pieces, as the relay would once the answer is written.
  for (let i = 0; i < stream.length; i += size) {
    sniffer.feed(stream.subarray(i, i + size));
    while (sniffer.holding) sniffer.resume();
  }
  return { forwarded: Buffer.concat(out), methods, local };
}

test('the sniffer: any split gives the same local requests and forwards exactly the other bytes', () => {
  const a = 'GET /a HTTP/1.1\r\nHost: x\r\nX-Odd:   spaced  \r\n\r\n';
  const admin = 'POST /__td/api/control HTTP/1.1\r\nHost: x\r\nContent-Length: 13\r\n\r\naction=pause&';
  const b = 'POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nTrailer: t\r\n\r\n';
  const admin2 = 'GET /__td HTTP/1.0\r\n\r\n';
  const c = '\r\nGET /c?__td HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi';
  const stream = Buffer.from(a + admin + b + admin2 + c);
  const expected = Buffer.from(a + b + c);
  for (const size of [1, 2, 3, 7, 64, stream.length]) {
    const r = sniff(stream, size);
    assert.equal(r.forwarded.toString('latin1'), expected.toString('latin1'), `split ${size}`);
    assert.deepEqual(r.methods, ['GET', 'POST', 'GET'], `split ${size}`);
    assert.deepEqual(r.local.map((l) => [l.head.method, l.head.target, l.body.toString()]), [['POST', '/__td/api/control', 'action=pause&'], ['GET', '/__td', '']], `split ${size}`);
  }
});

test('the sniffer gives up on what it cannot frame and passes everything through (the app decides)', () => {
  for (const stream of ['GARBAGE\r\n\r\nGET /__td HTTP/1.1\r\n\r\n', 'GET /x HTTP/1.1\nHost: bare-lf\n\nGET /__td HTTP/1.1\r\n\r\n', 'GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\nGET /__td HTTP/1.1\r\n\r\n']) {
    const r = sniff(Buffer.from(stream), 5);
    assert.equal(r.forwarded.toString('latin1'), stream);
    assert.equal(r.local.length, 0);
  }
});

test('the response tracker counts final answers: HEAD, 1xx, 204, chunked; a tunnel makes it give up', () => {
  const t = new ResponseTracker();
  for (const m of ['HEAD', 'GET', 'GET', 'POST']) t.expect(m);
  const answers = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n' + 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n' + 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n';
  const bytes = Buffer.from(answers);
  for (let i = 0; i < bytes.length; i += 3) t.feed(bytes.subarray(i, i + 3));
  assert.equal(t.outstanding, 1);
  t.feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
  assert.equal(t.outstanding, 0);
  t.expect('GET');
  t.feed(Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n'));
  assert.ok(t.lost);
});

test('the gate: paused drops count as seen + dropped; sampling is an exact running fraction; responses follow their request', async () => {
  const stats = new Stats();
  const gate = new DestinationGate(createNullOutput(OUTPUT_INTERNALS.nullQueue, { stats, log: createMemoryLogger() }), { stats });
  const req = (): RequestMessage => ({ type: 'request', id: newMessageId(), startNs: nowNs(), method: 'GET', target: '/', version: 'HTTP/1.1', headers: [], body: Buffer.alloc(0) });
  gate.pause();
  assert.deepEqual(gate.offer(req()), { accepted: false, reason: 'paused' });
  gate.resume();
  gate.setSamplePercent(25);
  const results = Array.from({ length: 8 }, () => gate.offer(req()).accepted);
  assert.equal(results.filter(Boolean).length, 2);
  assert.equal(stats.entry('null').seen, 9);
  await gate.close(1000); // outputs deliver out of offer()'s call: closing flushes
  assert.equal(stats.entry('null').mirrored, 2);
  assert.throws(() => gate.setSamplePercent(101), RangeError);
});

test('/metrics compare rows: an endpoint keeps its own series once given one, so no counter moves into OTHER and goes down', () => {
  let counts: CompareCount[] = [];
  const comparison = { enabled: true, counts: () => counts, report: () => { throw new Error('not used'); }, reset: () => {} } as unknown as Comparison;
  const own = new Map<string, Set<string>>();
  const row = (route: string, compared: number): CompareCount => ({ destination: 'http://c/', role: 'candidate', method: 'GET', route, compared, different: 0 });
  counts = Array.from({ length: MAX_ENDPOINT_SERIES + 1 }, (_, i) => row(`/r${i}`, 100 - i));
  const first = compareRows(comparison, own);
  assert.equal(first.find((r) => r.route === 'OTHER')?.compared, 100 - MAX_ENDPOINT_SERIES, 'the least busy is pooled');
  // The pooled endpoint becomes the busiest: it stays pooled, and OTHER only grows.
  counts = counts.map((c, i) => (i === MAX_ENDPOINT_SERIES ? { ...c, compared: 1000 } : c));
  const second = compareRows(comparison, own);
  assert.equal(second.find((r) => r.route === 'OTHER')?.compared, 1000);
  assert.equal(second.filter((r) => r.route !== 'OTHER').length, MAX_ENDPOINT_SERIES);
  assert.equal(second.find((r) => r.route === '/r0')?.compared, 100, 'the first ones keep their series');
});
