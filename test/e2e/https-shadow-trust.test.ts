// An https shadow signed by a CA of the user's (a company CA, a staging CA), trusted the way
// Node is told to trust one: NODE_EXTRA_CA_CERTS. The built CLI verifies it without
// --output-http-skip-verify. Every connection of a destination shares one TLS context
// (outputs/http/pool.ts), so this also holds that the shared context still carries the CA
// store node builds, extra certificates included, and that later connections resume the
// first one's session instead of a full handshake each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNodeApp } from '../helpers/duplicator.js';
import { startSidecar } from '../helpers/wrapper.js';
import { eventually } from '../helpers/net.js';

/** A CA, and a certificate for localhost that it signed; or why openssl could not make them. */
function caAndLeaf(dir: string): { caFile: string; key: Buffer; cert: Buffer } | string {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore', timeout: 30_000 });
  try {
    run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=traffic-duplicator test CA', '-keyout', 'ca.key', '-out', 'ca.pem']);
    run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', 'leaf.key', '-out', 'leaf.csr']);
    // Verification checks the DNS name in the certificate's extensions, not its CN.
    writeFileSync(join(dir, 'leaf.ext'), 'subjectAltName=DNS:localhost\n');
    run(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', 'leaf.ext', '-out', 'leaf.pem']);
    return { caFile: join(dir, 'ca.pem'), key: readFileSync(join(dir, 'leaf.key')), cert: readFileSync(join(dir, 'leaf.pem')) };
  } catch (err) {
    return `openssl unavailable: ${(err as Error).message}`;
  }
}

test('an https shadow signed by a CA from NODE_EXTRA_CA_CERTS is verified (no skip-verify); later connections resume the session', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'td-ca-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pki = caAndLeaf(dir);
  if (typeof pki === 'string') return t.skip(pki);

  const got: string[] = [];
  let connections = 0;
  let resumed = 0;
  const shadow: Server = createServer({ key: pki.key, cert: pki.cert }, (req, res) => {
    req.resume();
    req.on('end', () => {
      got.push(req.url ?? '');
      res.end('ok');
    });
  });
  shadow.on('secureConnection', (s: TLSSocket) => {
    connections++;
    if (s.isSessionReused()) resumed++;
  });
  await new Promise<void>((r) => shadow.listen(0, '127.0.0.1', r));
  t.after(() => {
    shadow.closeAllConnections();
    shadow.close();
  });
  const app = await startNodeApp();
  t.after(() => app.proc.kill());
  const url = `https://localhost:${(shadow.address() as AddressInfo).port}`;

  const dup = await startSidecar({ upstreamPort: app.port, shadowUrls: [url], env: { NODE_EXTRA_CA_CERTS: pki.caFile } });
  let stopped = false;
  t.after(async () => {
    if (!stopped) await dup.stop();
  });
  // Bursts of concurrent requests: copies that find no idle connection open new ones.
  const N = 40;
  for (let burst = 0; burst < 4; burst++) {
    const results = await Promise.all(
      Array.from({ length: N / 4 }, (_, i) => getOnce(`http://127.0.0.1:${dup.port}/t/${burst}/${i}`)),
    );
    assert.deepEqual(results, Array(N / 4).fill(200));
  }
  await eventually(() => got.length >= N, 15_000, `the shadow to receive ${N} copies (got ${got.length})`);
  const { output } = await dup.stop();
  stopped = true;

  const mirrored = /at=stats-total dest=https:\/\/localhost:\d+\/ seen=(\d+) mirrored=(\d+)(.*)/.exec(output);
  assert.ok(mirrored, output);
  assert.deepEqual([mirrored[1], mirrored[2], mirrored[3]], [String(N), String(N), ''], `every copy delivered, no tls error: ${mirrored[0]}`);
  assert.equal(got.length, N);
  assert.ok(connections >= 2, `a burst opened more than one connection (${connections})`);
  assert.ok(resumed >= 1, `later connections resumed the first one's session: ${resumed} of ${connections}`);
});

/** One GET on its own connection (no keep-alive agent: the CLI's shutdown waits for open clients). */
function getOnce(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject);
  });
}
