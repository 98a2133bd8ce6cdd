import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { RequestMessage, ResponseMessage } from '../../src/core/message.js';
import { decodeAll } from '../../src/gor/codec.js';
import { recordToMessage } from '../../src/gor/records.js';
import { createFileOutput } from '../../src/outputs/file-output.js';
import { chunkName, expandTemplate } from '../../src/outputs/file-path.js';
import { Stats } from '../../src/telemetry/stats.js';
import { memoryLog } from '../gor/helpers.js';
import { fileOpts } from './helpers.js';

function req(n: number, path = `/r/${n}`, body = ''): RequestMessage {
  return {
    type: 'request',
    id: `id${String(n).padStart(4, '0')}`,
    startNs: 1_700_000_000_000_000_000n + BigInt(n) * 1_000_000n,
    method: body ? 'POST' : 'GET',
    target: path,
    version: 'HTTP/1.1',
    headers: body ? [{ name: 'Host', value: 'app' }, { name: 'Content-Length', value: String(body.length) }] : [{ name: 'Host', value: 'app' }],
    body: Buffer.from(body),
  };
}

function resp(n: number): ResponseMessage {
  return {
    type: 'response',
    id: `id${String(n).padStart(4, '0')}`,
    startNs: 1_700_000_000_000_000_000n + BigInt(n) * 1_000_000n,
    latencyNs: 1234n,
    version: 'HTTP/1.1',
    status: 200,
    reason: 'OK',
    headers: [{ name: 'Content-Length', value: '2' }],
    body: Buffer.from('ok'),
  };
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'td-file-out-'));
}

function decodeFile(path: string) {
  let bytes = readFileSync(path);
  if (path.endsWith('.gz')) bytes = gunzipSync(bytes);
  const { records, reader } = decodeAll(bytes, { source: path });
  assert.equal(reader.malformed, 0, `${path} has malformed records`);
  return records;
}

const fixedNow = () => new Date(2024, 0, 2, 3, 4, 5, 678);

test("templates expand gor's %Y %m %d %H %M %S %NS %r %t %i; chunk index goes before the last extension", () => {
  const ctx = { now: fixedNow(), id: 'abc', type: '1', instanceId: 'inst' };
  assert.equal(expandTemplate('/x/%Y-%m-%d/%H%M%S.%NS-%r-%t-%i.gor', ctx), '/x/2024-01-02/030405.678000000-abc-1-inst.gor');
  assert.equal(chunkName('/x/requests.gor', 3), '/x/requests_3.gor');
  assert.equal(chunkName('/x/requests.gor.gz', 0), '/x/requests.gor_0.gz');
});

