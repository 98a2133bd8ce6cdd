/**
 * Issue 8, "copies are production's bytes": varied requests go through the real relay and
 * tap (a real client, a real Node app, real loopback sockets); each copy is written as
 * `shadowWireBytes` gives it to a raw recording shadow, and must equal the client's bytes
 * except for the edits README "What a shadow receives" documents. The same copies also go
 * to a Node http shadow, which must decode every body (chunked included) as the app did.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import type { RequestMessage } from '../../src/core/message.js';
import { createTap } from '../../src/inputs/tap.js';
import { shadowWireBytes, parseDestination } from '../../src/outputs/http-request.js';
import { RelayServer } from '../../src/relay/relay-server.js';
import { createMemoryLogger } from '../../src/telemetry/logger.js';
import { Stats } from '../../src/telemetry/stats.js';
import { startRawApp, sleep } from '../helpers/duplicator.js';
import { rawExchange, sha256, startRecordingShadow } from '../helpers/net.js';

interface Case {
  name: string;
  /** What the client sends, byte for byte (latin1: one char per byte). */
  wire: string;
  /** The decoded body the app (and a shadow) must read. */
  body: string;
}

const CASES: Case[] = [
  {
    name: 'odd whitespace and empty values',
    wire: 'GET /ws?a=1 HTTP/1.1\r\nHost: app.example\r\nX-User:    1   \r\nCookie:\r\nX-Tab:\tv\t\r\nx-lower-case: Yes\r\n\r\n',
    body: '',
  },
  {
    name: 'duplicate fields and obs-text',
    wire: 'GET /dup HTTP/1.1\r\nHost: app.example\r\nCookie: a=1\r\nX-Latin: caf\xe9 \xff\r\nCookie: b=2\r\nX-Dup: 1\r\nX-Dup: 2\r\n\r\n',
    body: '',
  },
  {
    name: 'chunked with extensions and trailers',
    wire:
      'POST /chunked HTTP/1.1\r\nHost: app.example\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n' +
      '5;ext=1\r\nhello\r\n6;name="q"\r\n world\r\n0\r\nX-Sum: 11\r\n\r\n',
    body: 'hello world',
  },
  {
    name: 'HTTP/1.0 without Host, with a body',
    wire: 'POST /old HTTP/1.0\r\nUser-Agent: legacy\r\nContent-Length: 4\r\n\r\nabcd',
    body: 'abcd',
  },
  {
    name: 'Expect: 100-continue',
    wire: 'PUT /expect HTTP/1.1\r\nHost: app.example\r\nExpect: 100-continue\r\nContent-Length: 3\r\nX-After: e\r\n\r\nxyz',
    body: 'xyz',
  },
  {
    name: 'Connection: close and Keep-Alive',
    wire: 'GET /close HTTP/1.1\r\nConnection: close\r\nHost: app.example\r\nKeep-Alive: timeout=5\r\nX-After: c\r\n\r\n',
    body: '',
  },
  {
    name: 'Connection listing a field, absolute-form target',
    wire: 'GET http://app.example/abs?q=1 HTTP/1.1\r\nHost: app.example\r\nConnection: keep-alive, X-Hop\r\nX-Hop: h\r\nX-Keep: k\r\n\r\n',
    body: '',
  },
];

/**
 * The documented edits, written independently of the code under test: Host's value becomes
 * the shadow's (a Host line is added after the request line when there is none), the
 * connection's own lines go (Connection and what it lists, Keep-Alive, Expect), HTTP/1.0
 * becomes HTTP/1.1. Everything else — every other byte of the head and the body — stays.
 */
function expectedCopy(wire: string, shadowHost: string): string {
  const headEnd = wire.indexOf('\r\n\r\n');
  const lines = wire.slice(0, headEnd).split('\r\n');
  const body = wire.slice(headEnd + 4);
  let start = lines[0]!;
  if (start.endsWith(' HTTP/1.0')) start = start.slice(0, -3) + '1.1';
  const fields = lines.slice(1);
  const listed = new Set<string>();
  for (const f of fields) {
    const [name, value] = [f.slice(0, f.indexOf(':')), f.slice(f.indexOf(':') + 1)];
    if (name.toLowerCase() === 'connection') for (const t of value.split(',')) listed.add(t.trim().toLowerCase());
  }
  const kept: string[] = [];
  let hostSeen = false;
  for (const f of fields) {
    const name = f.slice(0, f.indexOf(':')).toLowerCase();
    if (['connection', 'keep-alive', 'expect'].includes(name) || listed.has(name)) continue;
    if (name === 'host' && !hostSeen) {
      hostSeen = true;
      kept.push(`${f.slice(0, 4)}: ${shadowHost}`);
    } else kept.push(f);
  }
  if (!hostSeen) kept.unshift(`Host: ${shadowHost}`);
  return [start, ...kept].join('\r\n') + '\r\n\r\n' + body;
}

