import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyError, parseDestination, requestPath, shadowWireBytes } from '../../src/outputs/http-request.js';
import { request } from './helpers.js';

const wire = (bytes: Buffer[]) => Buffer.concat(bytes).toString('latin1');

test("production's connection fields (Connection and what it lists, Keep-Alive, Proxy-Connection, Upgrade, Expect) are dropped; the rest kept in order", () => {
  const msg = request('/upload', {
    method: 'POST',
    body: Buffer.from('hello'),
    headers: [
      { name: 'Host', value: 'app.example.com' },
      { name: 'Connection', value: 'keep-alive, X-Hop' },
      { name: 'X-Hop', value: '1' },
      { name: 'Keep-Alive', value: 'timeout=5' },
      { name: 'Proxy-Connection', value: 'keep-alive' },
      { name: 'Upgrade', value: 'h2c' },
      { name: 'Expect', value: '100-continue' },
      { name: 'X-Request-Id', value: 'abc' },
      { name: 'cookie', value: 'a=1' },
      { name: 'Cookie', value: 'b=2' },
      { name: 'Content-Length', value: '5' },
    ],
  });
  const dest = parseDestination('http://shadow.internal:8080');
  const rest = 'X-Request-Id: abc\r\ncookie: a=1\r\nCookie: b=2\r\nContent-Length: 5\r\n\r\nhello';
  assert.equal(wire(shadowWireBytes(msg, dest, false)), `POST /upload HTTP/1.1\r\nHost: shadow.internal:8080\r\n${rest}`);
  assert.equal(wire(shadowWireBytes(msg, dest, true)), `POST /upload HTTP/1.1\r\nHost: app.example.com\r\n${rest}`);
});

test('a bodiless GET gets no Content-Length; a request without Host gets the destination host', () => {
  assert.equal(wire(shadowWireBytes(request('/x', { headers: [] }), parseDestination('https://shadow.example'), true)), 'GET /x HTTP/1.1\r\nHost: shadow.example\r\n\r\n');
});

test('a path prefix in the URL is prepended to the target, which is otherwise passed exactly', () => {
  assert.equal(parseDestination('http://h/').prefix, '');
  assert.equal(parseDestination('http://h/api/').prefix, '/api');
  assert.equal(requestPath('/a?b=1&c', ''), '/a?b=1&c');
  assert.equal(requestPath('/a?b=1&c', '/api'), '/api/a?b=1&c');
  assert.equal(requestPath('http://app/x?y', '/api'), '/api/x?y');
  assert.equal(requestPath('http://app/x?y', ''), 'http://app/x?y');
});

test('destinations: SNI only for https host names', () => {
  assert.equal(parseDestination('https://shadow.example:8443').servername, 'shadow.example');
  assert.equal(parseDestination('https://127.0.0.1:8443').servername, undefined);
  assert.equal(parseDestination('https://[::1]:8443').servername, undefined);
  assert.equal(parseDestination('http://shadow.example').servername, undefined);
  assert.throws(() => parseDestination('ftp://x'));
});

test('error kinds come from the code of the error or its causes', () => {
  const cases: [unknown, string][] = [
    [Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), 'connect_refused'],
    [Object.assign(new Error('x'), { code: 'UND_ERR_SOCKET' }), 'reset'],
    [new Error('wrapped', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) }), 'reset'],
    [Object.assign(new Error('x'), { code: 'ENOTFOUND' }), 'dns'],
    [Object.assign(new Error('x'), { code: 'UND_ERR_HEADERS_TIMEOUT' }), 'timeout'],
    [Object.assign(new Error('x'), { code: 'UND_ERR_CONNECT_TIMEOUT' }), 'timeout'],
    [Object.assign(new Error('x'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), 'tls'],
    [Object.assign(new Error('x'), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' }), 'tls'],
    [new Error('plain'), 'other'],
    ['a string', 'other'],
  ];
  for (const [err, kind] of cases) assert.equal(classifyError(err), kind, String(err));
});

// Issue 8: fields are edited in place now (no Host moved first); a message built in code
// (no raw bytes) has its de-chunked body framed by a Content-Length where its TE was.
test('shadowWireBytes: a message built in code: the request line, Host in place, TE → Content-Length in place, the body', async () => {
  const { shadowWireBytes } = await import('../../src/outputs/http-request.js');
  const msg = request('/a?b=1', {
    method: 'POST',
    body: Buffer.from('hello'),
    headers: [
      { name: 'Host', value: 'app.example.com' },
      { name: 'Transfer-Encoding', value: 'chunked' },
      { name: 'X-Id', value: '7' },
    ],
  });
  const wire = Buffer.concat(shadowWireBytes(msg, parseDestination('http://shadow:8080/pre'), false)).toString('latin1');
  assert.equal(wire, 'POST /pre/a?b=1 HTTP/1.1\r\nHost: shadow:8080\r\nContent-Length: 5\r\nX-Id: 7\r\n\r\nhello');
});
