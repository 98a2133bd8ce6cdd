import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { MAIN, ROOT } from '../helpers/wrapper.js';
import { freePort, startProcess } from '../helpers/net.js';
import { assertBuilt } from '../helpers/duplicator.js';

const HOOK = path.join(ROOT, 'test/fixtures/compare/log-loaded-modules.mjs');
const APP = "require('http').createServer((q, s) => s.end('ok')).listen(Number(process.argv[1]), '127.0.0.1')";

async function loadedCompareModules(flags: string[]): Promise<string[]> {
  const port = await freePort();
  const proc = startProcess(process.execPath, ['--import', HOOK, MAIN, ...flags, '--exit-after', '1s', '--', process.execPath, '-e', APP, String(port)], {
    env: { ...process.env, PORT: String(port) },
  });
  try {
    await proc.exited; // --exit-after stops it (with the app's status)
    assert.match(proc.output(), /at=listening/);
  } finally {
    proc.kill();
  }
  return [...proc.output().matchAll(/loaded-module \S+\/compare\/(\S+)\.js/g)].map((m) => m[1]!).sort();
}

test('with --compare off, nothing of comparison loads but the flag syntax; with it on, it does', { timeout: 60_000 }, async () => {
  assertBuilt();
  assert.deepEqual(await loadedCompareModules(['--output-http', 'http://127.0.0.1:9']), ['syntax']);
  const on = await loadedCompareModules(['--output-http', 'http://127.0.0.1:9', '--compare']);
  for (const m of ['comparator', 'wiring', 'diff', 'syntax']) assert.ok(on.includes(m), `${m} in ${on.join(',')}`);
});
