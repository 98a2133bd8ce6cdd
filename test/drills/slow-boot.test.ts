// Drill: the app is slow to boot (45 s, as a big Rails app can be; Heroku allows 60 s to bind).
// The wrapper must not bind $PORT before the app accepts connections — a router that
// connects early would get resets instead of the app's own boot behaviour — and binds it
// right after; at=app-ready reports an elapsed_ms of at least the delay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rawExchange, startRecordingShadow } from '../helpers/net.js';
import { assertAccounted, killDrillApp, shadowAccounting, startDrill, stopProc, waitForLog } from '../helpers/duplicator.js';

const DELAY_MS = 45_000;

const probe = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

test('slow boot: $PORT is not bound before the app is ready, and is right after', { timeout: 150_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'td-slow-boot-'));
  const marker = join(dir, 'listening');
  const shadow = await startRecordingShadow();
  const w = await startDrill({ args: ['--output-http', shadow.url], env: { BOOT_DELAY_MS: String(DELAY_MS), BOOT_MARKER: marker } });
  try {
    // The app writes the marker right before it listens; a probe that connects while the
    // marker is still absent would mean the wrapper bound $PORT before the app was up.
    let refusedBeforeReady = 0;
    for (let i = 0; i < 3000 && !existsSync(marker); i++) {
      const connected = await probe(w.port);
      const ready = existsSync(marker);
      assert.ok(!(connected && !ready), '$PORT accepted a connection before the app was listening');
      if (!connected && !ready) refusedBeforeReady++;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(existsSync(marker), 'the app booted');
    assert.ok(refusedBeforeReady >= 5, `probes were refused during the boot (${refusedBeforeReady})`);

    const ready = await waitForLog(w.proc, /at=app-ready elapsed_ms=(\d+)/);
    await waitForLog(w.proc, /at=listening /);
    const out = w.proc.output();
    assert.ok(out.indexOf('at=app-ready') < out.indexOf('at=listening '), 'the public port is bound only after app-ready');
    assert.ok(Number(ready[1]) >= DELAY_MS, `app-ready elapsed_ms=${ready[1]} ≥ ${DELAY_MS}`);
    assert.ok(await probe(w.port), '$PORT is bound once the app is ready');
    // A long boot is visible in the logs while it happens (every 10 s).
    assert.match(out, /at=waiting-for-app elapsed_ms=\d+/);
    const got = await rawExchange(w.port, 'GET /after-boot HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(got.toString(), /^HTTP\/1\.1 200 OK\r\n[^]*drill GET \/after-boot len=0/);
    console.log(`slow boot: ${refusedBeforeReady} probes refused during the ${DELAY_MS} ms boot; at=app-ready elapsed_ms=${ready[1]}`);

    const { code, output } = await stopProc(w.proc);
    assert.equal(code, 0, output);
    assert.deepEqual(shadow.received.map((r) => r.url), ['/after-boot']);
    assertAccounted(shadowAccounting(output, shadow.url));
  } finally {
    w.proc.kill();
    killDrillApp(w.proc.output());
    await shadow.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
