/**
 * Issue 8: a copy is the request as received, and the user's modifiers edit it in place —
 * a changed field re-emits only its line, a rewritten target only the request line, the
 * rest stays byte for byte (odd whitespace, empty values, case, chunk framing). Checked on
 * what a shadow receives (shadowWireBytes) and what a .gor file stores (serializeRequest).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestMessage } from '../../src/core/message.js';
import { parseRequestBytes, serializeRequest } from '../../src/http1/index.js';
import { compileModifiers, isDropped } from '../../src/pipeline/index.js';
import { gorFlag } from '../pipeline/gor-flag.js';
import { parseDestination, shadowWireBytes } from '../../src/outputs/http-request.js';
import { requestHead } from '../../src/http1/serialize.js';

const DEST = parseDestination('http://127.0.0.1:9000');
const WIRE =
  'POST /v1/user/joe/ping?x=1 HTTP/1.1\r\n' +
  'Host: app.example.com\r\n' +
  'X-User:    1   \r\n' +
  'Cookie:\r\n' +
  'x-trace: AbC\r\n' +
  'Transfer-Encoding: chunked\r\n' +
  '\r\n' +
  '4;e=1\r\nwxyz\r\n0\r\nX-T: 1\r\n\r\n';
const BODY = '4;e=1\r\nwxyz\r\n0\r\nX-T: 1\r\n\r\n';

function parse(wire: string): RequestMessage {
  const r = parseRequestBytes(Buffer.from(wire, 'latin1'), { id: 'a1', startNs: 1n });
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.message;
}

function run(msg: RequestMessage, flags: [string, string][]): RequestMessage {
  const out = compileModifiers(flags.map(([flag, value]) => gorFlag(flag, value, 'test'))).run(msg);
  assert.ok(!isDropped(out), 'not dropped');
  return out;
}

const wire = (m: RequestMessage, preserveHost = false) => Buffer.concat(shadowWireBytes(m, DEST, preserveHost)).toString('latin1');
const file = (m: RequestMessage) => serializeRequest(m).toString('latin1');
const withHost = (w: string, host: string) => w.replace('Host: app.example.com', `Host: ${host}`);

test('no modifiers: the file gets the request as received; the shadow too, with only Host edited in place', () => {
  const m = parse(WIRE);
  assert.equal(file(m), WIRE);
  assert.equal(requestHead(m), m.raw?.head.bytes, 'an unmodified head is the received buffer itself: nothing re-serialized');
  assert.equal(wire(m), withHost(WIRE, '127.0.0.1:9000'));
  assert.equal(wire(m, true), WIRE, '--http-original-host keeps the Host line as received');
  assert.equal(m.body.toString(), 'wxyz', 'the decoded body is still available');
});

test('set-header: an existing field re-emits only its line; a new one is inserted after the request line', () => {
  const m = run(parse(WIRE), [['--http-set-header', 'X-User: 2'], ['--http-set-header', 'X-New: n']]);
  const expected = WIRE.replace('X-User:    1   \r\n', 'X-User: 2\r\n').replace('HTTP/1.1\r\n', 'HTTP/1.1\r\nX-New: n\r\n');
  assert.equal(file(m), expected);
  assert.equal(wire(m), withHost(expected, '127.0.0.1:9000'));
});

test('set-header Host is kept as set (it makes the output preserve Host)', () => {
  const flags: [string, string][] = [['--http-set-header', 'Host: shadow.example']];
  const pipeline = compileModifiers(flags.map(([flag, value]) => gorFlag(flag, value, 'test')));
  assert.equal(pipeline.setsHost, true);
  const m = run(parse(WIRE), flags);
  assert.equal(wire(m, pipeline.setsHost), withHost(WIRE, 'shadow.example'));
});

test('header filters that pass change nothing: the same bytes', () => {
  const m0 = parse(WIRE);
  const m = run(m0, [['--http-allow-header', 'x-trace: ^AbC$'], ['--http-disallow-header', 'X-User: ^2']]);
  assert.equal(m, m0);
  assert.equal(file(m), WIRE);
});

test('rewrite-url rebuilds only the request line; the destination prefix goes before the rewritten target', () => {
  const m = run(parse(WIRE), [['--http-rewrite-url', '/v1/user/([^\\/]+)/ping:/v2/user/$1/ping']]);
  const expected = WIRE.replace('/v1/user/joe/ping', '/v2/user/joe/ping');
  assert.equal(file(m), expected);
  const prefixed = Buffer.concat(shadowWireBytes(m, parseDestination('http://127.0.0.1:9000/api'), false)).toString('latin1');
  assert.equal(prefixed, withHost(expected.replace('POST /v2', 'POST /api/v2'), '127.0.0.1:9000'));
});

test('rewrite-header re-emits only the rewritten line', () => {
  const m = run(parse(WIRE), [['--http-rewrite-header', 'x-trace: A(.*),Z$1']]);
  const expected = WIRE.replace('x-trace: AbC', 'x-trace: ZbC');
  assert.equal(file(m), expected);
  assert.ok(file(m).endsWith(BODY), 'the chunked body is kept as received after an edit');
});

test('a gor capture body without framing fields: the file keeps it as is, the shadow gets a Content-Length', () => {
  const stored = 'POST /form HTTP/1.1\r\nHost: a\r\n\r\nk=v';
  const m = parse(stored);
  assert.equal(file(m), stored);
  assert.equal(wire(m), 'POST /form HTTP/1.1\r\nHost: 127.0.0.1:9000\r\nContent-Length: 3\r\n\r\nk=v');
});
