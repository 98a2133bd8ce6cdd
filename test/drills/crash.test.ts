// Drill: the app crashes under load (exit 3 in the middle of a request, with a grandchild
// still running in its process group). The wrapper exits with the app's status and leaves
// no process behind: the app's whole group is gone. Answers served before the crash are exact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rawExchange, startRecordingShadow } from '../helpers/net.js';
import { alive, assertAccounted, killDrillApp, processGroupMembers, shadowAccounting, startDrill, waitForLog } from '../helpers/duplicator.js';
import { eventually } from '../helpers/net.js';

test('app crash under load: wrapper exits with the app status, no process left', { timeout: 60_000 }, async () => {
  const shadow = await startRecordingShadow();
  const w = await startDrill({ args: ['--output-http', shadow.url], env: { SPAWN_GRANDCHILD: '1', CRASH_CODE: '3' } });
  try {
    await waitForLog(w.proc, /at=listening /);
    const appPid = Number((await waitForLog(w.proc, /drill-app pid=(\d+)/))[1]);
    const grandchild = Number((await waitForLog(w.proc, /drill-app grandchild=(\d+)/))[1]);
    assert.ok(alive(appPid) && alive(grandchild));
    assert.ok(processGroupMembers(appPid).length >= 2, 'the app and its grandchild share the app group');

    // Load: 4 clients in a loop (bounded) until the wrapper is gone; before the crash every
    // answer must be exact, after it failures (502, reset, refused) are expected.
    let crashed = false;
    let gone = false;
    void w.proc.exited.then(() => (gone = true));
    let served = 0;
    let failedAfterCrash = 0;
    const client = async (c: number) => {
      for (let i = 0; i < 2000 && !gone; i++) {
        const path = `/load/${c}/${i}`;
        try {
          const got = await rawExchange(w.port, `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc`, { timeoutMs: 10_000 });
          const text = got.toString();
          if (crashed && !text.includes(path)) {
            failedAfterCrash++;
            continue;
          }
          assert.match(text, new RegExp(`^HTTP/1\\.1 200 OK\\r\\n[^]*\\r\\n\\r\\ndrill POST ${path} len=3 sha256=ba7816bf`));
          served++;
        } catch (e) {
          if (!crashed) throw e;
          failedAfterCrash++;
        }
      }
    };
    const load = [0, 1, 2, 3].map(client);
    await eventually(() => served >= 40, 30_000, '40 requests served');
    crashed = true;
    await rawExchange(w.port, 'GET /crash HTTP/1.1\r\nHost: x\r\n\r\n', { timeoutMs: 10_000 }).catch(() => Buffer.alloc(0));
    const exit = await w.proc.exited;
    await Promise.all(load);
    const output = w.proc.output();
    assert.equal(exit.code, 3, `the wrapper exits with the app's status\n${output}`);
    assert.match(output, /at=app-exit .*code=3 .*status=3/);
    await eventually(() => !alive(appPid) && !alive(grandchild) && processGroupMembers(appPid).length === 0, 10_000, 'the app group to be gone');
    console.log(`crash drill: ${served} requests served before the crash, ${failedAfterCrash} failed after it; exit=${exit.code}; group ${appPid} empty`);
    assertAccounted(shadowAccounting(output, shadow.url));
  } finally {
    w.proc.kill();
    killDrillApp(w.proc.output());
    await shadow.close();
  }
});
