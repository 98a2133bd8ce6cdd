import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedQueue } from '../../src/outputs/bounded-queue.js';

test('bounded queue keeps FIFO order across ring growth and wrap-around', () => {
  const q = new BoundedQueue<number>(1000, 1e9);
  const out: number[] = [];
  let next = 0;
  for (let round = 0; round < 50; round++) {
    for (let k = 0; k < 7; k++) assert.equal(q.push(next++, 1), 'ok');
    for (let k = 0; k < 5; k++) out.push(q.shift()!);
  }
  out.push(...q.drain());
  assert.deepEqual(out, Array.from({ length: next }, (_, i) => i));
  assert.equal(q.length, 0);
  assert.equal(q.bytes, 0);

  // at its full capacity the ring wraps without growing past maxItems
  const small = new BoundedQueue<number>(5, 1e9);
  const seen: number[] = [];
  for (let i = 0; i < 23; i++) {
    assert.equal(small.push(i, 1), 'ok');
    if (small.length === 5) seen.push(small.shift()!);
  }
  seen.push(...small.drain());
  assert.deepEqual(seen, Array.from({ length: 23 }, (_, i) => i));
});

test('bounded queue refuses the newest item when full by count or by bytes', () => {
  const q = new BoundedQueue<string>(3, 100);
  assert.equal(q.push('a', 40), 'ok');
  assert.equal(q.push('b', 40), 'ok');
  assert.equal(q.push('c', 40), 'over_bytes');
  assert.equal(q.push('c', 10), 'ok');
  assert.equal(q.push('d', 1), 'full');
  assert.equal(q.bytes, 90);
  assert.equal(q.shift(), 'a');
  assert.equal(q.bytes, 50);
  assert.equal(q.push('d', 50), 'ok');
  assert.deepEqual(q.drain(), ['b', 'c', 'd']);
});

test('bounded queue validates its bounds', () => {
  assert.throws(() => new BoundedQueue(0, 1), RangeError);
  assert.throws(() => new BoundedQueue(1, 0), RangeError);
});
