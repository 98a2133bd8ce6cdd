import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import type { ErrorKind } from '../../src/outputs/http-request.js';
import type { RequestMessage, ResponseMessage } from '../../src/core/message.js';
import { createHttpOutput } from '../../src/outputs/http-output.js';
import { freePort, waitForPort } from '../helpers/net.js';
import { accounting, deps, rawServer, recordingServer, refusedPort, request, until, httpOpts as opts } from './helpers.js';

/**
 * The copy sender against real peers on loopback: scripted raw shadows for each response
 * framing (HEAD, 204, 304, chunked, close-delimited, 1xx), keep-alive reuse and the stale
 * keep-alive race, and real servers (Node's http, nginx, Python's http.server).
 */


interface Seen {
  conn: number;
  head: string;
}

/**
 * A raw shadow: cuts requests (head + Content-Length body) off each connection and writes
 * whatever `answer` returns for each. It records the most requests ever unanswered at once
 * on one connection (pipelining), and which connection each request came on.
 */
async function scripted(answer: (head: string, s: Socket, conn: number, nth: number) => string | null) {
  const seen: Seen[] = [];
  let conns = 0;
  let maxUnanswered = 0;
  const server = await rawServer((s) => {
    const conn = ++conns;
    let buf = Buffer.alloc(0);
    let nth = 0;
    s.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const ready: string[] = [];
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) break;
        const head = buf.subarray(0, end).toString('latin1');
        const cl = /\r\ncontent-length: *(\d+)/i.exec(head);
        const total = end + 4 + (cl ? Number(cl[1]) : 0);
        if (buf.length < total) break;
        ready.push(head);
        buf = buf.subarray(total);
      }
      maxUnanswered = Math.max(maxUnanswered, ready.length);
      for (const head of ready) {
        seen.push({ conn, head });
        const out = answer(head, s, conn, nth++);
        if (out !== null && !s.destroyed) s.write(out);
      }
    });
  });
  return { ...server, seen, connections: () => conns, maxUnanswered: () => maxUnanswered };
}

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';

test('keep-alive: sequential copies reuse one connection; a burst never puts two requests on one socket', async () => {
  const shadow = await scripted(() => OK);
  const d = deps();
  const out = createHttpOutput(opts(shadow.url, { workers: 4, warmConnections: 0 }), d);
  try {
    for (let i = 0; i < 20; i++) {
      out.offer(request(`/seq/${i}`));
      await until(() => d.stats.entry(out.name).mirrored === i + 1, 10_000, `copy ${i}`);
    }
    assert.equal(shadow.connections(), 1, 'one connection for 20 sequential copies');
    for (let i = 0; i < 200; i++) out.offer(request(`/burst/${i}`));
    await until(() => d.stats.entry(out.name).mirrored === 220, 10_000, 'the burst');
    assert.ok(shadow.connections() <= 4, `at most workers=4 connections, got ${shadow.connections()}`);
    assert.equal(shadow.maxUnanswered(), 1, 'never pipelined');
  } finally {
    await out.close(1000);
    await shadow.close();
  }
  assert.ok(accounting(d.stats, out.name).balanced);
});

