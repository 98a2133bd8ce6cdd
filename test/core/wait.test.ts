import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitUnlessWoken, wakeAll } from '../../src/core/wait.js';

test('waitUnlessWoken: true when woken, false when the time runs out; the waiter leaves the set either way', async () => {
  const wakers = new Set<() => void>();
  const woken = waitUnlessWoken(60_000, wakers);
  assert.equal(wakers.size, 1);
  wakeAll(wakers);
  assert.equal(await woken, true);
  assert.equal(wakers.size, 0);

  const timedOut = waitUnlessWoken(5, wakers);
  assert.equal(await timedOut, false);
  assert.equal(wakers.size, 0, 'a timed-out waiter is not woken later');
});

test('wakeAll wakes every waiter of the set, and only them', async () => {
  const a = new Set<() => void>();
  const b = new Set<() => void>();
  const inA = [waitUnlessWoken(60_000, a), waitUnlessWoken(60_000, a)];
  const inB = waitUnlessWoken(20, b);
  wakeAll(a);
  assert.deepEqual(await Promise.all(inA), [true, true]);
  assert.equal(await inB, false);
});
