import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { decodeBody } from '../../src/compare/decode.js';

const h = (coding: string) => [{ name: 'Content-Encoding', value: coding }];
const text = Buffer.from('{"hello":"world"}'.repeat(10));

test('gzip, deflate (zlib and raw), br and stacked codings are removed', () => {
  for (const [coding, body] of [
    ['gzip', gzipSync(text)],
    ['x-gzip', gzipSync(text)],
    ['deflate', deflateSync(text)],
    ['deflate', deflateRawSync(text)],
    ['br', brotliCompressSync(text)],
    ['gzip, br', brotliCompressSync(gzipSync(text))],
    ['identity', text],
  ] as const) {
    const d = decodeBody(h(coding), body, 1 << 20);
    assert.ok(d.ok, coding);
    assert.deepEqual(d.body, text, coding);
  }
  assert.deepEqual(decodeBody([], text, 10), { ok: true, body: text });
});

test('a gzip bomb stops at the decoded-size cap: body_too_large, never the whole thing in memory', () => {
  const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024)); // 64 MiB of zeros, ~64 KB compressed
  assert.ok(bomb.length < 100_000);
  const before = process.memoryUsage().arrayBuffers;
  const d = decodeBody(h('gzip'), bomb, 1 << 20);
  assert.deepEqual(d, { ok: false, reason: 'body_too_large' });
  assert.ok(process.memoryUsage().arrayBuffers - before < 32 * 1024 * 1024);
});

test('garbage and unknown codings are undecodable, not a crash', () => {
  assert.deepEqual(decodeBody(h('gzip'), Buffer.from('not gzip at all'), 1 << 20), { ok: false, reason: 'undecodable' });
  assert.deepEqual(decodeBody(h('br'), Buffer.from([1, 2, 3, 4, 5]), 1 << 20), { ok: false, reason: 'undecodable' });
  assert.deepEqual(decodeBody(h('zstd'), text, 1 << 20), { ok: false, reason: 'undecodable' });
});
