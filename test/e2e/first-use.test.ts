/**
 * Issue #10, the first-use list: what a new user hits on a fresh clone, each checked with
 * the built CLI as a real process (loopback only).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import { startRecordingShadow, startProcess, eventually } from '../helpers/net.js';
import { startWrapper, APP_COMMANDS, START } from '../helpers/wrapper.js';
import { runCli, tempDir, writeGor, logValue } from '../fixtures/e2e-gor/cli.js';

/** A test body run with a fresh temp dir, removed afterwards whatever happens. */
function inTempDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const tmp = tempDir('first-use');
    try {
      await fn(tmp.dir);
    } finally {
      tmp.cleanup();
    }
  };
}

function get(port: number, target: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: target, agent: false }, (res) => (res.resume(), res.on('end', () => resolve(res.statusCode ?? 0)))).on('error', reject);
  });
}

test('--input-file: a missing file, and a glob that matches nothing, exit 2 with the usual error before anything starts', { timeout: 20_000 }, inTempDir(async (dir) => {
  const missing = await runCli(['--input-file', path.join(dir, 'nope.gor'), '--output-stdout']);
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /^traffic-duplicator: error: input-file: no such file ".*nope\.gor"/m);
  assert.doesNotMatch(missing.stderr, /at=mirroring|\n\s+at /, 'no start-up, no stack trace');
  const noMatch = await runCli(['--input-file', path.join(dir, 'requests_*.gor'), '--output-stdout']);
  assert.equal(noMatch.code, 2, noMatch.stderr);
  assert.match(noMatch.stderr, /error: input-file: no files match pattern/);
  assert.doesNotMatch(noMatch.stderr, /at=mirroring/);
}));

test('--input-file of garbage: a clear message and exit 1, not "0 requests" and success', { timeout: 20_000 }, inTempDir(async (dir) => {
  const file = path.join(dir, 'garbage.gor');
  fs.writeFileSync(file, 'this is not a gor capture\n'.repeat(50));
  const r = await runCli(['--input-file', file, '--output-stdout']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /at=replay-failed level=error reason="no \.gor records found"/);
}));