test('an answer before the whole request is written: the copies queued behind it go once the write ends, with no new offer', async () => {
  // A shadow that rejects uploads at once (an auth check): it answers 401 as soon as a
  // request's head is in, then reads nothing for 200 ms, so our 8 MiB write is still pending
  // when the answer comes. With one worker, the connection is free only when that write ends.
  let conns = 0;
  const shadow = await rawServer((s) => {
    conns++;
    let head = Buffer.alloc(0);
    let skip = 0;
    s.on('data', (chunk: Buffer) => {
      let rest = chunk;
      while (rest.length > 0) {
        if (skip > 0) {
          const n = Math.min(skip, rest.length);
          skip -= n;
          rest = rest.subarray(n);
          continue;
        }
        head = Buffer.concat([head, rest]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        const cl = /\r\ncontent-length: *(\d+)/i.exec(head.subarray(0, end).toString('latin1'));
        skip = cl ? Number(cl[1]) : 0;
        rest = head.subarray(end + 4);
        head = Buffer.alloc(0);
        s.write('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n');
        s.pause();
        setTimeout(() => s.resume(), 200);
      }
    });
  });
  const d = deps();
  const out = createHttpOutput(opts(shadow.url, { workers: 1, warmConnections: 0 }), d);
  try {
    const body = Buffer.alloc(8 << 20, 97);
    out.offer(request('/upload', { method: 'POST', body, headers: [{ name: 'Host', value: 'app.example.com' }] }));
    out.offer(request('/next'));
    await until(() => d.stats.entry(out.name).mirrored === 2, 10_000, 'both copies delivered with no further offer');
    assert.equal(conns, 1, 'the connection was reused once its write had ended');
  } finally {
    await out.close(1000);
    await shadow.close();
  }
  const books = accounting(d.stats, out.name);
  assert.ok(books.balanced && books.mirrored === 2, JSON.stringify(books));
});

test('response framings: HEAD, 204, 304, chunked with trailers, 1xx before the answer — all on one reused connection', async () => {
  const shadow = await scripted((head) => {
    const path = head.split(' ')[1]!;
    if (head.startsWith('HEAD')) return 'HTTP/1.1 200 OK\r\nContent-Length: 12345\r\n\r\n'; // no body follows a HEAD answer
    if (path === '/204') return 'HTTP/1.1 204 No Content\r\n\r\n';
    if (path === '/304') return 'HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n';
    if (path === '/chunked') return 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n';
    if (path === '/early-hints') return 'HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n' + OK;
    return OK;
  });
  const d = deps();
  const got: ResponseMessage[] = [];
  const out = createHttpOutput(opts(shadow.url, { workers: 1, onResponse: (r) => got.push(r) }), d);
  try {
    const paths = ['/head', '/204', '/304', '/chunked', '/early-hints', '/last'];
    for (const p of paths) {
      out.offer(request(p, { method: p === '/head' ? 'HEAD' : 'GET' }));
      await until(() => got.length === paths.indexOf(p) + 1, 10_000, p);
    }
    assert.deepEqual(got.map((r) => r.status), [200, 204, 304, 200, 200, 200]);
    assert.equal(got[3]!.body.toString(), 'hello world');
    assert.equal(got[4]!.body.toString(), 'ok');
    assert.equal(shadow.connections(), 1, 'every framing left the connection reusable');
    assert.deepEqual(out.statusClasses, { '1xx': 0, '2xx': 5, '3xx': 1, '4xx': 0, '5xx': 0 });
  } finally {
    await out.close(1000);
    await shadow.close();
  }
  assert.deepEqual(d.stats.entry(out.name).errors, {});
});

test('close-delimited and Connection: close answers are delivered, and the next copy opens a new connection', async () => {
  const shadow = await scripted((head, s) => {
    if (head.includes('/until-close')) {
      s.end('HTTP/1.1 200 OK\r\n\r\nbody until close');
      return null;
    }
    if (head.includes('/http10')) return 'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok'; // 1.0 without keep-alive: closes
    return 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok';
  });
  const d = deps();
  const got: ResponseMessage[] = [];
  const out = createHttpOutput(opts(shadow.url, { workers: 1, onResponse: (r) => got.push(r) }), d);
  try {
    for (const [i, p] of ['/until-close', '/conn-close', '/http10', '/until-close'].entries()) {
      out.offer(request(p));
      await until(() => got.length === i + 1, 10_000, p);
    }
    assert.equal(got[0]!.body.toString(), 'body until close');
    assert.equal(got[3]!.body.toString(), 'body until close');
    assert.equal(shadow.connections(), 4);
  } finally {
    await out.close(1000);
    await shadow.close();
  }
  assert.equal(d.stats.entry(out.name).mirrored, 4);
});

test('stale keep-alive: a shadow that closes a reused connection without answering — an idempotent copy is sent once more, a POST is counted as reset', async () => {
  // Every connection answers its first request and silently closes on the second: the race
  // of a keep-alive timeout that fires just as our request arrives.
  const shadow = await scripted((_head, s, _conn, nth) => {
    if (nth === 0) return OK;
    s.destroy();
    return null;
  });
  const d = deps();
  const failed: Array<[string, ErrorKind | 'shutdown']> = [];
  const out = createHttpOutput(opts(shadow.url, { workers: 1, onCopyFailed: (r: RequestMessage, k) => failed.push([r.target, k]) }), d);
  try {
    out.offer(request('/first'));
    await until(() => d.stats.entry(out.name).mirrored === 1, 10_000, 'first');
    out.offer(request('/get-on-stale'));
    await until(() => d.stats.entry(out.name).mirrored === 2, 10_000, 'the GET retried on a fresh connection');
    assert.equal(out.staleRetries, 1);
    out.offer(request('/post-on-stale', { method: 'POST', body: Buffer.from('x') }));
    await until(() => failed.length === 1, 10_000, 'the POST to fail');
    assert.equal(d.stats.entry(out.name).errors.reset, 1);
    assert.deepEqual(failed, [['/post-on-stale', 'reset']]);
    assert.equal(out.staleRetries, 1, 'a POST is never sent twice');
  } finally {
    await out.close(1000);
    await shadow.close();
  }
  assert.ok(accounting(d.stats, out.name).balanced);
});

test('a shadow that closes idle keep-alive connections: the next copy just opens a new one, no error', async () => {
  const shadow = await recordingServer();
  shadow.server.keepAliveTimeout = 50; // Node closes idle sockets after 50 ms
  const d = deps();
  const out = createHttpOutput(opts(shadow.url, { workers: 2 }), d);
  try {
    for (let i = 0; i < 3; i++) {
      out.offer(request(`/idle/${i}`));
      await until(() => d.stats.entry(out.name).mirrored === i + 1, 10_000, `copy ${i}`);
      await new Promise((r) => setTimeout(r, 150)); // longer than the shadow's keep-alive timeout
    }
  } finally {
    await out.close(1000);
    await shadow.close();
  }
  assert.deepEqual(d.stats.entry(out.name).errors, {});
  assert.equal(shadow.got.length, 3);
});

test('onCopyFailed: once per accepted copy that ends without a response, with its reason', async () => {
  const port = await refusedPort();
  const d = deps();
  const failed: Array<ErrorKind | 'shutdown'> = [];
  const out = createHttpOutput(opts(`http://127.0.0.1:${port}`, { workers: 1, onCopyFailed: (_r, k) => failed.push(k) }), d);
  for (let i = 0; i < 3; i++) out.offer(request(`/r/${i}`));
  await until(() => failed.length === 3, 10_000, 'three failures');
  await out.close(100);
  assert.deepEqual(failed, ['connect_refused', 'connect_refused', 'connect_refused']);
  const hole = await rawServer((s) => s.resume());
  const d2 = deps();
  const failed2: Array<ErrorKind | 'shutdown'> = [];
  const out2 = createHttpOutput(opts(hole.url, { workers: 1, onCopyFailed: (_r, k) => failed2.push(k) }), d2);
  try {
    for (let i = 0; i < 3; i++) out2.offer(request(`/h/${i}`));
    await until(() => out2.inFlight === 1, 10_000, 'one in flight');
    await out2.close(50);
    assert.deepEqual(failed2, ['shutdown', 'shutdown', 'shutdown'], 'one in flight and two queued');
  } finally {
    await hole.close();
  }
});

test('warm connections are opened before any copy', async () => {
  const shadow = await scripted(() => OK);
  const d = deps();
  const out = createHttpOutput(opts(shadow.url, { workers: 8, warmConnections: 3 }), d);
  try {
    await until(() => shadow.connections() === 3, 10_000, 'three warm connections');
    out.offer(request('/after-warm'));
    await until(() => d.stats.entry(out.name).mirrored === 1, 10_000, 'the copy');
    assert.equal(shadow.connections(), 3, 'the copy used a warm connection');
  } finally {
    await out.close(1000);
    await shadow.close();
  }
});

/** Sends 50 copies (GET, HEAD, POST with a body) to `url` and checks all arrive as delivered. */
async function fiftyTo(url: string): Promise<void> {
  const d = deps();
  const out = createHttpOutput(opts(url, { workers: 4 }), d);
  try {
    for (let i = 0; i < 50; i++) {
      const method = i % 3 === 0 ? 'GET' : i % 3 === 1 ? 'HEAD' : 'POST';
      out.offer(request(`/real/${i}`, method === 'POST' ? { method, body: Buffer.alloc(1000 + i, 97) } : { method }));
    }
    await until(() => d.stats.entry(out.name).mirrored + Object.values(d.stats.entry(out.name).errors).reduce((a, b) => a + b, 0) === 50, 20_000, '50 settled');
    assert.equal(d.stats.entry(out.name).mirrored, 50, JSON.stringify(d.stats.entry(out.name).errors));
  } finally {
    await out.close(1000);
  }
}

const python = spawnSync('python3', ['--version']).status === 0;
test("against Python's http.server (HTTP/1.0 answers: a connection per copy)", { skip: python ? false : 'python3 missing' }, async () => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'td-py-'));
  writeFileSync(join(dir, 'index.html'), 'hi');
  const py = spawn('python3', ['-m', 'http.server', '--bind', '127.0.0.1', String(port)], { cwd: dir, stdio: 'ignore' });
  try {
    await waitForPort(port, 15_000);
    await fiftyTo(`http://127.0.0.1:${port}`); // GET/HEAD → 404 or 200, POST → 501: all answered
  } finally {
    py.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

const nginxBin = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => spawnSync(p, ['-v']).status === 0);
test('against nginx (keep-alive, closing every 10th connection)', { skip: nginxBin ? false : 'nginx missing' }, async () => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'td-nginx-'));
  writeFileSync(
    join(dir, 'nginx.conf'),
    `pid ${dir}/nginx.pid; error_log ${dir}/error.log; events {} http { access_log off; client_body_temp_path ${dir}; keepalive_requests 10;
     server { listen 127.0.0.1:${port}; location / { return 200 "ok\\n"; } } }\n`,
  );
  const ng = spawn(nginxBin!, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log'), '-g', 'daemon off;'], { stdio: 'ignore' });
  try {
    await waitForPort(port, 15_000);
    await fiftyTo(`http://127.0.0.1:${port}`); // keepalive_requests 10: nginx closes every 10th answer
  } finally {
    ng.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
