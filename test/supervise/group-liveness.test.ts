// groupHasLiveProcess with real processes: a group whose only member is a zombie counts as
// gone (its parent, not us, would reap it), where kill(-pgid, 0) still says "alive".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { groupHasLiveProcess } from '../../src/supervise/child-app.js';

// A parent that forks a child into a group of its own; the child exits at once and the
// parent never reaps it: that group then holds a zombie and nothing else.
const ZOMBIE_GROUP = `
import os, sys, time
pid = os.fork()
if pid == 0:
    os.setpgid(0, 0)
    os._exit(0)
time.sleep(0.3)
print(pid, flush=True)
time.sleep(30)
`;

test('a group with only a zombie left has no live process (signal 0 would still reach it)', { skip: process.platform === 'linux' ? false : 'reads /proc' }, async () => {
  const parent = spawn('python3', ['-c', ZOMBIE_GROUP], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [line] = (await once(parent.stdout!, 'data')) as [Buffer];
    const pgid = Number(line.toString().trim());
    assert.ok(pgid > 0, line.toString());
    assert.doesNotThrow(() => process.kill(-pgid, 0), 'signal 0 reaches the zombie');
    assert.equal(groupHasLiveProcess(pgid), false);
  } finally {
    parent.kill('SIGKILL');
  }
});

test('a live group has a live process; a finished one has none', { skip: process.platform === 'linux' ? false : 'reads /proc' }, async () => {
  const leader = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
  try {
    await once(leader, 'spawn');
    assert.equal(groupHasLiveProcess(leader.pid!), true);
  } finally {
    process.kill(-leader.pid!, 'SIGKILL');
  }
  await once(leader, 'exit');
  assert.equal(groupHasLiveProcess(leader.pid!), false);
});
