// Drill: a shadow is SIGKILLed while a mirrored body is mid-way to it. The primary is
// unaffected (exact bytes, before, during and after), the failed delivery is counted as an
// error, copies offered after the kill fail as connection errors, and nothing is unaccounted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { eventually, rawExchange, refusedPort, startProcess } from '../helpers/net.js';
import { assertAccounted, killDrillApp, shadowAccounting, startDrill, stopProc, waitForLog } from '../helpers/duplicator.js';

const SHADOW = fileURLToPath(new URL('../fixtures/apps/adversarial/stalling-shadow.mjs', import.meta.url));
const BODY = Buffer.alloc(3 * 1024 * 1024, 'q'); // under --copy-buffer-size (5 MB): it is mirrored

function post(port: number, path: string): Promise<Buffer> {
  return rawExchange(port, [`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${BODY.length}\r\nConnection: close\r\n\r\n`, BODY], { timeoutMs: 30_000 });
}

test('SIGKILL of a shadow mid-body: primary unaffected, the error counted', { timeout: 60_000 }, async () => {
  const shadowPort = await refusedPort();
  const shadowUrl = `http://127.0.0.1:${shadowPort}`;
  const shadow = startProcess(process.execPath, [SHADOW, String(shadowPort)]);
  const w = await startDrill({ args: ['--output-http', shadowUrl, '--output-http-timeout', '20s'] });
  try {
    await waitForLog(shadow, /listening/);
    await waitForLog(w.proc, /at=listening /);
    const sha = createHash('sha256').update(BODY).digest('hex');
    const expectBody = (path: string, got: Buffer) => assert.match(got.toString(), new RegExp(`^HTTP/1\\.1 200 OK\\r\\n[^]*\\r\\n\\r\\ndrill POST ${path} len=${BODY.length} sha256=${sha}\\n$`));

    expectBody('/before', await post(w.port, '/before'));
    await waitForLog(shadow, /answered \/before/);
    expectBody('/stall/1', await post(w.port, '/stall/1'));
    await waitForLog(shadow, /stalled \/stall\/1 \d+/);
    // The shadow holds the body mid-way; the primary keeps working meanwhile.
    expectBody('/during', await post(w.port, '/during'));
    shadow.kill('SIGKILL');
    await shadow.exited;
    const after = await Promise.all([1, 2, 3].map((i) => post(w.port, `/after/${i}`)));
    after.forEach((got, i) => expectBody(`/after/${i + 1}`, got));

    const { code, output } = await stopProc(w.proc);
    assert.equal(code, 0, output);
    const acc = shadowAccounting(output, shadowUrl);
    console.log(`shadow SIGKILL drill: ${JSON.stringify(acc.totals)}`);
    assert.equal(acc.seen, 6);
    assert.ok(acc.errors >= 4, `the stalled copy and the ones after the kill are errors: ${JSON.stringify(acc.totals)}`);
    assert.ok(acc.mirrored >= 1, 'the copy before the stall was delivered');
    assertAccounted(acc);
    assert.match(output, /at=mirror-error .*kind=(reset|socket|other|connect_refused)/);
  } finally {
    w.proc.kill();
    killDrillApp(w.proc.output());
    shadow.kill('SIGKILL');
  }
});
