import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reservoir, RESERVOIR_SIZE } from '../../src/compare/latency.js';
import { mulberry32 } from '../helpers/prng.js';

test('percentiles of a small series are exact (nearest rank)', () => {
  const r = new Reservoir();
  for (let i = 1; i <= 100; i++) r.add(i);
  assert.deepEqual(r.percentiles(), { p50: 50, p90: 90, p99: 99, count: 100 });
  assert.deepEqual(new Reservoir().percentiles(), { p50: 0, p90: 0, p99: 0, count: 0 });
});

test('a long series keeps constant memory and estimates its percentiles', () => {
  const r = new Reservoir(mulberry32(7));
  const rnd = mulberry32(42);
  for (let i = 0; i < 100_000; i++) r.add(rnd() * 1000);
  const p = r.percentiles();
  assert.equal(p.count, 100_000);
  assert.ok(RESERVOIR_SIZE <= 512);
  assert.ok(Math.abs(p.p50 - 500) < 100, `p50 ${p.p50}`);
  assert.ok(Math.abs(p.p90 - 900) < 60, `p90 ${p.p90}`);
  r.add(NaN);
  assert.equal(r.percentiles().count, 100_000, 'NaN is not an observation');
});
