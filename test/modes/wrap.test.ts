// runWrapped's boot and shutdown sequence with a fake app (injected spawn and kill), a fake
// relay, a fake signal source and a fake clock: the order of the steps, the grace split,
// SIGKILL escalation, exit statuses and a second signal, without processes or sleeping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runWrapped, type WrapOptions } from '../../src/modes/wrap.js';
import { splitGrace } from '../../src/modes/shutdown.js';
import type { Mirror } from '../../src/core/mirror.js';
import { fakeControl, type FakeControl, type FakeControlOptions } from '../helpers/fake-app.js';
import { settle } from '../helpers/fake-clock.js';
import { createMemoryLogger as memoryLog } from '../../src/telemetry/logger.js';

process.setMaxListeners(40); // one process 'exit' hook per ChildApp

function wrap(fakeOptions: FakeControlOptions = {}, options: Partial<WrapOptions> = {}) {
  const fake = fakeControl(fakeOptions);
  const log = memoryLog();
  const mirror = recordingMirror(fake);
  let status: number | undefined;
  const done = runWrapped({
    command: ['node', 'app.js', '--port', '5000'],
    publicPort: 5000,
    publicHost: '::',
    env: { PORT: '5000', KEEP: 'me' },
    log,
    shutdownGraceMs: 25_000,
    mirror,
    control: fake.deps,
    ...options,
  }).then((s) => (status = s));
  return { fake, log, done, status: () => status };
}

function recordingMirror(fake: FakeControl): Mirror {
  return {
    observe: () => undefined,
    input: () => {},
    close: async (graceMs) => void fake.events.push(`mirror close ${graceMs}`),
  };
}

const signal = (fake: FakeControl, sig: NodeJS.Signals) => fake.signals.emit(sig, sig);

test('boot: the app gets a private port (argv and $PORT), then the public port once it listens', async () => {
  const w = wrap({ privatePort: 40001 });
  await settle();
  const child = w.fake.children[0]!;
  assert.deepEqual([child.file, ...child.args], ['node', 'app.js', '--port', '40001']);
  assert.equal(child.spawnOptions.env?.PORT, '40001');
  assert.equal(child.spawnOptions.env?.KEEP, 'me');
  const relay = w.fake.relays[0]!;
  assert.deepEqual(relay.options.listen, { host: '::', port: 5000 });
  assert.deepEqual(relay.options.upstream, { kind: 'tcp', host: '127.0.0.1', port: 40001 });
  assert.deepEqual(w.fake.events, ['spawn node app.js --port 40001', 'relay listen']);
  assert.match(w.log.lines.join('\n'), /at=listening port=5000/);
  signal(w.fake, 'SIGTERM');
  await w.done;
});

test('SIGTERM: stop accepting, forward to the app, drain the relay, flush the mirror, exit with the app status', async () => {
  const w = wrap();
  await settle();
  signal(w.fake, 'SIGTERM');
  assert.equal(await w.done, 143);
  const { appMs, flushMs } = splitGrace(25_000);
  // The app left at once: the relay gets the rest of the app's share to deliver what it wrote.
  assert.deepEqual(w.fake.events.slice(2), ['relay stop-accepting', 'app SIGTERM', `relay wait-for-idle ${appMs}`, `mirror close ${flushMs}`]);
  assert.deepEqual(w.fake.kills, [[-w.fake.children[0]!.pid, 'SIGTERM']], 'to the whole process group');
  assert.match(w.log.lines.join('\n'), /at=exit status=143/);
  assert.equal(w.fake.signals.listenerCount('SIGTERM'), 0, 'signal handlers removed on return');
});

test('SIGINT is forwarded as SIGINT', async () => {
  const w = wrap();
  await settle();
  signal(w.fake, 'SIGINT');
  assert.equal(await w.done, 130);
  assert.deepEqual(w.fake.kills.map(([, sig]) => sig), ['SIGINT']);
});

test('an app that overstays its share of the grace is killed (SIGKILL to its group), then the mirror flushes', async () => {
  const w = wrap({ onStop: 'ignore' }, { shutdownGraceMs: 10_000 });
  await settle();
  const { appMs, flushMs } = splitGrace(10_000);
  signal(w.fake, 'SIGTERM');
  await w.fake.clock.advance(appMs - 1);
  assert.deepEqual(w.fake.kills.map(([, sig]) => sig), ['SIGTERM'], 'no SIGKILL before the grace is over');
  assert.equal(w.status(), undefined);
  await w.fake.clock.advance(1);
  assert.equal(await w.done, 137);
  // Its share is spent: the relay still gets 500 ms for what the app wrote last.
  assert.deepEqual(w.fake.events.slice(2), ['relay stop-accepting', 'app SIGTERM', 'app SIGKILL', 'relay wait-for-idle 500', `mirror close ${flushMs}`]);
  assert.match(w.log.lines.join('\n'), /at=app-kill /);
});

