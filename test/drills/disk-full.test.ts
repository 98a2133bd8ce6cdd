// Drill: --output-file on a full disk (a 64 KiB tmpfs, mounted as root; skipped with the
// reason if mounting fails). Recording fails — errors.write is reported — while every
// primary answer stays exact; the file destination's copies are all accounted for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rawExchange } from '../helpers/net.js';
import { accountingOf, killDrillApp, startDrill, statsTotals, stopProc, waitForLog } from '../helpers/duplicator.js';

const N = 40;

test('disk full for --output-file: errors.write reported, primary unaffected', { timeout: 60_000 }, async (t) => {
  const mnt = mkdtempSync(join(tmpdir(), 'td-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { stdio: 'pipe' });
  } catch (err) {
    rmSync(mnt, { recursive: true, force: true });
    t.skip(`cannot mount a 64 KiB tmpfs here (needs root): ${(err as Error).message.split('\n')[0]}`);
    return;
  }
  const file = join(mnt, 'requests.gor');
  const w = await startDrill({ args: ['--output-file', file, '--output-file-append', '--output-file-flush-interval', '100ms'] });
  try {
    await waitForLog(w.proc, /at=listening /);
    const body = 'b'.repeat(8 * 1024);
    for (let i = 0; i < N; i++) {
      const got = await rawExchange(w.port, `POST /disk/${i} HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
      assert.match(got.toString(), new RegExp(`^HTTP/1\\.1 200 OK\\r\\n[^]*drill POST /disk/${i} len=${body.length} `), `request ${i}: primary unaffected`);
      if (i === N / 2) await new Promise((r) => setTimeout(r, 300)); // let a flush hit the full disk mid-run
    }
    const { code, output } = await stopProc(w.proc);
    assert.equal(code, 0, output);
    const all = statsTotals(output);
    const t2 = all.get(file);
    assert.ok(t2, `a stats line for ${file}:\n${output}`);
    const acc = accountingOf(t2);
    console.log(`disk-full drill: ${file} ${JSON.stringify(acc.totals)}; ${readdirSync(mnt).map((f) => `${f}=${statSync(join(mnt, f)).size}B`).join(' ')}`);
    assert.ok((acc.totals['errors.write'] ?? 0) >= 1, `errors.write reported: ${JSON.stringify(acc.totals)}`);
    assert.match(output, /at=file-output-error .*op=write .*code=ENOSPC/);
    // The file records each request and its response (.gor types 1 and 2).
    assert.equal(acc.seen, 2 * N);
    assert.ok(acc.mirrored < 2 * N, 'not everything fits in 64 KiB');
    // As for every output: each copy is mirrored, dropped, or one error (here: a failed write).
    assert.equal(acc.seen, acc.mirrored + acc.dropped + acc.errors, `file output: seen == mirrored + dropped + errors: ${JSON.stringify(acc.totals)}`);
  } finally {
    w.proc.kill();
    killDrillApp(w.proc.output());
    try {
      execFileSync('umount', [mnt], { stdio: 'pipe' });
    } catch {
      /* not mounted */
    }
    rmSync(mnt, { recursive: true, force: true });
  }
});