test('append mode writes to the expanded name as is; requests and responses round-trip', async () => {
  const dir = tmp();
  try {
    const stats = new Stats();
    const out = createFileOutput(fileOpts(join(dir, '%Y%m%d', 'cap-%H.gor'), { append: true, flushIntervalMs: 50 }), { stats, log: memoryLog(), now: fixedNow });
    assert.equal(out.wants(req(1)), true);
    assert.equal(out.wants(resp(1)), true);
    assert.equal(out.wants({ ...resp(1), type: 'replayed-response' }), true, 'type 3 too (--output-http-track-response)');
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(out.offer(req(i, `/r/${i}`, i === 1 ? 'hello' : '')), { accepted: true });
      assert.deepEqual(out.offer(resp(i)), { accepted: true });
    }
    assert.deepEqual(out.offer({ ...resp(2), type: 'replayed-response' }), { accepted: true });
    await out.close(5000);
    const path = join(dir, '20240102', 'cap-03.gor');
    const recs = decodeFile(path);
    assert.deepEqual(recs.map((r) => `${r.type}:${r.id}`), ['1:id0000', '2:id0000', '1:id0001', '2:id0001', '1:id0002', '2:id0002', '3:id0002']);
    assert.equal(recs[1]!.latencyNs, 1234n);
    const m = recordToMessage(recs[2]!);
    assert.ok(m.ok && m.message.type === 'request');
    assert.equal((m.message as RequestMessage).body.toString(), 'hello');
    assert.equal((m.message as RequestMessage).target, '/r/1');
    assert.equal(stats.entry(out.name).mirrored, 7);
    // gor 1.x meta line: 4 fields, requests with latency -1.
    assert.match(readFileSync(path, 'latin1'), /^1 id0000 1700000000000000000 -1\nGET \/r\/0 HTTP\/1\.1\r\n/);

    // Appending again keeps what is there.
    const again = createFileOutput(fileOpts(join(dir, '%Y%m%d', 'cap-%H.gor'), { append: true, flushIntervalMs: 50 }), { stats, log: memoryLog(), now: fixedNow });
    again.offer(req(9));
    await again.close(5000);
    assert.equal(decodeFile(path).length, 8);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without append: _N chunks by record count (queueLimit), continuing after chunks already on disk', async () => {
  const dir = tmp();
  try {
    writeFileSync(join(dir, 'requests_3.gor'), 'an earlier run');
    writeFileSync(join(dir, 'requests_10.gor'), 'an earlier run');
    const stats = new Stats();
    const out = createFileOutput(fileOpts(join(dir, 'requests.gor'), { append: false, queueLimit: 2, flushIntervalMs: 50 }), { stats, log: memoryLog() });
    for (let i = 0; i < 5; i++) out.offer(req(i));
    await out.close(5000);
    assert.deepEqual(readdirSync(dir).sort(), ['requests_10.gor', 'requests_11.gor', 'requests_12.gor', 'requests_13.gor', 'requests_3.gor']);
    assert.equal(readFileSync(join(dir, 'requests_10.gor'), 'utf8'), 'an earlier run', 'never truncates an earlier chunk');
    assert.deepEqual([11, 12, 13].map((n) => decodeFile(join(dir, `requests_${n}.gor`)).map((r) => r.id)), [['id0000', 'id0001'], ['id0002', 'id0003'], ['id0004']]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without append: _N chunks by size (sizeLimitBytes)', async () => {
  const dir = tmp();
  try {
    const out = createFileOutput(fileOpts(join(dir, 'big.gor'), { append: false, queueLimit: 0, sizeLimitBytes: 1000, flushIntervalMs: 50 }), { stats: new Stats(), log: memoryLog() });
    for (let i = 0; i < 6; i++) out.offer(req(i, '/up', 'x'.repeat(400)));
    await out.close(5000);
    const files = readdirSync(dir).sort();
    assert.ok(files.length >= 2, `expected several chunks, got ${files.join(',')}`);
    let total = 0;
    for (const f of files) {
      assert.match(f, /^big_\d+\.gor$/);
      const n = decodeFile(join(dir, f)).length;
      assert.ok(n >= 1);
      total += n;
    }
    assert.equal(total, 6);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('.gz names are gzip (one member per flush) and decode to the same records', async () => {
  const dir = tmp();
  try {
    const stats = new Stats();
    const out = createFileOutput(fileOpts(join(dir, 'cap.gor.gz'), { append: false, flushIntervalMs: 10 }), { stats, log: memoryLog() });
    out.offer(req(1));
    await out.flush();
    out.offer(req(2, '/p', 'body'));
    out.offer(resp(2));
    await out.close(5000);
    assert.deepEqual(readdirSync(dir), ['cap.gor_0.gz']);
    const raw = readFileSync(join(dir, 'cap.gor_0.gz'));
    assert.equal(raw[0], 0x1f);
    assert.equal(raw[1], 0x8b);
    assert.deepEqual(decodeFile(join(dir, 'cap.gor_0.gz')).map((r) => r.id), ['id0001', 'id0002', 'id0002']);
    assert.equal(stats.entry(out.name).mirrored, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a payload holding gor's separator is refused as unsafe_payload; the file stays clean", async () => {
  const dir = tmp();
  try {
    const stats = new Stats();
    const out = createFileOutput(fileOpts(join(dir, 'a.gor'), { append: true, flushIntervalMs: 50 }), { stats, log: memoryLog() });
    const evil = req(2, '/evil', 'a\n\u{1F435}\u{1F648}\u{1F649}\nb');
    assert.deepEqual(out.offer(req(1)), { accepted: true });
    assert.deepEqual(out.offer(evil), { accepted: false, reason: 'unsafe_payload' });
    assert.deepEqual(out.offer(req(3)), { accepted: true });
    await out.close(5000);
    assert.deepEqual(decodeFile(join(dir, 'a.gor')).map((r) => r.id), ['id0001', 'id0003']);
    // The refusal is returned (the fan-out counts it); the output counts every offer as seen.
    assert.equal(stats.entry(out.name).seen, 3);
    assert.equal(stats.entry(out.name).mirrored, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('offers beyond the queue byte bound are dropped memory_budget at once, never blocking', async () => {
  const dir = tmp();
  try {
    const stats = new Stats();
    const out = createFileOutput(fileOpts(join(dir, 'q.gor'), { append: true, flushIntervalMs: 50, queue: { maxItems: 1000, maxBytes: 3000 } }), { stats, log: memoryLog() });
    const results = Array.from({ length: 20 }, (_, i) => out.offer(req(i, '/q', 'y'.repeat(500))));
    const accepted = results.filter((r) => r.accepted).length;
    assert.ok(accepted >= 1 && accepted < 20);
    assert.equal(results.filter((r) => !r.accepted && r.reason === 'memory_budget').length, 20 - accepted);
    assert.equal(stats.entry(out.name).seen, 20);
    await out.close(5000);
    assert.equal(decodeFile(join(dir, 'q.gor')).length, accepted);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unopenable path is counted (one errors.write per lost copy), logged, and never throws', async () => {
  const dir = tmp();
  try {
    writeFileSync(join(dir, 'plainfile'), '');
    const stats = new Stats();
    const log = memoryLog();
    const out = createFileOutput(fileOpts(join(dir, 'plainfile', 'sub', 'x.gor'), { append: true, flushIntervalMs: 50 }), { stats, log });
    for (let i = 0; i < 5; i++) assert.deepEqual(out.offer(req(i)), { accepted: true });
    await out.close(5000);
    const e = stats.entry(out.name);
    assert.equal(e.errors.write, 5, 'each accepted copy that could not be written is one error');
    assert.equal(e.mirrored, 0);
    assert.equal(e.seen, 5);
    const errLines = log.lines.filter((l) => l.includes('at=file-output-error'));
    assert.equal(errLines.length, 1, 'rate-limited to one line');
    assert.match(errLines[0]!, /level=error .*op=open .*code=(ENOTDIR|EEXIST)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a full disk (64 KiB tmpfs): ENOSPC is counted and logged, drops counted, and the file holds only whole records', async (t) => {
  const dir = tmp();
  const mnt = join(dir, 'mnt');
  mkdirSync(mnt);
  try {
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { stdio: 'pipe' });
    } catch (err) {
      t.skip(`cannot mount a tmpfs here (${(err as Error).message.split('\n')[0]})`);
      return;
    }
    try {
      const stats = new Stats();
      const log = memoryLog();
      const out = createFileOutput(fileOpts(join(mnt, 'full.gor'), { append: true, flushIntervalMs: 10 }), { stats, log });
      const n = 40;
      for (let i = 0; i < n; i++) {
        assert.deepEqual(out.offer(req(i, '/big', 'z'.repeat(3000 + i))), { accepted: true });
        if (i % 4 === 3) await out.flush();
      }
      await out.close(5000);
      const e = stats.entry(out.name);
      assert.ok((e.errors.write ?? 0) >= 1, 'ENOSPC counted as a write error');
      assert.equal(e.mirrored + (e.errors.write ?? 0), n, 'every accepted copy is written or counted as an error');
      const recs = decodeFile(join(mnt, 'full.gor'));
      assert.equal(recs.length, e.mirrored, 'no torn record left behind');
      assert.ok(log.lines.some((l) => /at=file-output-error .*code=ENOSPC/.test(l)));
    } finally {
      execFileSync('umount', [mnt]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--output-file-max-size-limit counts what was written or waits to be, not copies the queue refused', async () => {
  const dir = tmp();
  try {
    const probe = createFileOutput(fileOpts(join(dir, 'probe.gor'), { append: true }), { stats: new Stats(), log: memoryLog() });
    probe.offer(req(0, '/m'));
    await probe.close(5000);
    const recordBytes = readFileSync(join(dir, 'probe.gor')).length;
    const stats = new Stats();
    const path = join(dir, 'burst.gor');
    // Room for 10 records and a byte: the 11th crosses the limit and is kept, as gor does.
    const out = createFileOutput(fileOpts(path, { append: true, maxSizeBytes: 10 * recordBytes + 1, queue: { maxItems: 2, maxBytes: 1 << 20 } }), { stats, log: memoryLog() });
    const why = (r: { accepted: boolean; reason?: string }) => (r.accepted ? 'ok' : r.reason);
    // A burst into a queue of 2: two are taken, the rest refused queue_full, none size_limit.
    const burst = Array.from({ length: 50 }, (_, i) => why(out.offer(req(i, '/m'))));
    assert.deepEqual([burst.filter((w) => w === 'ok').length, burst.filter((w) => w === 'queue_full').length], [2, 48], burst.join(' '));
    await out.flush();
    // Then one at a time: written until the limit, refused after it.
    const later: (string | undefined)[] = [];
    for (let i = 0; i < 12; i++) {
      later.push(why(out.offer(req(100 + i, '/m'))));
      await out.flush();
    }
    await out.close(5000);
    assert.deepEqual(later, [...Array<string>(9).fill('ok'), 'size_limit', 'size_limit', 'size_limit']);
    assert.equal(decodeFile(path).length, 11);
    assert.equal(stats.entry(out.name).mirrored, 11);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("--output-file-max-size-limit: once the output has written that much (all chunks), later copies are refused size_limit, as gor stops writing", async () => {
  const dir = tmp();
  try {
    const stats = new Stats();
    // Same-size records (ids and targets have fixed widths): measure one. Records per chunk 2,
    // so the limit spans chunks; it falls inside the 5th record.
    const probe = createFileOutput(fileOpts(join(dir, 'probe.gor'), { append: true }), { stats: new Stats(), log: memoryLog() });
    probe.offer(req(0, '/m'));
    await probe.close(5000);
    const recordBytes = readFileSync(join(dir, 'probe.gor')).length;
    const out = createFileOutput(fileOpts(join(dir, 'max.gor'), { queueLimit: 2, maxSizeBytes: 4 * recordBytes + 1 }), { stats, log: memoryLog() });
    const results = Array.from({ length: 10 }, (_, i) => out.offer(req(i, '/m')));
    await out.close(5000);
    assert.deepEqual(
      results.map((r) => (r.accepted ? 'ok' : r.reason)),
      ['ok', 'ok', 'ok', 'ok', 'ok', 'size_limit', 'size_limit', 'size_limit', 'size_limit', 'size_limit'],
      'the record that crosses the limit is written (as gor), none after it',
    );
    const files = readdirSync(dir).filter((f) => f.startsWith('max')).sort();
    assert.deepEqual(files, ['max_0.gor', 'max_1.gor', 'max_2.gor']);
    assert.equal(files.flatMap((f) => decodeFile(join(dir, f))).length, 5);
    assert.equal(stats.entry(out.name).mirrored, 5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
