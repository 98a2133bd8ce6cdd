import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createHttpOutput } from '../../src/outputs/http-output.js';
import { accounting, deps, httpOpts, request } from './helpers.js';

/** A self-signed cert made now with openssl, or the reason we can't. */
function selfSigned(): { key: Buffer; cert: Buffer } | string {
  const dir = mkdtempSync(join(tmpdir(), 'td-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore', timeout: 30_000 });
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } catch (err) {
    return `openssl unavailable: ${(err as Error).message}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const pem = selfSigned();

test('https shadow with a self-signed cert: tls errors without skip-verify, delivered with it', { skip: typeof pem === 'string' ? pem : false }, async () => {
  if (typeof pem === 'string') return;
  const got: string[] = [];
  const server = createServer(pem, (req, res) => {
    req.resume();
    req.on('end', () => {
      got.push(`${req.method} ${req.url} ${req.headers.host}`);
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `https://localhost:${(server.address() as AddressInfo).port}`;
  const d = deps();
  const strict = createHttpOutput(httpOpts(url, { name: 'strict' }), d);
  const lax = createHttpOutput(httpOpts(url, { name: 'lax', skipVerify: true, preserveHost: true }), d);
  try {
    for (let i = 0; i < 5; i++) {
      strict.offer(request(`/s?i=${i}`));
      lax.offer(request(`/l?i=${i}`, { method: 'POST', body: Buffer.from('x'), headers: [{ name: 'Host', value: 'app.example.com' }] }));
    }
    await Promise.all([strict.close(20_000), lax.close(20_000)]);
    assert.deepEqual(d.stats.entry('strict').errors, { tls: 5 });
    assert.equal(d.stats.entry('lax').mirrored, 5);
    assert.deepEqual(got.sort(), [0, 1, 2, 3, 4].map((i) => `POST /l?i=${i} app.example.com`));
    for (const n of ['strict', 'lax']) assert.ok(accounting(d.stats, n).balanced);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