test('replay: response records are counted as responses, not skipped', { timeout: 20_000 }, inTempDir(async (dir) => {
  const file = path.join(dir, 'r.gor');
  const t = 1_700_000_000_000_000_000n;
  writeGor(file, [
    { type: '1', id: 'a1', timestampNs: t, latencyNs: 0n, payload: Buffer.from('GET /a HTTP/1.1\r\nHost: x\r\n\r\n') },
    { type: '2', id: 'a1', timestampNs: t + 1000n, latencyNs: 1000n, payload: Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n') },
  ]);
  const r = await runCli(['--input-file', file, '--input-file-dry-run']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(logValue(r.stderr, 'dry-run', 'responses'), '1', r.stderr);
  assert.equal(logValue(r.stderr, 'dry-run', 'skipped'), '0', r.stderr);
}));

test('start-traffic-duplicator with flags explains that it takes only a command; without PORT its hint fits it', { timeout: 20_000 }, inTempDir(async (dir) => {
  const marker = path.join(dir, 'started');
  const env = { ...process.env, PORT: '5999' };
  const flags = startProcess(process.execPath, [START, '--output-http', 'http://127.0.0.1:9', 'touch', marker], { env, cwd: dir });
  assert.equal((await flags.exited).code, 2, flags.output());
  assert.match(flags.output(), /error: start-traffic-duplicator takes only your app's command, not flags \(got --output-http\)/);
  assert.match(flags.output(), /hint: put flags in config\/gor\.options/);
  assert.doesNotMatch(flags.output(), /ENOENT/);

  const noPortEnv = { ...process.env };
  delete noPortEnv.PORT;
  const noPort = startProcess(process.execPath, [START, 'touch', marker], { env: noPortEnv, cwd: dir });
  assert.equal((await noPort.exited).code, 2, noPort.output());
  assert.match(noPort.output(), /PORT is not set/);
  assert.match(noPort.output(), /PORT=8080 start-traffic-duplicator touch/);
  assert.doesNotMatch(noPort.output(), /--listen/, 'start-traffic-duplicator has no --listen');
  assert.equal(fs.existsSync(marker), false);
}));

test('accepted-but-ignored gor flags print one at=flag-ignored line each', { timeout: 20_000 }, inTempDir(async (dir) => {
  const file = path.join(dir, 'r.gor');
  writeGor(file, [{ type: '1', id: 'a1', timestampNs: 1n, latencyNs: 0n, payload: Buffer.from('GET /a HTTP/1.1\r\nHost: x\r\n\r\n') }]);
  const r = await runCli(['--output-http-redirects', '3', '--output-http-redirects', '2', '--input-file-read-depth', '5', '--input-file', file, '--input-file-dry-run']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l.includes('at=flag-ignored'));
  assert.equal(lines.length, 2, r.stderr);
  assert.match(lines[0]!, /^source=traffic-duplicator at=flag-ignored flag=--output-http-redirects from="command line" why=".*redirects.*"$/);
  assert.match(lines[1]!, /flag=--input-file-read-depth/);
}));

test('wrap: --verbose logs each copy with status and latency; at exit the totals follow the last deltas', { timeout: 30_000 }, async () => {
  const shadow = await startRecordingShadow({ status: 201 });
  let w: Awaited<ReturnType<typeof startWrapper>> | undefined;
  try {
    w = await startWrapper({ args: (port) => ['--verbose', '--output-http', shadow.url, '--', ...APP_COMMANDS.node(port)] });
    for (let i = 0; i < 3; i++) assert.equal(await get(w.port, `/v${i}?q=1`), 200);
    await eventually(() => shadow.received.length === 3, 10_000, 'three copies');
    await eventually(() => (w!.logs().match(/at=copy /g) ?? []).length === 3, 10_000, 'three debug lines');
    assert.match(w.logs(), /at=copy level=debug dest=http:\/\/127\.0\.0\.1:\d+\/? method=GET target="\/v0\?q=1" status=201 latency_ms=\d+\.\d/);
    assert.equal((await w.stop()).code, 0);
    const total = w.logs().split('\n').find((l) => / at=stats-total dest=http:/.test(l));
    assert.ok(total, w.logs());
    assert.match(total, /seen=3 mirrored=3/);
  } finally {
    // SIGTERM, not SIGKILL: the wrapper then stops its app's process group too.
    if (w && w.proc.child.exitCode === null) await w.stop();
    await shadow.close();
  }
});

test('wrap: an app that ignores $PORT gets a hint after 10 s naming the private port', { timeout: 30_000 }, async () => {
  let w: Awaited<ReturnType<typeof startWrapper>> | undefined;
  try {
    // Never listens, like `python3 -m http.server` run without a port behind a different PORT.
    w = await startWrapper({ args: () => ['--output-null', '--', process.execPath, '-e', 'setInterval(() => {}, 1000)'], waitFor: /at=waiting-for-app/ });
    const line = w.logs().split('\n').find((l) => l.includes('at=waiting-for-app'))!;
    const privatePort = /private_port=(\d+)/.exec(line)![1]!;
    assert.match(line, new RegExp(`hint="the app must listen on \\$PORT, which is ${privatePort} for it`));
    await w.stop();
  } finally {
    // SIGTERM, not SIGKILL: the wrapper then stops its app's process group too.
    if (w && w.proc.child.exitCode === null) await w.stop();
  }
});

test('sh -c strings get the private port swapped in, so a shell-wrapped app is reachable', { timeout: 30_000 }, async () => {
  let w: Awaited<ReturnType<typeof startWrapper>> | undefined;
  try {
    const app = APP_COMMANDS.node(0)[1]!;
    w = await startWrapper({ args: (port) => ['--output-null', '--', 'sh', '-c', `exec node ${app} ${port}`] });
    assert.equal(await get(w.port, '/'), 200);
    assert.equal((await w.stop()).code, 0);
  } finally {
    // SIGTERM, not SIGKILL: the wrapper then stops its app's process group too.
    if (w && w.proc.child.exitCode === null) await w.stop();
  }
});

