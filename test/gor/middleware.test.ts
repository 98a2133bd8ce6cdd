import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { getHeader, type Message, type RequestMessage, type ResponseMessage } from '../../src/core/message.js';
import { UsageError } from '../../src/core/errors.js';
import { splitCommandLine } from '../../src/gor/command-line.js';
import { createMiddleware } from '../../src/gor/middleware.js';
import { Stats } from '../../src/telemetry/stats.js';
import { memoryLog } from './helpers.js';
import { eventually } from '../helpers/net.js';
import { flagDefaults, middlewareOpts } from '../outputs/helpers.js';
import { planMirror } from '../../src/engine/mirror-engine.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/middleware/${name}`, import.meta.url));
const cmd = (name: string) => `'${process.execPath}' '${fixture(name)}'`;

const req = (id: string, target: string, body = ''): RequestMessage => ({
  type: 'request',
  id,
  startNs: 1_700_000_000_000_000_000n,
  method: body ? 'POST' : 'GET',
  target,
  version: 'HTTP/1.1',
  headers: body ? [{ name: 'Host', value: 'app' }, { name: 'Content-Length', value: String(body.length) }] : [{ name: 'Host', value: 'app' }],
  body: Buffer.from(body),
});
const resp = (id: string, type: ResponseMessage['type'] = 'response'): ResponseMessage => ({
  type,
  id,
  startNs: 1_700_000_000_000_000_000n,
  latencyNs: 777n,
  version: 'HTTP/1.1',
  status: 201,
  reason: 'Created',
  headers: [{ name: 'Content-Length', value: '0' }],
  body: Buffer.alloc(0),
});

test('command lines are split without a shell, quotes respected', () => {
  assert.deepEqual(splitCommandLine(`node  './my dir/mw.js' --flag="a b" x\\ y "q\\"uote"`), ['node', './my dir/mw.js', '--flag=a b', 'x y', 'q"uote']);
  assert.deepEqual(splitCommandLine('ruby mw.rb'), ['ruby', 'mw.rb']);
  assert.throws(() => splitCommandLine(`node 'oops`), (e: unknown) => e instanceof UsageError && /unterminated single quote/.test(e.message));
  assert.throws(() => splitCommandLine('   '), (e: unknown) => e instanceof UsageError && /empty command/.test(e.message));
  // …and checked in the plan, before anything is spawned or bound (a UsageError, exit 2).
  assert.throws(() => planMirror({ ...flagDefaults(), middleware: `node 'oops` }), (e: unknown) => e instanceof UsageError && /unterminated single quote/.test(e.message));
});

test('a goreplay_middleware script modifies requests, drops /skip ones (counted), passes responses; stderr is forwarded', async () => {
  const stats = new Stats();
  const log = memoryLog();
  const got: Message[] = [];
  const mw = createMiddleware(middlewareOpts(cmd('add-header-skip.js'), { pendingTimeoutMs: 3000 }), { stats, log, onMessage: (m) => got.push(m) });
  try {
    assert.deepEqual(mw.offer(req('aaa1', '/a')), { accepted: true });
    assert.deepEqual(mw.offer(req('aaa2', '/skip/me')), { accepted: true });
    assert.deepEqual(mw.offer(req('aaa3', '/b?x=1', 'hello')), { accepted: true });
    assert.deepEqual(mw.offer(resp('aaa1')), { accepted: true });
    await eventually(() => got.length === 3, 10_000, 'three echoed messages');
    const reqs = got.filter((m): m is RequestMessage => m.type === 'request');
    assert.deepEqual(reqs.map((r) => [r.id, r.target, getHeader(r.headers, 'X-Middleware')]), [
      ['aaa1', '/a', 'seen'],
      ['aaa3', '/b?x=1', 'seen'],
    ]);
    assert.equal(reqs[1]!.body.toString(), 'hello');
    const r = got.find((m): m is ResponseMessage => m.type === 'response')!;
    assert.deepEqual([r.id, r.status, r.latencyNs], ['aaa1', 201, 777n]);
    await eventually(() => stats.entry('middleware').dropped.middleware_dropped === 1, 10_000, 'the /skip request to age out: ' + JSON.stringify(stats.entry('middleware')));
    assert.ok(log.lines.some((l) => l.includes('at=middleware-stderr') && l.includes('saw GET /skip/me')), log.lines.join('\n'));
    // Replayed responses go to the middleware only when asked for (the engine routes them elsewhere otherwise).
    assert.equal(mw.wants(resp('aaa1', 'replayed-response')), false);
  } finally {
    await mw.close(1000);
  }
  assert.equal(stats.entry('middleware').mirrored, 3);
});

