// ChildApp with an injected spawn, signal sender and clock: the app is a FakeChild, so
// process groups, exit statuses and the SIGKILL escalation are checked without a process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChildApp } from '../../src/supervise/child-app.js';
import { fakeControl } from '../helpers/fake-app.js';
import { createMemoryLogger as memoryLog } from '../../src/telemetry/logger.js';
import { settle } from '../helpers/fake-clock.js';

// Each ChildApp adds one process 'exit' hook (to take its group with it); this file makes a dozen.
process.setMaxListeners(40);

test('spawns the command in its own process group, with the env it is given', () => {
  const fake = fakeControl();
  const app = new ChildApp({ ...fake.appOptions(['bundle', 'exec', 'puma', '-p', '4001']), env: { PORT: '4001' } });
  const [child] = fake.children;
  assert.ok(child);
  assert.equal(child.file, 'bundle');
  assert.deepEqual(child.args, ['exec', 'puma', '-p', '4001']);
  assert.equal(child.spawnOptions.detached, true, 'its own process group, so a signal reaches the whole tree');
  assert.equal(child.spawnOptions.stdio, 'inherit');
  assert.deepEqual(child.spawnOptions.env, { PORT: '4001' });
  assert.equal(app.pid, child.pid);
  assert.equal(app.state, 'starting');
});

test('exit status: the code, or 128 + the signal number as a shell reports it', async () => {
  for (const [code, signal, status] of [
    [0, null, 0],
    [3, null, 3],
    [null, 'SIGTERM', 143],
    [null, 'SIGINT', 130],
    [null, 'SIGKILL', 137],
    [null, 'SIGSEGV', 139],
    [null, 'SIGABRT', 134],
  ] as const) {
    const fake = fakeControl();
    const app = new ChildApp(fake.appOptions());
    fake.children[0]!.exit(code, signal);
    assert.deepEqual(await app.exited, { code, signal, status }, `${code} ${signal}`);
    assert.equal(app.state, 'exited');
  }
});

test('a command that cannot be spawned: 127 for ENOENT, 126 otherwise, logged', async () => {
  for (const [errno, status] of [
    ['ENOENT', 127],
    ['EACCES', 126],
  ] as const) {
    const log = memoryLog();
    const fake = fakeControl({ log });
    const app = new ChildApp(fake.appOptions(['no-such-app']));
    fake.children[0]!.emit('error', Object.assign(new Error(`spawn no-such-app ${errno}`), { code: errno }));
    assert.deepEqual(await app.exited, { code: status, signal: null, status });
    assert.match(log.lines.join('\n'), new RegExp(`at=app-spawn-failed .*command=no-such-app code=${errno}`));
  }
});

test('stop: the signal goes to the whole group; an app that obeys is not killed', async () => {
  const fake = fakeControl({ onStop: 'exit' });
  const app = new ChildApp(fake.appOptions());
  const pid = fake.children[0]!.pid;
  const info = await app.stop('SIGTERM', 1000);
  assert.deepEqual(fake.kills, [[-pid, 'SIGTERM']]);
  assert.equal(info.status, 143);
  assert.deepEqual(fake.clock.pending(), [], 'the grace timer is cleared once the app is gone');
});

test('stop: SIGKILL to the group exactly when the grace period is over', async () => {
  const log = memoryLog();
  const fake = fakeControl({ onStop: 'ignore', log });
  const app = new ChildApp(fake.appOptions());
  const pid = fake.children[0]!.pid;
  let done = false;
  const stopped = app.stop('SIGINT', 1000).then((info) => ((done = true), info));
  await fake.clock.advance(999);
  assert.deepEqual(fake.kills, [[-pid, 'SIGINT']], 'the signal it was given, forwarded as is');
  assert.equal(app.state, 'stopping');
  assert.equal(done, false);
  await fake.clock.advance(1);
  assert.deepEqual(fake.kills, [
    [-pid, 'SIGINT'],
    [-pid, 'SIGKILL'],
  ]);
  assert.equal((await stopped).status, 137);
  assert.match(log.lines.join('\n'), /at=app-kill .*reason="grace period over" grace_ms=1000/);
});

test('stop: a command that exits first (npm start, a shell) is waited for until its whole group is gone', async () => {
  const fake = fakeControl({ onStop: 'exit', serverOutlivesCommandMs: 3000 });
  const app = new ChildApp(fake.appOptions(['npm', 'start']));
  const pid = fake.children[0]!.pid;
  let done = false;
  const stopped = app.stop('SIGTERM', 10_000).then((info) => ((done = true), info));
  await fake.clock.advance(2950);
  assert.equal(fake.children[0]!.signalCode, 'SIGTERM', 'the command itself is gone');
  assert.equal(done, false, 'the server it started is still finishing its requests');
  await fake.clock.advance(100);
  assert.equal((await stopped).status, 143, "the command's own status");
  assert.deepEqual(fake.kills, [[-pid, 'SIGTERM']], 'no SIGKILL: the group left within the grace');
  assert.deepEqual(fake.clock.pending(), []);
});

test('stop: a group that outlives the grace period is SIGKILLed then', async () => {
  const fake = fakeControl({ onStop: 'exit', serverOutlivesCommandMs: 60_000 });
  const app = new ChildApp(fake.appOptions(['npm', 'start']));
  const pid = fake.children[0]!.pid;
  const stopped = app.stop('SIGTERM', 1000);
  await fake.clock.advance(1000);
  assert.equal((await stopped).status, 143);
  assert.deepEqual(fake.kills, [
    [-pid, 'SIGTERM'],
    [-pid, 'SIGKILL'],
  ]);
});

test('waitUntilListening: the host that answered, or undefined once the app has exited', async () => {
  const up = fakeControl({ listening: true });
  const ready = new ChildApp(up.appOptions());
  assert.equal(await ready.waitUntilListening(40001), '127.0.0.1');
  assert.equal(ready.state, 'ready');

  const down = fakeControl({ listening: false });
  const never = new ChildApp(down.appOptions());
  const notices: number[] = [];
  const waiting = never.waitUntilListening(40001, 100, (ms) => notices.push(ms));
  await down.clock.advance(25_000);
  assert.deepEqual(notices, [10_000, 20_000], 'a notice every 10 s while the app does not listen');
  down.children[0]!.exit(1);
  await down.clock.advance(100);
  await settle();
  assert.equal(await waiting, undefined);
});
