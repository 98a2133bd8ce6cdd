/**
 * Idle memory (issue 8: we share a 512 MB dyno with the app): a plain `--output-http`
 * sidecar loads nothing of the features it was not given — no admin surface (node:http,
 * node:crypto, prom-client), no comparison, no zlib (only .gz files need it), no re2js
 * (only regex modifiers), no TLS (only https shadows), no modifier compiler or rules (no
 * --http-* flag), no middleware, no file/stdout/NATS output, no .gor codec, no file or
 * NATS input, no other mode's module (wrap, replay, passthrough). Checked on the real CLI, after one
 * request has been relayed and copied, so that the copy path itself is covered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startSidecar } from '../helpers/duplicator.js';
import { eventually, startRecordingShadow } from '../helpers/net.js';

const HOOK = fileURLToPath(new URL('../fixtures/lean/log-loaded-modules.mjs', import.meta.url));

function get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => res.resume().on('end', () => resolve(res.statusCode!))).on('error', reject);
  });
}

test('a plain --output-http sidecar loads no admin, compare, prom-client, zlib, re2js, node:http or tls', { timeout: 60_000 }, async () => {
  const app = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  const shadows = [await startRecordingShadow(), await startRecordingShadow()];
  const td = await startSidecar({
    upstreamPort: (app.address() as AddressInfo).port,
    shadowUrls: shadows.map((s) => s.url),
    env: { NODE_OPTIONS: `--import ${HOOK}` },
  });
  let output = '';
  try {
    assert.equal(await get(td.port, '/lazy'), 200);
    await eventually(() => shadows.every((s) => s.received.length === 1), 15_000, 'the copy reached both shadows');
  } finally {
    output = (await td.stop()).output;
    for (const s of shadows) await s.close();
    app.closeAllConnections();
    await new Promise((r) => app.close(r));
  }
  const modules = [...output.matchAll(/^loaded-module (\S+)$/gm)].map((m) => m[1]!);
  const builtins = output.match(/^loaded-builtins (.*)$/m)?.[1]?.split(',');
  assert.ok(builtins, `the exit report is there:\n${output}`);
  assert.ok(modules.some((m) => m.endsWith('/outputs/http-output.js')), 'the hook sees our modules');
  const unwanted = modules.filter((m) => /\/(admin|compare)\/(?!configured\.js|syntax\.js)|\/node_modules\/(prom-client|re2js)\//.test(m));
  assert.deepEqual(unwanted, [], 'nothing of admin or compare (but the flag syntax), no prom-client, no re2js');
  const unconfigured = modules.filter((m) =>
    /\/pipeline\/(compile|index|flag-values)\.js|\/pipeline\/(rules|go)\/|\/gor\/(middleware|codec|records)\.js|\/outputs\/(file|stdout|nats)-output\.js|\/inputs\/(file-input|file-input-glob|nats-input)\.js|\/nats\/(connect|records)\.js|\/modes\/(wrap|replay|nats-replay|passthrough)\.js|\/node_modules\/(@nats-io|nats)\//.test(m),
  );
  assert.deepEqual(unconfigured, [], 'no modifier compiler, middleware, file/stdout/NATS output, .gor codec, file/NATS input or other mode');
  assert.ok(modules.some((m) => /\/pipeline\/identity\.[jt]s$/.test(m)), 'the identity pipeline stands in for the compiler');
  for (const b of ['http', 'https', 'tls', 'zlib', 'crypto']) assert.ok(!builtins.includes(b), `node:${b} is not loaded (${builtins.join(',')})`);
});
