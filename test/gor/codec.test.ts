import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeAll,
  encodeRecord,
  GorRecordReader,
  isPayloadSafe,
  parseMetaLine,
  PAYLOAD_SEPARATOR,
  type GorRecord,
  type MalformedRecord,
} from '../../src/gor/codec.js';
import { rng } from './helpers.js';

const M = '\u{1F435}\u{1F648}\u{1F649}';

test("the separator is gor's exact bytes: newline, three monkeys, newline", () => {
  assert.equal(PAYLOAD_SEPARATOR.toString('hex'), '0af09f90b5f09f9988f09f99890a');
});

test('encodes gor 1.x records: 4-field meta line, payload, separator (requests carry latency -1)', () => {
  const req = encodeRecord({ type: '1', id: 'abc', timestampNs: 17n, payload: Buffer.from('GET / HTTP/1.1\r\n\r\n') });
  assert.ok(req.ok);
  assert.equal(req.bytes.toString(), `1 abc 17 -1\nGET / HTTP/1.1\r\n\r\n\n${M}\n`);
  const resp = encodeRecord({ type: '2', id: 'abc', timestampNs: 17n, latencyNs: 5000n, payload: Buffer.from('HTTP/1.1 200 OK\r\n\r\n') });
  assert.ok(resp.ok);
  assert.equal(resp.bytes.toString(), `2 abc 17 5000\nHTTP/1.1 200 OK\r\n\r\n\n${M}\n`);
});

test('refuses payloads that hold a separator line, and only those', () => {
  for (const p of [`a\n${M}\nb`, `${M}\nrest`, `head\n${M}`, M, `a\n${M}\r\nb`]) {
    assert.equal(isPayloadSafe(Buffer.from(p)), false, JSON.stringify(p));
    const r = encodeRecord({ type: '1', id: 'x', timestampNs: 1n, payload: Buffer.from(p) });
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.reason, 'unsafe_payload');
      assert.match(r.error, /separator/);
    }
  }
  for (const p of [`a ${M} b`, `x${M}\n`, `\n${M}x\n`, `${M}${M}`, '']) assert.equal(isPayloadSafe(Buffer.from(p)), true, JSON.stringify(p));
});

