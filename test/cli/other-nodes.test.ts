/**
 * "Keep it working on Node 22 and 24": the npm launcher started with each Node listed in
 * TD_TEST_NODES (colon-separated node binaries; .ci/run fetches Node 22 and 24 from the npm
 * registry) relays a burst of new connections, mirrors every request, and stops cleanly.
 * Where Node has `reusePort` (22.12+), the relay listens with several sockets (relay-server.ts).
 * Skipped where TD_TEST_NODES is not set.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LISTEN_SOCKETS, listenSocketCount } from '../../src/relay/relay-server.js';
import { eventually, freePort, startRecordingShadow } from '../helpers/net.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NODES = (process.env.TD_TEST_NODES ?? '').split(':').filter((p) => p !== '');

const app = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => res.end(`app ${req.url}\n`));
});
await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
const appPort = (app.address() as { port: number }).port;
after(() => new Promise<void>((r) => app.close(() => r())));

/** One GET on its own connection. */
function get(port: number, i: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: `/burst/${i}`, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(`${res.statusCode} ${body}`));
    });
    req.on('error', reject);
  });
}

for (const node of NODES) {
  const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  test(`Node ${version}: the npm launcher starts, relays a burst of 40 new connections, mirrors each, stops with status 0`, { timeout: 60_000 }, async () => {
    const shadow = await startRecordingShadow();
    const port = await freePort();
    const child = spawn(path.join(ROOT, 'launchers/traffic-duplicator'), ['--listen', `127.0.0.1:${port}`, '--upstream', `http://127.0.0.1:${appPort}`, '--output-http', shadow.url], {
      env: { ...process.env, PATH: `${path.dirname(node)}:${process.env.PATH ?? ''}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      await eventually(() => /at=listening /.test(out) || child.exitCode !== null, 20_000, 'at=listening');
      const sockets = listenSocketCount(LISTEN_SOCKETS, version.slice(1));
      assert.match(out, new RegExp(`at=listening port=${port} address=127\\.0\\.0\\.1 sockets=${sockets} `), out);
      const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => get(port, i)));
      assert.deepEqual(answers, Array.from({ length: 40 }, (_, i) => `200 app /burst/${i}\n`));
      await eventually(() => shadow.received.length === 40, 10_000, 'all 40 copies at the shadow');
      assert.deepEqual(shadow.received.map((r) => r.url).sort(), Array.from({ length: 40 }, (_, i) => `/burst/${i}`).sort());
      child.kill('SIGTERM');
      assert.equal(await exited, 0, out);
      assert.match(out, /at=stats-total dest=http:\/\/127\.0\.0\.1:\d+\/ seen=40 mirrored=40/, out);
    } finally {
      child.kill('SIGKILL');
      await shadow.close();
    }
  });
}

test('other Node versions', (t) => {
  if (NODES.length === 0) t.skip('TD_TEST_NODES is not set (.ci/run sets it to Node 22 and 24)');
});
