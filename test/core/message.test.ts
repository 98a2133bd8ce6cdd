// withChanges: how rules edit a message. The copy keeps production's raw bytes (not
// enumerable) and a chunked body's lazy decoding; the original is never touched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withChanges, type RequestMessage } from '../../src/core/message.js';
import { parseRequestHead } from '../../src/http1/head-parser.js';
import { rawHead, rawMessage, withRaw } from '../../src/http1/raw.js';
import { requestHead, requestBody } from '../../src/http1/serialize.js';

function readRequest(head: string, body: Buffer[], chunked: boolean): RequestMessage {
  const bytes = Buffer.from(head, 'latin1');
  const h = parseRequestHead(bytes);
  return withRaw<RequestMessage>(
    { type: 'request', id: 'a1', startNs: 1n, method: h.method, target: h.target, version: h.version, headers: h.headers },
    rawMessage(rawHead(bytes, [h.method, h.target, h.version], h), body, chunked),
  );
}

test('a changed field: the copy has it, keeps the raw bytes (not enumerable), and the original is unchanged', () => {
  const msg = readRequest('POST /a HTTP/1.1\r\nHost: app\r\nContent-Length: 2\r\n\r\n', [Buffer.from('hi')], false);
  const edited = withChanges(msg, { headers: [{ name: 'Host', value: 'shadow' }, msg.headers[1]!] });
  assert.deepEqual(edited.headers, [{ name: 'Host', value: 'shadow' }, { name: 'Content-Length', value: '2' }]);
  assert.equal(edited.raw, msg.raw);
  assert.deepEqual(Object.keys(edited), Object.keys(msg), 'the same fields, in the same order');
  assert.ok(!Object.keys(edited).includes('raw'));
  assert.equal(({ ...edited } as RequestMessage).raw, undefined, 'a spread still drops the raw bytes');
  assert.equal(edited.body.toString(), 'hi');
  assert.equal(msg.headers[0]!.value, 'app');
  // Sent as production's bytes with only the Host line re-emitted.
  assert.equal(requestHead(edited).toString('latin1'), 'POST /a HTTP/1.1\r\nHost: shadow\r\nContent-Length: 2\r\n\r\n');
  assert.equal(requestBody(edited).toString(), 'hi');
});

test('a chunked body stays undecoded until read, in the copy as in the original', () => {
  const framed = [Buffer.from('2\r\nhi\r\n'), Buffer.from('0\r\n\r\n')];
  const msg = readRequest('POST /c HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: chunked\r\n\r\n', framed, true);
  const edited = withChanges(msg, { target: '/d' });
  assert.equal(typeof Object.getOwnPropertyDescriptor(edited, 'body')!.get, 'function', 'still a getter: nothing decoded by the edit');
  assert.equal(edited.target, '/d');
  assert.equal(edited.body.toString(), 'hi');
  assert.equal(requestBody(edited).toString('latin1'), '2\r\nhi\r\n0\r\n\r\n', 'sent with its framing as received');
  assert.equal(msg.target, '/c');
});

test('a field the message did not have is added after the others', () => {
  const msg = readRequest('GET / HTTP/1.1\r\nHost: app\r\n\r\n', [], false);
  const trailers = [{ name: 'X-T', value: '1' }];
  const edited = withChanges(msg, { trailers });
  assert.equal(edited.trailers, trailers);
  assert.deepEqual(Object.keys(edited).slice(-1), ['trailers']);
  assert.equal(edited.raw, msg.raw);
});
