import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryLogger } from '../../src/telemetry/logger.js';
import { Stats, TAP, PROCESS } from '../../src/telemetry/stats.js';
import { startStatsReporter } from '../../src/telemetry/reporter.js';
import { createDebugLog, NO_DEBUG } from '../../src/telemetry/debug-log.js';
import { FanOut } from '../../src/outputs/fan-out.js';
import { ACCEPTED, dropped, type Output } from '../../src/core/output.js';
import type { RequestMessage } from '../../src/core/message.js';

test('at exit the last interval (deltas) is followed by the cumulative totals', () => {
  const stats = new Stats();
  const log = createMemoryLogger();
  const reporter = startStatsReporter(stats, log, 3_600_000);
  stats.gauge(PROCESS, 'memory.rss_mb', () => 1);
  for (let i = 0; i < 3; i++) (stats.seen('http://s/'), stats.mirrored('http://s/'));
  stats.seen('http://s/');
  stats.dropped('http://s/', 'queue_full');
  stats.seen(TAP, 4);
  reporter.stop(true);
  const lines = log.lines;
  assert.ok(lines.some((l) => /at=stats dest=http:\/\/s\/ count#seen=4 count#mirrored=3 count#dropped.queue_full=1/.test(l)), lines.join('\n'));
  assert.ok(lines.includes('source=traffic-duplicator at=stats-total dest=http://s/ seen=4 mirrored=3 dropped.queue_full=1'), lines.join('\n'));
  assert.ok(lines.includes('source=traffic-duplicator at=stats-total dest=tap seen=4'), lines.join('\n'));
  assert.ok(!lines.some((l) => l.includes('at=stats-total dest=process')), 'the process has gauges, not totals');
});

test('the totals hold everything since start even when the last interval was empty', () => {
  const stats = new Stats();
  const log = createMemoryLogger();
  // Two reporters' worth of intervals: the first stop prints deltas, the totals keep counting.
  const first = startStatsReporter(stats, log, 3_600_000);
  stats.seen('d');
  stats.mirrored('d');
  first.stop(true);
  log.lines.length = 0;
  const reporter = startStatsReporter(stats, log, 3_600_000);
  reporter.stop(true);
  assert.ok(log.lines.includes('source=traffic-duplicator at=stats-total dest=d seen=1 mirrored=1'), log.lines.join('\n'));
});

const req = (target: string): RequestMessage => ({ type: 'request', id: target, method: 'GET', target }) as unknown as RequestMessage;

test('--verbose: one logfmt debug line per copy, at most N a second, then a count of what was held back', () => {
  let t = 0;
  const log = createMemoryLogger();
  const debug = createDebugLog(log, 1, { perSecond: 2, now: () => t });
  debug.copy({ dest: 'http://s/', method: 'GET', target: '/a b', status: 200, latencyMs: 3.14159 });
  debug.copy({ dest: 'http://s/', method: 'POST', target: '/b', drop: 'queue_full' });
  debug.copy({ dest: 'http://s/', method: 'GET', target: '/c', error: 'timeout' });
  debug.copy({ dest: 'http://s/', method: 'GET', target: '/d', error: 'timeout' });
  t = 1000;
  debug.copy({ dest: 'http://s/', method: 'GET', target: '/e', status: 503, latencyMs: 1 });
  assert.deepEqual(log.lines, [
    'source=traffic-duplicator at=copy level=debug dest=http://s/ method=GET target="/a b" status=200 latency_ms=3.1',
    'source=traffic-duplicator at=copy level=debug dest=http://s/ method=POST target=/b drop=queue_full',
    'source=traffic-duplicator at=copy level=debug dest=http://s/ method=GET target=/e status=503 latency_ms=1.0 suppressed_since_last=2',
  ]);
  assert.equal(createDebugLog(log, 0), NO_DEBUG, 'off by default');
});

test('the fan-out logs configured drops (sampling, rate limit) at info, others as warnings, and each in the debug log', () => {
  const log = createMemoryLogger();
  const stats = new Stats();
  const out = (name: string, reason: 'sampled_out' | 'rate_limited' | 'queue_full'): Output => ({
    name,
    wants: () => true,
    offer: () => dropped(reason),
    close: async () => {},
  });
  const ok: Output = { name: 'ok', wants: () => true, offer: () => ACCEPTED, close: async () => {} };
  const fanOut = new FanOut([out('a', 'sampled_out'), out('b', 'rate_limited'), out('c', 'queue_full'), ok], { stats, log, debug: createDebugLog(log, 1) });
  fanOut.offer(req('/x'));
  const drops = log.lines.filter((l) => l.includes('at=mirror-drop'));
  assert.equal(drops.length, 3);
  assert.ok(!drops.find((l) => l.includes('reason=sampled_out'))!.includes('level='), 'sampled_out is info');
  assert.ok(!drops.find((l) => l.includes('reason=rate_limited'))!.includes('level='), 'rate_limited is info');
  assert.match(drops.find((l) => l.includes('reason=queue_full'))!, /level=warn/);
  const copies = log.lines.filter((l) => l.includes('at=copy'));
  assert.deepEqual(
    copies.map((l) => /dest=(\S+).*drop=(\S+)/.exec(l)!.slice(1).join(' ')),
    ['a sampled_out', 'b rate_limited', 'c queue_full'],
  );
  assert.ok(copies.every((l) => l.includes('method=GET target=/x')));
  assert.equal(stats.entry('a').dropped.sampled_out, 1);
});
