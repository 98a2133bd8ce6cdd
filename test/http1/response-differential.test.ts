import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { ResponseMessage } from '../../src/core/message.js';
import { parseResponseBytes } from '../../src/http1/index.js';
import { latin1, tapHarness } from './run-tap.js';

/**
 * Response side of the differential test: a raw loopback server answers with fixed bytes,
 * Node's own HTTP client parses them, and so do we (through the tap, paired with the
 * request). Same status, headers, body, trailers — or both refuse.
 */
interface Case {
  name: string;
  method: string;
  response: string;
  /** The server closes after writing (read-until-close framing). */
  close?: boolean;
  reject?: string;
}

const cases: Case[] = [
  { name: 'Content-Length', method: 'GET', response: 'HTTP/1.1 200 OK\r\nX-A: 1\r\ncontent-length: 5\r\n\r\nhello' },
  { name: 'chunked with trailers', method: 'GET', response: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;e=1\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 9\r\n\r\n' },
  { name: 'read until close', method: 'GET', response: 'HTTP/1.1 200 OK\r\nX-B: 2\r\n\r\nthe rest\r\nof it', close: true },
  { name: 'HEAD with Content-Length', method: 'HEAD', response: 'HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n' },
  { name: '204', method: 'DELETE', response: 'HTTP/1.1 204 No Content\r\nX-C: 3\r\n\r\n' },
  { name: '304 with Content-Length', method: 'GET', response: 'HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n' },
  { name: '100 then 200', method: 'POST', response: 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok' },
  { name: 'CL and TE', method: 'GET', response: 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n', reject: 'cl_and_te' },
  { name: 'duplicate CL', method: 'GET', response: 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd', reject: 'duplicate_content_length' },
  { name: 'bad chunk size', method: 'GET', response: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\nabc\r\n0\r\n\r\n', reject: 'bad_chunk_size' },
];

let server: net.Server;
let port = 0;
let current: Case;

before(async () => {
  server = net.createServer((sock) => {
    let seen = '';
    sock.on('error', () => {});
    sock.on('data', (c: Buffer) => {
      seen += c.toString('latin1');
      if (!seen.includes('\r\n\r\n')) return;
      seen = '';
      sock.write(latin1(current.response));
      if (current.close || current.reject) sock.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

interface NodeGot { status: number; headers: [string, string][]; body: Buffer; trailers: [string, string][] }

function nodeClient(c: Case): Promise<NodeGot | Error> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, method: c.method, path: '/', agent: false, headers: { connection: 'close' } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('error', (e) => resolve(e));
      res.on('end', () => {
        const pairs = (raw: string[]) => raw.flatMap((v, i) => (i % 2 === 0 ? [[v, raw[i + 1]!] as [string, string]] : []));
        resolve({ status: res.statusCode!, headers: pairs(res.rawHeaders), body: Buffer.concat(parts), trailers: pairs(res.rawTrailers) });
      });
    });
    req.on('error', (e) => resolve(e));
    req.end();
  });
}

for (const c of cases) {
  test(`same response as Node's client: ${c.name}`, { timeout: 30_000 }, async () => {
    current = c;
    const got = await nodeClient(c);
    const h = tapHarness();
    h.conn.fromClient(latin1(`${c.method} / HTTP/1.1\r\nHost: a\r\n\r\n`));
    h.conn.fromApp(latin1(c.response));
    if (c.close) h.conn.close();
    const whole = parseResponseBytes(latin1(c.response.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, '')), {
      id: 'x', startNs: 0n, latencyNs: 0n, type: 'response', requestMethod: c.method,
    });
    if (c.reject) {
      assert.ok(got instanceof Error, 'Node accepted it');
      assert.equal(h.conn.state, 'desync');
      assert.match(h.log.lines.join('\n'), new RegExp(`reason=${c.reject}`));
      assert.equal(whole.ok, false);
      return;
    }
    assert.ok(!(got instanceof Error), String(got));
    const [ours] = h.messages.filter((m): m is ResponseMessage => m.type === 'response');
    assert.ok(ours, 'tap emitted no response');
    assert.ok(whole.ok);
    for (const m of [ours, whole.message]) {
      assert.equal(m.status, got.status);
      assert.deepEqual(m.headers.map((x) => [x.name, x.value]), got.headers);
      assert.deepEqual((m.trailers ?? []).map((x) => [x.name, x.value]), got.trailers);
      assert.equal(m.body.toString('latin1'), got.body.toString('latin1'));
    }
  });
}