test('a middleware that exits at once: exit logged with its code, restarted with backoff, offers never block and are counted', async () => {
  const stats = new Stats();
  const log = memoryLog();
  const mw = createMiddleware(middlewareOpts(cmd('exit-immediately.js'), { restartDelayMs: 20, maxRestartDelayMs: 40 }), { stats, log, onMessage: () => assert.fail('nothing comes back') });
  try {
    let offered = 0;
    let refused = 0;
    while (log.lines.filter((l) => l.includes('at=middleware-exit')).length < 3) {
      const r = mw.offer(req(`e${offered}`, '/x'));
      offered++;
      if (!r.accepted) {
        assert.equal(r.reason, 'middleware_unavailable');
        refused++;
      }
      await new Promise((res) => setTimeout(res, 5));
      assert.ok(offered < 5000, 'the middleware should have exited three times by now');
    }
    assert.ok(refused > 0, 'offers while it is down are refused at once');
    // Refusals are returned (the fan-out counts them); what was accepted is lost with the child, counted here.
    await eventually(() => stats.totalDropped('middleware') === offered - refused, 10_000, 'every accepted copy to be accounted for');
    assert.equal(stats.entry('middleware').dropped.middleware_unavailable, offered - refused);
    assert.equal(stats.entry('middleware').seen, offered);
    assert.ok(stats.readGauges('middleware').restarts! >= 2, 'restarts are a gauge, not copy errors');
    const exit = log.lines.find((l) => l.includes('at=middleware-exit'))!;
    assert.match(exit, /level=error .*code=3/);
    assert.match(exit, /restart_in_ms=20/);
    assert.ok(log.lines.some((l) => /restart_in_ms=40 /.test(l)), 'backoff doubles up to its max');
    assert.ok(log.lines.some((l) => l.includes('at=middleware-stderr') && l.includes('cannot start')));
  } finally {
    await mw.close(500);
  }
});

test('a middleware that never reads stdin: the bounded queue fills and offers are dropped at once', async () => {
  const stats = new Stats();
  const log = memoryLog();
  const mw = createMiddleware(middlewareOpts(cmd('never-reads.js'), { queue: { maxItems: 10, maxBytes: 32 * 1024 * 1024 } }), { stats, log, onMessage: () => {} });
  const body = 'p'.repeat(4096);
  let accepted = 0;
  try {
    for (let i = 0; i < 500; i++) {
      const r = mw.offer(req(`h${i}`, '/hang', body));
      if (r.accepted) accepted++;
      else assert.equal(r.reason, 'queue_full');
      // Let the pump fill the pipe between offers, as the event loop would.
      if (i % 10 === 9) await new Promise((res) => setImmediate(res));
    }
    assert.ok(accepted < 500, 'some offers must be refused');
  } finally {
    await mw.close(200);
  }
  // What it swallowed and never echoed is counted too (refusals are the caller's); the forced stop is logged.
  assert.equal(stats.totalDropped('middleware'), accepted);
  assert.equal(stats.entry('middleware').seen, 500);
  assert.ok(log.lines.some((l) => l.includes('at=middleware-exit') && l.includes('signal=SIGTERM')), log.lines.join('\n'));
});

test('output lines that are not hex or not gor records are counted and logged, not fatal', async () => {
  const stats = new Stats();
  const log = memoryLog();
  const got: Message[] = [];
  const mw = createMiddleware(middlewareOpts(cmd('garbage.js')), { stats, log, onMessage: (m) => got.push(m) });
  try {
    mw.offer(req('g1', '/fine'));
    await eventually(() => got.length === 1, 10_000, 'the echoed request');
    assert.equal((got[0] as RequestMessage).target, '/fine');
    // Lines that are no copy of ours are not copies: a gauge, outside seen = mirrored + dropped + errors.
    assert.equal(stats.readGauges('middleware').bad_lines, 3);
    assert.ok(log.lines.some((l) => l.includes('at=middleware-bad-output') && l.includes('error="not hex"')));
  } finally {
    await mw.close(500);
  }
});
