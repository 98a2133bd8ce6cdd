import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Stats, TAP, PROCESS } from '../../src/telemetry/stats.js';
import { formatStatsLines } from '../../src/telemetry/reporter.js';
import { isStatsLine, parseStatsLine, sumStatsLines } from '../../src/telemetry/stats-line.js';

test('parseStatsLine reads back what formatStatsLines writes', () => {
  const stats = new Stats();
  const dest = 'http://127.0.0.1:9001/';
  for (let i = 0; i < 5; i++) stats.seen(dest);
  stats.mirrored(dest);
  stats.mirrored(dest);
  stats.dropped(dest, 'queue_full');
  stats.error(dest, 'timeout');
  stats.gauge(dest, 'queue_depth', () => 1);
  stats.gauge(PROCESS, 'memory.rss_mb', () => 120);
  stats.dropped(TAP, 'desync');
  const lines = formatStatsLines(stats, new Map()).map((l) => `source=traffic-duplicator ${l}`);
  const byDest = new Map(lines.map((l) => parseStatsLine(l)!).map((p) => [p.dest, p]));
  const shadow = byDest.get(dest)!;
  assert.deepEqual(Object.fromEntries(shadow.counts), { seen: 5, mirrored: 2, 'dropped.queue_full': 1, 'errors.timeout': 1 });
  assert.deepEqual(Object.fromEntries(shadow.samples), { queue_depth: 1 });
  assert.deepEqual(Object.fromEntries(byDest.get(PROCESS)!.samples), { 'memory.rss_mb': 120 });
  assert.equal(byDest.get(TAP)!.counts.get('dropped.desync'), 1);
});

test('sumStatsLines adds the per-interval deltas and keeps the last samples; other lines are skipped', () => {
  const lines = [
    'source=traffic-duplicator at=listening port=5000',
    'source=traffic-duplicator at=stats dest=tap count#seen=3 count#dropped.desync=1',
    'source=traffic-duplicator at=stats dest=http://s/ count#seen=2 count#mirrored=2 sample#queue_depth=4',
    'source=traffic-duplicator at=stats dest=http://s/ count#seen=1 count#mirrored=0 count#errors.timeout=1 sample#queue_depth=0',
    'source=traffic-duplicator at=stats-x dest=http://s/ count#seen=100',
  ];
  const totals = sumStatsLines(lines);
  assert.deepEqual([...totals.keys()], ['tap', 'http://s/']);
  const s = totals.get('http://s/')!;
  assert.deepEqual(Object.fromEntries(s.counts), { seen: 3, mirrored: 2, 'errors.timeout': 1 });
  assert.deepEqual(Object.fromEntries(s.samples), { queue_depth: 0 });
  assert.equal(s.lines, 2);
  assert.equal(isStatsLine(lines[0]!), false);
  assert.equal(parseStatsLine('at=stats count#seen=1'), undefined, 'no dest');
});
