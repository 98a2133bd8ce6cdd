import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Stats, TAP, PROCESS, CPU_PERCENT, EVENT_LOOP_BUSY_PERCENT } from '../../src/telemetry/stats.js';
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

test('a destination with a space (a file path) is quoted, so the line stays one logfmt record, and reads back', () => {
  const stats = new Stats();
  const dest = '/app/my captures/%Y.gor';
  stats.seen(dest);
  stats.mirrored(dest);
  const [line] = formatStatsLines(stats, new Map());
  assert.equal(line, 'at=stats dest="/app/my captures/%Y.gor" count#seen=1 count#mirrored=1');
  const parsed = parseStatsLine(`source=traffic-duplicator ${line}`)!;
  assert.equal(parsed.dest, dest);
  assert.deepEqual(Object.fromEntries(parsed.counts), { seen: 1, mirrored: 1 });
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

test('the process line gives CPU and event-loop busy time as a share of the wall time since the previous line', () => {
  const stats = new Stats();
  let cpuMs = 0;
  let loopMs = 0;
  stats.gauge(PROCESS, 'memory.rss_mb', () => 50);
  stats.busy(PROCESS, CPU_PERCENT, () => cpuMs);
  stats.busy(PROCESS, EVENT_LOOP_BUSY_PERCENT, () => loopMs);
  const previous = new Map<string, Map<string, number>>();
  const processLine = (nowMs: number) => formatStatsLines(stats, previous, nowMs).find((l) => l.includes('dest=process'))!;
  // The first line: since the process started (performance.now() counts from there).
  cpuMs = 300;
  loopMs = 200;
  assert.equal(processLine(1000), 'at=stats dest=process sample#memory.rss_mb=50 sample#cpu.percent=30 sample#event_loop.busy_percent=20');
  // Then per interval: 1.2 s of CPU in 10 s is 12% (more than 100 is possible: GC threads).
  cpuMs += 1200;
  loopMs += 700;
  const s = parseStatsLine(`source=traffic-duplicator ${processLine(11_000)}`)!;
  assert.deepEqual(Object.fromEntries(s.samples), { 'memory.rss_mb': 50, 'cpu.percent': 12, 'event_loop.busy_percent': 7 });
  assert.deepEqual(stats.readBusy(PROCESS), { 'cpu.percent': 1500, 'event_loop.busy_percent': 900 });
  // A reading that throws is left out; the line still goes out.
  stats.busy(PROCESS, 'broken', () => {
    throw new Error('no');
  });
  assert.match(processLine(21_000), /sample#cpu\.percent=0 sample#event_loop\.busy_percent=0$/);
  // Too soon after a line (the one at exit can be): no share, and the next counts from the last printed.
  cpuMs += 100;
  assert.equal(processLine(21_010), 'at=stats dest=process sample#memory.rss_mb=50');
  assert.match(processLine(22_000), /sample#cpu\.percent=10 /);
});
