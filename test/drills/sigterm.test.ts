// Drill: SIGTERM under load. Twenty slow requests are in flight when the wrapper gets
// SIGTERM: each completes with exact bytes, the wrapper exits with the app's own status
// (the drill app exits 42 after a graceful stop, so the status is visibly the app's)
// within the grace period, every copy is accounted for, and the app's group is gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, rawExchange, startRecordingShadow } from '../helpers/net.js';
import { alive, assertAccounted, killDrillApp, processGroupMembers, shadowAccounting, startDrill, waitForLog } from '../helpers/duplicator.js';

const IN_FLIGHT = 20;
const GRACE_MS = 10_000;

test('SIGTERM under load: in-flight requests complete; exit with the app status within the grace', { timeout: 60_000 }, async () => {
  const shadow = await startRecordingShadow();
  const w = await startDrill({ args: ['--output-http', shadow.url, '--shutdown-grace', `${GRACE_MS}ms`], env: { TERM_EXIT_CODE: '42' } });
  try {
    await waitForLog(w.proc, /at=listening /);
    const appPid = Number((await waitForLog(w.proc, /drill-app pid=(\d+)/))[1]);
    const paths = Array.from({ length: IN_FLIGHT }, (_, i) => `/slow?ms=1500&i=${i}`);
    const answers = paths.map((p) => rawExchange(w.port, `GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, { timeoutMs: 30_000 }));
    // All twenty have reached the app (it logs each) before the signal.
    await eventually(() => (w.proc.output().match(/inflight-start /g) ?? []).length === IN_FLIGHT, 20_000, 'requests in flight');
    const signalledAt = Date.now();
    w.proc.kill('SIGTERM');
    const got = await Promise.all(answers);
    for (const [i, p] of paths.entries()) {
      const body = `slow ${p}\n`;
      assert.equal(got[i]!.toString(), `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
    }
    const exit = await w.proc.exited;
    const tookMs = Date.now() - signalledAt;
    const output = w.proc.output();
    assert.equal(exit.code, 42, `the wrapper exits with the app's status\n${output}`);
    assert.ok(tookMs < GRACE_MS + 5000, `exited ${tookMs} ms after SIGTERM (grace ${GRACE_MS} ms)`);
    assert.doesNotMatch(output, /at=app-kill/, 'the app stopped within its share of the grace');
    assert.match(output, /at=exit status=42/);
    console.log(`sigterm drill: ${IN_FLIGHT} in-flight requests completed; exit ${exit.code} ${tookMs} ms after SIGTERM`);
    assert.equal(processGroupMembers(appPid).length, 0);
    assert.ok(!alive(appPid));
    const acc = shadowAccounting(output, shadow.url);
    assert.equal(acc.seen, IN_FLIGHT);
    assertAccounted(acc);
    assert.equal(shadow.received.length, acc.mirrored);
  } finally {
    w.proc.kill();
    killDrillApp(w.proc.output());
    await shadow.close();
  }
});
