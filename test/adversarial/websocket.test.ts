// A WebSocket session through the relay, against a tiny ws-ish echo server written on
// net: the raw Upgrade handshake, masked client frames (one of which looks like an HTTP
// request, one with bare LFs and NULs), unmasked echoes, a close frame. Bytes exact both
// ways; the tap stops at the 101 ('tunnel'): the upgrade request is mirrored once, no desync.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { createHash, randomBytes } from 'node:crypto';
import { rawExchange, startRecordingShadow } from '../helpers/net.js';
import { assertAccounted, shadowAccounting, startRawApp, startSidecar, tapTotals } from '../helpers/duplicator.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const acceptFor = (key: string) => createHash('sha1').update(key + GUID).digest('base64');

/** A client frame: FIN, opcode, masked payload (< 126 bytes). */
function clientFrame(opcode: number, payload: Buffer): Buffer {
  const mask = randomBytes(4);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length]), mask, masked]);
}
const serverFrame = (opcode: number, payload: Buffer) => Buffer.concat([Buffer.from([0x80 | opcode, payload.length]), payload]);

/** Handshake, then echo each frame unmasked; a close frame is echoed and ends the connection. */
function wsEcho(s: net.Socket): void {
  let buf = Buffer.alloc(0);
  let open = false;
  s.on('data', (c: Buffer) => {
    buf = Buffer.concat([buf, c]);
    if (!open) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      const key = /\r\nSec-WebSocket-Key: *(\S+)/i.exec(head)?.[1];
      if (!/\r\nUpgrade: *websocket/i.test(head) || !key) return void s.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
      s.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(key)}\r\n\r\n`);
      open = true;
      buf = buf.subarray(end + 4);
    }
    while (buf.length >= 6) {
      const opcode = buf[0]! & 0x0f;
      const len = buf[1]! & 0x7f;
      if (buf.length < 6 + len) return;
      const mask = buf.subarray(2, 6);
      const payload = Buffer.from(buf.subarray(6, 6 + len).map((b, i) => b ^ mask[i % 4]!));
      buf = buf.subarray(6 + len);
      s.write(serverFrame(opcode, payload));
      if (opcode === 0x8) return void s.end();
    }
  });
}

test('WebSocket through the relay: exact frames both ways, tap goes to tunnel without desync', { timeout: 60_000 }, async () => {
  const app = await startRawApp(wsEcho);
  const shadow = await startRecordingShadow();
  const dup = await startSidecar({ upstreamPort: app.port, shadowUrls: [shadow.url] });
  try {
    const key = randomBytes(16).toString('base64');
    const handshake = `GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    const payloads: Array<[number, Buffer]> = [
      [0x1, Buffer.from('hello over the tunnel')],
      [0x1, Buffer.from('GET /not-a-request HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n')],
      [0x2, Buffer.from([0x0a, 0x00, 0x0d, 0xff, 0x0a, 0x0a, 0x20, 0x09])],
      [0x8, Buffer.from([0x03, 0xe8])],
    ];
    const sock = net.connect({ host: '127.0.0.1', port: dup.port });
    await once(sock, 'connect');
    const got: Buffer[] = [];
    sock.on('data', (c: Buffer) => got.push(c));
    const ended = once(sock, 'end');
    sock.write(handshake);
    const expectedHead = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(key)}\r\n\r\n`;
    const sent: Buffer[] = [Buffer.from(handshake)];
    const deadline = Date.now() + 15_000;
    while (Buffer.concat(got).length < expectedHead.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(Buffer.concat(got).toString('latin1'), expectedHead);
    for (const [op, p] of payloads) {
      const f = clientFrame(op, p);
      sent.push(f);
      sock.write(f);
    }
    await ended;
    sock.destroy();
    const expected = Buffer.concat([Buffer.from(expectedHead), ...payloads.map(([op, p]) => serverFrame(op, p))]);
    assert.deepEqual(Buffer.concat(got), expected, 'the client gets the handshake and every echo, exactly');
    assert.deepEqual(Buffer.concat(app.connections[0]!), Buffer.concat(sent), 'the app gets the handshake and every masked frame, exactly');

    const { code, output } = await dup.stop();
    assert.equal(code, 0, output);
    assert.doesNotMatch(output, /tap-desync|tap-error/);
    const tap = tapTotals(output);
    assert.equal(tap.seen, 1, JSON.stringify(tap));
    assert.equal(tap['dropped.desync'] ?? 0, 0);
    assert.deepEqual(shadow.received.map((r) => r.url), ['/chat'], 'the upgrade request is mirrored once; frames never are');
    assert.equal(shadow.received[0]!.headers.upgrade, undefined, 'hop-by-hop Upgrade is not sent to the shadow');
    assertAccounted(shadowAccounting(output, shadow.url));
  } finally {
    dup.proc.kill();
    await shadow.close();
    await app.close();
  }
});

test('WebSocket frames sent in the same write as the handshake; a refused upgrade keeps HTTP mirroring', { timeout: 60_000 }, async () => {
  // /refuse answers 200 (no 101): the connection stays HTTP and the next request is a request.
  const app = await startRawApp((s) => {
    let refused = 0;
    s.on('end', () => s.end());
    s.on('data', (c: Buffer) => {
      if (refused > 0 || !c.toString('latin1').startsWith('GET /refuse')) return;
      const n = c.toString('latin1').split('\r\n\r\n').length - 1;
      for (; refused < n; refused++) s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno');
    });
  });
  const echo = await startRawApp(wsEcho);
  const shadow = await startRecordingShadow();
  const dupEcho = await startSidecar({ upstreamPort: echo.port, shadowUrls: [shadow.url] });
  const dupRefuse = await startSidecar({ upstreamPort: app.port, shadowUrls: [shadow.url] });
  try {
    // 1. Handshake and frames in one write, before any answer: the tap holds the frames until the 101, then tunnels.
    const key = randomBytes(16).toString('base64');
    const frames = [clientFrame(0x1, Buffer.from('early frame')), clientFrame(0x8, Buffer.from([0x03, 0xe8]))];
    const oneWrite = Buffer.concat([
      Buffer.from(`GET /early HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`),
      ...frames,
    ]);
    const got = await rawExchange(dupEcho.port, oneWrite);
    const expected = Buffer.concat([
      Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(key)}\r\n\r\n`),
      serverFrame(0x1, Buffer.from('early frame')),
      serverFrame(0x8, Buffer.from([0x03, 0xe8])),
    ]);
    assert.deepEqual(got, expected);
    assert.deepEqual(Buffer.concat(echo.connections[0]!), oneWrite);

    // 2. An upgrade the app refuses (200, no 101), then an ordinary pipelined request.
    const refuse = 'GET /refuse HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n\r\nGET /refuse-next HTTP/1.1\r\nHost: x\r\n\r\n';
    const answered = await rawExchange(dupRefuse.port, refuse, { halfClose: true });
    assert.equal(answered.toString(), 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nnoHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno');

    const a = await dupEcho.stop();
    const b = await dupRefuse.stop();
    for (const r of [a, b]) {
      assert.equal(r.code, 0, r.output);
      assert.doesNotMatch(r.output, /tap-desync|tap-error/);
      assertAccounted(shadowAccounting(r.output, shadow.url));
    }
    assert.deepEqual(shadow.received.map((r) => r.url).sort(), ['/early', '/refuse', '/refuse-next'], 'the held bytes after a refused upgrade are mirrored as the request they are');
  } finally {
    dupEcho.proc.kill();
    dupRefuse.proc.kill();
    await shadow.close();
    await app.close();
    await echo.close();
  }
});
