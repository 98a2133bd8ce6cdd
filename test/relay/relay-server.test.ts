import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { LISTEN_SOCKETS, RelayServer, listenSocketCount } from '../../src/relay/relay-server.js';
import type { ConnectionObserver } from '../../src/core/mirror.js';
import { createMemoryLogger } from '../../src/telemetry/logger.js';
import { rawExchange, refusedPort } from '../helpers/net.js';

const closers: Array<() => void | Promise<void>> = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});

/** A raw echo-ish upstream: answers each request line it sees with a fixed response. */
async function startApp(handler: (sock: net.Socket) => void): Promise<number> {
  const server = net.createServer({ allowHalfOpen: true }, handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as net.AddressInfo).port;
}

async function startRelay(upstreamPort: number | string, observe?: (id: string) => ConnectionObserver | undefined) {
  const log = createMemoryLogger();
  const relay = new RelayServer({
    listen: { host: '127.0.0.1', port: 0 },
    upstream: typeof upstreamPort === 'number' ? { kind: 'tcp', host: '127.0.0.1', port: upstreamPort } : { kind: 'unix', path: upstreamPort },
    log,
    observe,
  });
  const addr = await relay.listen();
  closers.push(() => relay.destroy());
  return { relay, port: addr.port, log };
}

test('bytes pass both ways untouched, including bytes no HTTP parser would accept', async () => {
  const appGot: Buffer[] = [];
  const reply = Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 3\r\nX-Odd:  spaced  \r\n\r\nabc');
  const appPort = await startApp((s) => {
    s.on('data', (c) => {
      appGot.push(c);
      if (Buffer.concat(appGot).includes('\r\n\r\n')) s.end(reply);
    });
  });
  const { port } = await startRelay(appPort);
  const request = Buffer.from('GET /a?b=1&c HTTP/1.1\r\nHost: x\r\nX-Weird:\tvalue \r\n\r\n');
  const got = await rawExchange(port, request);
  assert.deepEqual(got, reply);
  assert.deepEqual(Buffer.concat(appGot), request);
});

test('the tee sees the same chunks; an observer that throws never affects the relay', async () => {
  const appPort = await startApp((s) => s.on('data', () => s.end('HTTP/1.1 204 No Content\r\n\r\n')));
  let seen = 0;
  const { port } = await startRelay(appPort, () => ({
    fromClient: (c) => {
      seen += c.length;
      throw new Error('bug in the tee');
    },
    fromApp: () => {
      throw new Error('bug in the tee');
    },
    close: () => {
      throw new Error('bug in close');
    },
  }));
  const got = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.equal(got.toString(), 'HTTP/1.1 204 No Content\r\n\r\n');
  assert.ok(seen > 0);
});

test('answers 502 and logs when the app cannot be reached', async () => {
  const { port, log } = await startRelay(await refusedPort());
  const got = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.match(got.toString(), /^HTTP\/1\.1 502 Bad Gateway\r\n/);
  assert.ok(log.lines.some((l) => /at=upstream-error .*code=ECONNREFUSED/.test(l)), log.lines.join('\n'));
});

test('a half-closed client still gets its answer (HTTP/1.0 style)', async () => {
  const appPort = await startApp((s) => {
    let buf = '';
    s.on('data', (c) => (buf += c));
    s.on('end', () => s.end(`HTTP/1.0 200 OK\r\n\r\nread ${buf.length} bytes`));
  });
  const { port } = await startRelay(appPort);
  const req = 'GET / HTTP/1.0\r\n\r\n';
  const got = await rawExchange(port, req, { halfClose: true });
  assert.equal(got.toString(), `HTTP/1.0 200 OK\r\n\r\nread ${req.length} bytes`);
});

test('relays to a Unix socket upstream', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'td-unix-'));
  const sockPath = path.join(dir, 'app.sock');
  const server = http.createServer((_req, res) => res.end('over unix'));
  await new Promise<void>((r) => server.listen(sockPath, r));
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  const { port } = await startRelay(sockPath);
  const body = await new Promise<string>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/' }, (res) => {
      let b = '';
      res.on('data', (c) => (b += c));
      res.on('end', () => resolve(b));
    }).on('error', reject);
  });
  assert.equal(body, 'over unix');
});

test('a client that disconnects: the app sees the end of its connection, and the pair is released', async () => {
  let appSawEnd!: () => void;
  const sawEnd = new Promise<void>((r) => (appSawEnd = r));
  const appPort = await startApp((s) => {
    s.on('error', () => {});
    s.resume(); // read (and ignore) the request, so EOF is seen
    // As a real app server does on EOF: finish up and close its side.
    s.on('end', () => {
      appSawEnd();
      s.end();
    });
  });
  const { port, relay } = await startRelay(appPort);
  const c = net.connect({ host: '127.0.0.1', port });
  await new Promise((r) => c.once('connect', r));
  c.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
  await new Promise((r) => setTimeout(r, 50));
  c.destroy();
  await sawEnd;
  assert.ok(await relay.waitForIdle(5000), 'both sockets released');
});

test('listening sockets: several only where Node has reusePort (22.12+, 23.1+) on Linux', () => {
  assert.equal(listenSocketCount(16, '20.20.2', 'linux'), 1);
  assert.equal(listenSocketCount(16, '22.11.0', 'linux'), 1);
  assert.equal(listenSocketCount(16, '22.12.0', 'linux'), 16);
  assert.equal(listenSocketCount(16, '23.0.0', 'linux'), 1);
  assert.equal(listenSocketCount(16, '23.1.0', 'linux'), 16);
  assert.equal(listenSocketCount(16, '24.21.0', 'linux'), 16);
  assert.equal(listenSocketCount(16, '24.21.0', 'darwin'), 1, 'macOS does not spread connections over SO_REUSEPORT sockets');
  assert.equal(listenSocketCount(1, '24.21.0', 'linux'), 1);
});

test('a burst of new connections is relayed on every listening socket this Node opens, and none is accepted after stopAccepting', async () => {
  const appPort = await startApp((sock) => sock.on('data', () => sock.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok')));
  const log = createMemoryLogger();
  const relay = new RelayServer({ listen: { host: '127.0.0.1', port: 0 }, upstream: { kind: 'tcp', host: '127.0.0.1', port: appPort }, log });
  const addr = await relay.listen();
  closers.push(() => relay.destroy());
  assert.equal(addr.sockets, listenSocketCount(LISTEN_SOCKETS));
  const answers = await Promise.all(Array.from({ length: 30 }, () => rawExchange(addr.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n')));
  for (const a of answers) assert.match(a.toString('latin1'), /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok$/);
  relay.stopAccepting();
  await assert.rejects(rawExchange(addr.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'), /ECONNREFUSED/);
});
