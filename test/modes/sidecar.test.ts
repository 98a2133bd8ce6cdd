// runSidecar's shutdown with a fake relay and signal source: no child, the same order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSidecar } from '../../src/modes/sidecar.js';
import { splitGrace } from '../../src/modes/shutdown.js';
import { fakeControl, type FakeControlOptions } from '../helpers/fake-app.js';
import { settle } from '../helpers/fake-clock.js';
import { createMemoryLogger as memoryLog } from '../../src/telemetry/logger.js';

function sidecar(options: FakeControlOptions = {}) {
  const fake = fakeControl(options);
  const done = runSidecar({
    listen: { host: '127.0.0.1', port: 8080 },
    upstream: { kind: 'unix', path: '/run/app.sock' },
    log: memoryLog(),
    shutdownGraceMs: 10_000,
    mirror: { observe: () => undefined, input: () => {}, close: async (ms) => void fake.events.push(`mirror close ${ms}`) },
    control: fake.deps,
  });
  return { fake, done };
}

test('SIGTERM: stop accepting, let connections finish for the app share of the grace, flush, exit 0', async () => {
  const s = sidecar();
  await settle();
  s.fake.signals.emit('SIGTERM', 'SIGTERM');
  await settle();
  s.fake.signals.emit('SIGINT', 'SIGINT'); // a second signal while draining changes nothing
  assert.equal(await s.done, 0);
  const { appMs, flushMs } = splitGrace(10_000);
  assert.deepEqual(s.fake.events, ['relay listen', 'relay stop-accepting', `relay wait-for-idle ${appMs}`, `mirror close ${flushMs}`]);
  assert.equal(s.fake.signals.listenerCount('SIGTERM'), 0);
});

test('connections still open when the grace is over are destroyed', async () => {
  const s = sidecar({ busyRelay: true });
  await settle();
  s.fake.signals.emit('SIGTERM', 'SIGTERM');
  await s.done;
  assert.deepEqual(s.fake.events.slice(-2), ['relay destroy', `mirror close ${splitGrace(10_000).flushMs}`]);
});

test('the port is taken: the mirror is closed at once and we exit 1', async () => {
  const s = sidecar({ bindError: 'EADDRINUSE' });
  assert.equal(await s.done, 1);
  assert.deepEqual(s.fake.events, ['relay listen', 'mirror close 0']);
});
