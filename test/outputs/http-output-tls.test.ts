import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

test('https keep-alive: bursts of copies sent after the loop turn\'s I/O (as the relay sends them) reuse their connections', { skip: typeof pem === 'string' ? pem : false }, async () => {
  if (typeof pem === 'string') return;
  // The shadow in its own process, as in production: its answers arrive on our next poll.
  const dir = mkdtempSync(join(tmpdir(), 'td-tls-'));
  writeFileSync(join(dir, 'key.pem'), pem.key);
  writeFileSync(join(dir, 'cert.pem'), pem.cert);
  const script = [
    "const fs = require('fs'); let connections = 0;",
    "const s = require('https').createServer({ key: fs.readFileSync(process.argv[1] + '/key.pem'), cert: fs.readFileSync(process.argv[1] + '/cert.pem') },",
    "  (q, r) => { q.resume(); q.on('end', () => r.end(q.url === '/count' ? String(connections) : 'ok')); });",
    "s.keepAliveTimeout = 60000; // a slow CI host must not see idle closes as new connections",
    "s.on('secureConnection', () => connections++);",
    "s.listen(0, '127.0.0.1', () => console.log('PORT ' + s.address().port));",
  ].join('\n');
  const child = spawn(process.execPath, ['-e', script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        const m = /PORT (\d+)/.exec(c.toString());
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', () => reject(new Error('tls shadow exited')));
    });
    const d = deps();
    const out = createHttpOutput(httpOpts(`https://127.0.0.1:${port}`, { skipVerify: true, warmConnections: 0, workers: 4 }), d);
    try {
      // Offered from setImmediate, like the deferred tee. A TLS socket reports its write done
      // from a later immediate, after the answer was read: the connection must still be
      // reused (it used to be closed as if the shadow had answered early).
      for (let round = 0; round < 20; round++) {
        await new Promise<void>((r) => setImmediate(() => {
          for (let i = 0; i < 50; i++) out.offer(request(`/k/${round}/${i}`));
          r();
        }));
        const deadline = Date.now() + 10_000;
        while (accounting(d.stats, out.name).settled < 50 * (round + 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
      }
      // Every copy settles. On a loaded CI host a connection can still fail (once: 954 of
      // 1,000 mirrored in a full-suite run, the rest counted); what this test holds is that
      // nothing is lost uncounted and that healthy connections are reused, below.
      const a = accounting(d.stats, out.name);
      assert.equal(a.settled, 1000, JSON.stringify(d.stats.entry(out.name)));
      assert.ok(a.mirrored >= 900, JSON.stringify(d.stats.entry(out.name)));
    } finally {
      await out.close(2000);
    }
    const count = await fetchCount(port);
    // workers=4 connections; a little slack for a connection lost on a loaded host.
    assert.ok(count <= 6, `about workers=4 TLS connections for 1,000 copies in bursts, got ${count}`);
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Asks the shadow how many TLS connections it accepted (this question's own included, so minus one). */
async function fetchCount(port: number): Promise<number> {
  const { request: httpsRequest } = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path: '/count', rejectUnauthorized: false, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(Number(body) - 1));
    });
    req.on('error', reject);
    req.end();
  });
}
