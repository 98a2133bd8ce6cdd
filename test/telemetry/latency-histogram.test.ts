import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LatencyHistogram } from '../../src/telemetry/latency-histogram.js';
import { Stats } from '../../src/telemetry/stats.js';
import { formatStatsLines } from '../../src/telemetry/reporter.js';

/** Nearest-rank percentile of a plain list, the reference the histogram must stay within 5% of. */
function exact(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)]!;
}

test('percentiles are within 5% above the exact nearest-rank value, never above the max', () => {
  const h = new LatencyHistogram();
  const values: number[] = [];
  // A long-tailed mix: mostly 1–5 ms, some 50–500 ms, one 9 s outlier.
  let x = 7;
  for (let i = 0; i < 50_000; i++) {
    x = (x * 48271) % 2147483647;
    const u = x / 2147483647;
    const v = i === 123 ? 9000 : u < 0.97 ? 1 + 4 * u : 50 + 450 * u;
    values.push(v);
    h.record(v);
  }
  for (const p of [50, 90, 99, 99.9]) {
    const want = exact(values, p);
    const got = h.percentile(p);
    assert.ok(got >= want && got <= want * 1.05, `p${p}: ${got} vs exact ${want}`);
  }
  assert.equal(h.max, 9000);
  assert.equal(h.percentile(100), 9000);
  assert.equal(h.count, 50_000);
});

test('every sample of the interval counts (no cap), and reset starts a new interval', () => {
  const h = new LatencyHistogram();
  for (let i = 0; i < 30_000; i++) h.record(1);
  for (let i = 0; i < 30_000; i++) h.record(100); // the interval's second half is slower
  assert.ok(h.percentile(99) >= 100, 'the slow second half shows in p99');
  h.reset();
  assert.equal(h.count, 0);
  assert.equal(h.percentile(50), 0);
  h.record(0);
  h.record(Number.NaN);
  h.record(-1);
  assert.equal(h.count, 1, 'NaN and negative values are not latencies');
});

test('the stats line reports p50/p99/max of the interval, then clears them', () => {
  const stats = new Stats();
  for (let i = 1; i <= 100; i++) stats.mirrored('http://s', i);
  const [line] = formatStatsLines(stats, new Map()).filter((l) => l.includes('dest=http://s'));
  assert.match(line!, /measure#latency\.p50=5\d\.\dms measure#latency\.p99=(99|10[0-3])\.\dms measure#latency\.max=100\.0ms/);
  const [next] = formatStatsLines(stats, new Map()).filter((l) => l.includes('dest=http://s'));
  assert.doesNotMatch(next ?? '', /measure#/, 'the next interval has no latencies yet');
});