test('copies through the real relay and tap are the client\'s bytes, with only the documented edits', async () => {
  // The app: Node's http server reads every request and answers with what it decoded.
  const appSaw = new Map<string, string>();
  const app = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      appSaw.set(req.url ?? '', Buffer.concat(parts).toString('latin1'));
      res.end('ok');
    });
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  const appPort = (app.address() as net.AddressInfo).port;

  // Two shadows: one records raw bytes per connection, one is a real HTTP server.
  const rawShadow = await startRawApp((sock) => sock.on('end', () => sock.end()));
  const httpShadow = await startRecordingShadow();
  const rawDest = parseDestination(`http://127.0.0.1:${rawShadow.port}`);
  const httpDest = parseDestination(httpShadow.url);

  const copies: RequestMessage[] = [];
  const stats = new Stats();
  const log = createMemoryLogger();
  const tap = createTap({
    maxBodyBytes: 1024 * 1024,
    captureResponses: false,
    stats,
    log,
    emit: (m) => {
      if (m.type === 'request') copies.push(m);
    },
  });
  const relay = new RelayServer({
    listen: { host: '127.0.0.1', port: 0 },
    upstream: { kind: 'tcp', host: '127.0.0.1', port: appPort },
    log,
    observe: (id) => tap.open(id),
  });
  const sent: net.Socket[] = [];
  try {
    const { port } = await relay.listen();
    for (const c of CASES) {
      const answer = await rawExchange(port, Buffer.from(c.wire, 'latin1'), {
        until: (got) => got.includes('\r\n\r\nok'),
        timeoutMs: 10_000,
      });
      assert.match(answer.toString('latin1'), /^HTTP\/1\.[01] (100 Continue\r\n\r\nHTTP\/1\.[01] )?200 OK/, `${c.name}: production answered`);
    }
    for (let i = 0; i < 100 && copies.length < CASES.length; i++) await sleep(20);
    assert.equal(copies.length, CASES.length, 'every request was copied');

    // Each copy on its own connection to each shadow, written exactly as the sender will.
    for (const copy of copies) {
      for (const [dest, port] of [[rawDest, rawShadow.port], [httpDest, httpShadow.port]] as const) {
        const sock = net.connect({ host: '127.0.0.1', port });
        sent.push(sock);
        sock.on('error', () => {});
        await once(sock, 'connect');
        for (const b of shadowWireBytes(copy, dest, false)) sock.write(b);
        if (dest === rawDest) sock.end();
        else sock.on('data', () => sock.end());
      }
    }
    for (let i = 0; i < 250 && (httpShadow.received.length < CASES.length || rawShadow.connections.length < CASES.length); i++) await sleep(20);

    const rawCopies = rawShadow.connections.map((parts) => Buffer.concat(parts).toString('latin1'));
    for (const c of CASES) {
      const expected = expectedCopy(c.wire, rawDest.host);
      assert.ok(rawCopies.includes(expected), `${c.name}: the shadow got\n${JSON.stringify(expected)}\namong\n${rawCopies.map((r) => JSON.stringify(r)).join('\n')}`);
      const target = c.wire.slice(c.wire.indexOf(' ') + 1, c.wire.indexOf(' HTTP/'));
      const path = target.startsWith('/') ? target : new URL(target).pathname + new URL(target).search;
      assert.equal(appSaw.get(target) ?? appSaw.get(path), c.body, `${c.name}: the app decoded the body`);
      const atShadow = httpShadow.received.find((r) => r.url === target || r.url === path);
      assert.ok(atShadow, `${c.name}: the HTTP shadow answered it`);
      assert.equal(atShadow.bodySha, sha256(Buffer.from(c.body, 'latin1')), `${c.name}: the HTTP shadow decoded the same body as the app`);
    }
    assert.equal(stats.entry('tap').seen, CASES.length);
  } finally {
    for (const s of sent) s.destroy();
    relay.destroy();
    await Promise.all([rawShadow.close(), httpShadow.close(), new Promise<void>((r) => app.close(() => r()))]);
  }
});