test('meta lines: 3-field (gor 0.x), 4-field, extra fields and IP 4th field ignored, CR tolerated', () => {
  assert.deepEqual(parseMetaLine('1 8c37958efbf8650d6db54531c3a42df7a763ca60 1795267183932062021'), {
    ok: true,
    type: '1',
    id: '8c37958efbf8650d6db54531c3a42df7a763ca60',
    timestampNs: 1795267183932062021n,
  });
  assert.deepEqual(parseMetaLine('2 id 10 250 extra more\r'), { ok: true, type: '2', id: 'id', timestampNs: 10n, latencyNs: 250n });
  assert.deepEqual(parseMetaLine('1 id 10 192.168.1.102'), { ok: true, type: '1', id: 'id', timestampNs: 10n });
  assert.deepEqual(parseMetaLine('1 id 10 -1'), { ok: true, type: '1', id: 'id', timestampNs: 10n });
  const bad = parseMetaLine('GET / HTTP/1.1');
  assert.equal(bad.ok, false);
  assert.match(bad.ok ? '' : bad.error, /payload type "GET": expected 1, 2 or 3/);
  assert.match((parseMetaLine('1 id') as { error: string }).error, /expected "TYPE ID TIMESTAMP/);
  assert.match((parseMetaLine('1 id soon') as { error: string }).error, /timestamp "soon"/);
});

test('malformed records are skipped and reported with file, record number and line', () => {
  const text =
    `1 a 1 -1\nGET /a HTTP/1.1\r\n\r\n\n${M}\n` +
    `garbage without meta\n${M}\n` +
    `9 b 2\nGET /b HTTP/1.1\r\n\r\n\n${M}\n` +
    `1 c 3\nGET /c HTTP/1.1\r\n\r\n\n${M}\n` +
    `1 d 4\nGET /d HTTP/1.1\r\n`;
  const seen: MalformedRecord[] = [];
  const { records, reader } = decodeAll(Buffer.from(text), { source: 'x.gor', onMalformed: (m) => seen.push(m) });
  assert.deepEqual(records.map((r) => r.id), ['a', 'c']);
  assert.deepEqual(
    seen.map((m) => [m.source, m.record, m.line]),
    [
      ['x.gor', 2, 6],
      ['x.gor', 3, 8],
      ['x.gor', 5, 18],
    ],
  );
  assert.match(seen[1]!.error, /payload type "9"/);
  assert.match(seen[2]!.error, /file ends inside a record/);
  assert.equal(reader.malformed, 3);
  assert.equal(reader.truncated, 1);
});

test('a CRLF-converted file still decodes, and a trailing blank line is not a record', () => {
  const lf = `1 a 1 -1\nGET /a HTTP/1.1\n\n\n${M}\n1 b 2 -1\nGET /b HTTP/1.1\n\n\n${M}\n\n`;
  const crlf = lf.replace(/\n/g, '\r\n');
  const errors: MalformedRecord[] = [];
  const { records } = decodeAll(Buffer.from(crlf), { source: 'win.gor', onMalformed: (m) => errors.push(m) });
  assert.deepEqual(errors, []);
  assert.deepEqual(records.map((r) => [r.id, r.payload.toString()]), [
    ['a', 'GET /a HTTP/1.1\r\n\r\n'],
    ['b', 'GET /b HTTP/1.1\r\n\r\n'],
  ]);
});

function randomPayload(next: () => number): Buffer {
  const pieces = ['\n', '\r\n', M, `\n${M}`, 'GET / HTTP/1.1\r\n', '\u{1F435}', '🙈🙉', ' '];
  const parts: Buffer[] = [];
  const n = Math.floor(next() * 12);
  for (let i = 0; i < n; i++) {
    const k = next();
    if (k < 0.4) {
      const len = Math.floor(next() * 300);
      const b = Buffer.alloc(len);
      for (let j = 0; j < len; j++) b[j] = Math.floor(next() * 256);
      parts.push(b);
    } else parts.push(Buffer.from(pieces[Math.floor(next() * pieces.length)]!));
  }
  return Buffer.concat(parts);
}

test('property: every safe record survives encode → split into random chunks → decode (seeded)', () => {
  for (const seed of [1, 2, 3, 42, 2024]) {
    const next = rng(seed);
    const input: GorRecord[] = [];
    let refused = 0;
    const stream: Buffer[] = [];
    for (let i = 0; i < 300; i++) {
      const idLen = 1 + Math.floor(next() * 48);
      const id = Array.from({ length: idLen }, () => '0123456789abcdef'[Math.floor(next() * 16)]).join('');
      const type = (['1', '2', '3'] as const)[Math.floor(next() * 3)]!;
      const rec: GorRecord =
        type === '1'
          ? { type, id, timestampNs: BigInt(Math.floor(next() * 1e15)), payload: randomPayload(next) }
          : { type, id, timestampNs: BigInt(Math.floor(next() * 1e15)), latencyNs: BigInt(Math.floor(next() * 1e9)), payload: randomPayload(next) };
      const enc = encodeRecord(rec);
      if (!enc.ok) {
        refused++;
        assert.equal(isPayloadSafe(rec.payload), false);
        continue;
      }
      input.push(rec);
      stream.push(enc.bytes);
    }
    const all = Buffer.concat(stream);
    const reader = new GorRecordReader({ source: `seed-${seed}`, onMalformed: (m) => assert.fail(`seed ${seed}: ${m.error} at record ${m.record}`) });
    const out: GorRecord[] = [];
    for (let off = 0; off < all.length; ) {
      const len = 1 + Math.floor(next() * 700);
      out.push(...reader.push(all.subarray(off, off + len)));
      off += len;
    }
    out.push(...reader.end());
    assert.equal(out.length, input.length, `seed ${seed}`);
    for (let i = 0; i < input.length; i++) {
      const a = input[i]!;
      const b = out[i]!;
      assert.equal(b.type, a.type);
      assert.equal(b.id, a.id);
      assert.equal(b.timestampNs, a.timestampNs);
      assert.equal(b.latencyNs, a.latencyNs);
      assert.ok(b.payload.equals(a.payload), `seed ${seed} record ${i}`);
    }
    assert.ok(refused > 0, `seed ${seed} should exercise refusals`);
  }
});