test('a second signal while stopping is ignored: one shutdown, and no default action kills us', async () => {
  const w = wrap({ onStop: 'ignore' }, { shutdownGraceMs: 10_000 });
  await settle();
  signal(w.fake, 'SIGTERM');
  await settle();
  assert.equal(w.fake.signals.listenerCount('SIGTERM'), 1, 'still handled during the shutdown');
  assert.equal(w.fake.signals.listenerCount('SIGINT'), 1);
  signal(w.fake, 'SIGTERM');
  signal(w.fake, 'SIGINT');
  await w.fake.clock.advance(splitGrace(10_000).appMs);
  assert.equal(await w.done, 137);
  assert.deepEqual(w.fake.kills.map(([, sig]) => sig), ['SIGTERM', 'SIGKILL']);
  assert.equal(w.fake.events.filter((e) => e.startsWith('mirror close')).length, 1);
  assert.equal(w.fake.signals.listenerCount('SIGTERM'), 0);
});

test('a relay still busy after the app has gone is destroyed', async () => {
  const w = wrap({ busyRelay: true });
  await settle();
  signal(w.fake, 'SIGTERM');
  await w.done;
  const { appMs, flushMs } = splitGrace(25_000);
  assert.deepEqual(w.fake.events.slice(-3), [`relay wait-for-idle ${appMs}`, 'relay destroy', `mirror close ${flushMs}`]);
});

test('the app exits by itself: stop accepting, deliver what it wrote (within the flush share), flush the mirror, exit with its status', async () => {
  const w = wrap();
  await settle();
  w.fake.children[0]!.exit(3);
  assert.equal(await w.done, 3);
  const { flushMs } = splitGrace(25_000);
  assert.deepEqual(w.fake.events.slice(2), ['relay stop-accepting', `relay wait-for-idle ${flushMs}`, `mirror close ${flushMs}`]);
  assert.deepEqual(w.fake.kills, [], 'nothing to signal');
  assert.match(w.log.lines.join('\n'), /at=app-exit level=error code=3 status=3/);
  assert.equal(w.fake.signals.listenerCount('SIGTERM'), 0);
});

test("SIGHUP, SIGQUIT and SIGUSR2 go to the app's group and nothing else: we exit when it does, with its status", async () => {
  const w = wrap({ onStop: 'ignore' });
  await settle();
  for (const sig of ['SIGHUP', 'SIGQUIT', 'SIGUSR2'] as const) w.fake.signals.emit(sig, sig);
  await settle();
  const pid = w.fake.children[0]!.pid;
  assert.deepEqual(w.fake.kills, [
    [-pid, 'SIGHUP'],
    [-pid, 'SIGQUIT'],
    [-pid, 'SIGUSR2'],
  ]);
  assert.equal(w.status(), undefined, 'still relaying while the app runs');
  assert.match(w.log.lines.join('\n'), /at=signal-forwarded signal=SIGHUP/);
  w.fake.children[0]!.exit(null, 'SIGQUIT');
  assert.equal(await w.done, 131);
  for (const sig of ['SIGHUP', 'SIGQUIT', 'SIGUSR2']) assert.equal(w.fake.signals.listenerCount(sig), 0, `${sig} handler removed on return`);
});

test('a signal before the app is ready: the app is stopped, the mirror closed, no public port', async () => {
  const w = wrap({ listening: false });
  await settle();
  signal(w.fake, 'SIGTERM');
  await w.fake.clock.advance(1000);
  assert.equal(await w.done, 143);
  assert.equal(w.fake.relays.length, 0);
  assert.deepEqual(w.fake.events.slice(1), ['app SIGTERM', `mirror close ${splitGrace(25_000).flushMs}`]);
});

test('the public port is taken: the app is stopped, the mirror closed, exit 1 with a hint', async () => {
  const w = wrap({ bindError: 'EADDRINUSE' });
  assert.equal(await w.done, 1);
  assert.deepEqual(w.fake.events.slice(1), ['relay listen', 'app SIGTERM', 'mirror close 0']);
  assert.match(w.log.lines.join('\n'), /at=bind-failed level=error port=5000 code=EADDRINUSE .*hint="another process already listens on \$PORT"/);
  assert.equal(w.fake.signals.listenerCount('SIGTERM'), 0);
});
