import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLimiter, PercentSampler, TokenBucket } from '../../src/outputs/rate-limiter.js';

test('token bucket lets a burst of N through, then N per second', () => {
  let t = 0;
  const b = new TokenBucket(10, () => t);
  const burst = Array.from({ length: 100 }, () => b.allow()).filter((r) => r === true).length;
  assert.equal(burst, 10);
  assert.equal(b.allow(), 'rate_limited');
  t = 500; // half a second refills 5
  assert.equal(Array.from({ length: 100 }, () => b.allow()).filter((r) => r === true).length, 5);
  t = 60_000; // never more than the bucket holds
  assert.equal(Array.from({ length: 100 }, () => b.allow()).filter((r) => r === true).length, 10);
});

test('percent sampler passes N% of copies', () => {
  let i = 0;
  const s = new PercentSampler(30, () => (i++ % 100) / 100);
  const passed = Array.from({ length: 1000 }, () => s.allow()).filter((r) => r === true).length;
  assert.equal(passed, 300);
  assert.equal(new PercentSampler(0).allow(), 'sampled_out');
  assert.equal(new PercentSampler(100).allow(), true);
});

test('createLimiter maps the flag forms and rejects nonsense', () => {
  assert.equal(createLimiter(undefined), undefined);
  assert.ok(createLimiter({ kind: 'per-second', n: 5 }) instanceof TokenBucket);
  assert.ok(createLimiter({ kind: 'percent', n: 5 }) instanceof PercentSampler);
  assert.throws(() => createLimiter({ kind: 'per-second', n: 0 }), RangeError);
  assert.throws(() => createLimiter({ kind: 'percent', n: 101 }), RangeError);
});
