import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Message, RequestMessage } from '../../src/core/message.js';
import { UsageError } from '../../src/core/errors.js';
import { encodeRecord, type GorRecord } from '../../src/gor/codec.js';
import { createFileInput } from '../../src/inputs/file-input.js';
import { segmentToRegExp } from '../../src/inputs/file-input-glob.js';
import { Stats } from '../../src/telemetry/stats.js';
import { memoryLog } from '../gor/helpers.js';

const MS = 1_000_000n;
const T0 = 1_700_000_000_000n * MS;

function rec(id: string, atMs: number, type: '1' | '2' = '1'): Buffer {
  const r: GorRecord =
    type === '1'
      ? { type, id, timestampNs: T0 + BigInt(atMs) * MS, payload: Buffer.from(`GET /${id} HTTP/1.1\r\nHost: a\r\n\r\n`) }
      : { type, id, timestampNs: T0 + BigInt(atMs) * MS, latencyNs: 5n * MS, payload: Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n') };
  const e = encodeRecord(r);
  assert.ok(e.ok);
  return e.bytes;
}

/** A fake clock whose sleep advances it exactly: the schedule is what we assert on. */
function fakeClock() {
  let t = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(Math.round(ms * 1000) / 1000);
      t += ms;
    },
  };
}

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'td-file-in-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

test('replays with the original gaps, scaled by speed, capped by max-wait; skips responses', async () => {
  const { dir, cleanup } = setup();
  try {
    writeFileSync(join(dir, 'a.gor'), Buffer.concat([rec('a', 0), rec('a', 40, '2'), rec('b', 100), rec('c', 300), rec('d', 5300)]));
    for (const [speed, maxWait, expected] of [
      [100, undefined, [40, 60, 200, 5000]],
      [200, undefined, [20, 30, 100, 2500]],
      [50, 1000, [80, 120, 400, 1000]],
    ] as const) {
      const clock = fakeClock();
      const got: Message[] = [];
      const emittedAt: number[] = [];
      const input = createFileInput(
        { files: [{ pattern: join(dir, 'a.gor'), speedPercent: speed }], loop: false, dryRun: false, ...(maxWait ? { maxWaitMs: maxWait } : {}) },
        { emit: (m) => (got.push(m), emittedAt.push(clock.now())), stats: new Stats(), log: memoryLog(), sleep: clock.sleep, now: clock.now },
      );
      const res = await input.run();
      assert.deepEqual(clock.sleeps, expected, `speed ${speed}%`);
      assert.deepEqual(got.map((m) => (m as RequestMessage).target), ['/a', '/b', '/c', '/d']);
      assert.deepEqual(emittedAt, [0, expected[0] + expected[1], expected[0] + expected[1] + expected[2], expected.reduce((a, b) => a + b, 0)]);
      assert.equal(res.records, 5);
      assert.equal(res.requests, 4);
      assert.equal(res.responses, 1, 'the type 2 record is a response, not a skipped record');
      assert.equal(res.skipped, 0);
      assert.equal(res.durationNs, BigInt(expected.reduce((a, b) => a + b, 0)) * MS);
      assert.equal(got[0]!.startNs, T0);
    }
  } finally {
    cleanup();
  }
});

test('several files (glob, one gzipped) are merged by timestamp', async () => {
  const { dir, cleanup } = setup();
  try {
    writeFileSync(join(dir, 'cap_0.gor'), Buffer.concat([rec('a', 0), rec('c', 20), rec('e', 40)]));
    writeFileSync(join(dir, 'cap_1.gor.gz'), gzipSync(Buffer.concat([rec('b', 10), rec('d', 30)])));
    writeFileSync(join(dir, 'other.gor'), rec('zzz', 5));
    const clock = fakeClock();
    const got: string[] = [];
    const input = createFileInput(
      { files: [{ pattern: join(dir, 'cap_*'), speedPercent: 100 }], loop: false, dryRun: false },
      { emit: (m) => got.push((m as RequestMessage).target), stats: new Stats(), log: memoryLog(), sleep: clock.sleep, now: clock.now },
    );
    await input.run();
    assert.deepEqual(got, ['/a', '/b', '/c', '/d', '/e']);
    assert.deepEqual(clock.sleeps, [10, 10, 10, 10]);
  } finally {
    cleanup();
  }
});

test('a capture cut short (.gz without its end, not gzip at all) ends that file only: its records so far go, the others go on, counted and logged', async () => {
  const { dir, cleanup } = setup();
  try {
    // A writer killed mid-file (a dyno restart): the gzip stream has no trailer.
    const whole = gzipSync(Buffer.concat(Array.from({ length: 20 }, (_, i) => rec(`a${i}`, i * 2))));
    writeFileSync(join(dir, 'cap_0.gor.gz'), whole.subarray(0, whole.length - 8));
    writeFileSync(join(dir, 'cap_1.gor'), Buffer.concat([rec('b0', 1), rec('b1', 3)]));
    writeFileSync(join(dir, 'cap_2.gor.gz'), 'not gzip at all');
    mkdirSync(join(dir, 'cap_3.gor')); // a directory matching the pattern is not a capture
    const clock = fakeClock();
    const got: string[] = [];
    const stats = new Stats();
    const log = memoryLog();
    const input = createFileInput(
      { files: [{ pattern: join(dir, 'cap_*'), speedPercent: 100 }], loop: false, dryRun: false },
      { emit: (m) => got.push((m as RequestMessage).target), stats, log, sleep: clock.sleep, now: clock.now },
    );
    const res = await input.run();
    assert.deepEqual(got.filter((t) => t.startsWith('/b')), ['/b0', '/b1'], 'the intact file is replayed whole');
    assert.ok(got.filter((t) => t.startsWith('/a')).length >= 19, `the records before the cut are replayed: ${got.join(' ')}`);
    assert.equal(stats.entry('tap').errors.input_file_unreadable, 2, 'the cut .gz and the file that is not gzip');
    assert.equal(log.lines.filter((l) => l.includes('at=input-file-unreadable')).length, 2, log.lines.join('\n'));
    assert.ok(log.lines.some((l) => l.includes('at=input-file-done')), 'the replay ends normally');
    assert.equal(res.requests, got.length);
  } finally {
    cleanup();
  }
});

test('the recorded answer to a HEAD (a Content-Length, no body) is read, when answers are used', async () => {
  const { dir, cleanup } = setup();
  try {
    const head: GorRecord = { type: '1', id: 'h1', timestampNs: T0, payload: Buffer.from('HEAD /h HTTP/1.1\r\nHost: a\r\n\r\n') };
    const answer: GorRecord = { type: '2', id: 'h1', timestampNs: T0 + MS, latencyNs: MS, payload: Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n') };
    writeFileSync(join(dir, 'h.gor'), Buffer.concat([head, answer].map((r) => { const e = encodeRecord(r); assert.ok(e.ok); return e.bytes; })));
    const clock = fakeClock();
    const got: Message[] = [];
    const input = createFileInput(
      { files: [{ pattern: join(dir, 'h.gor'), speedPercent: 100 }], loop: false, dryRun: false, includeResponses: true },
      { emit: (m) => got.push(m), stats: new Stats(), log: memoryLog(), sleep: clock.sleep, now: clock.now },
    );
    const res = await input.run();
    assert.deepEqual(got.map((m) => m.type), ['request', 'response']);
    assert.equal(res.skipped, 0);
  } finally {
    cleanup();
  }
});

// Issue 8: gor replays one file in the order its records were written (a capture from
// several goroutines is not strictly sorted); timestamps only interleave several files.
test('one file is replayed in file order even where its timestamps go back; a later record does not wait', async () => {
  const { dir, cleanup } = setup();
  try {
    writeFileSync(join(dir, 'one.gor'), Buffer.concat([rec('a', 0), rec('c', 30), rec('b', 10), rec('d', 40)]));
    const clock = fakeClock();
    const got: string[] = [];
    const input = createFileInput(
      { files: [{ pattern: join(dir, 'one.gor'), speedPercent: 100 }], loop: false, dryRun: false },
      { emit: (m) => got.push((m as RequestMessage).target), stats: new Stats(), log: memoryLog(), sleep: clock.sleep, now: clock.now },
    );
    await input.run();
    assert.deepEqual(got, ['/a', '/c', '/b', '/d']);
    assert.deepEqual(clock.sleeps, [30, 10], 'paced from the latest timestamp: /b goes at once, /d 10 ms after /c');
  } finally {
    cleanup();
  }
});

test('dry run counts records and estimates the duration without emitting or sleeping', async () => {
  const { dir, cleanup } = setup();
  try {
    copyFileSync(fileURLToPath(new URL('../fixtures/gor/trio-capture-gor-v0.10.1.gor', import.meta.url)), join(dir, 'trio.gor'));
    const clock = fakeClock();
    const log = memoryLog();
    const input = createFileInput(
      { files: [{ pattern: join(dir, 'trio.gor'), speedPercent: 100 }], loop: false, dryRun: true },
      { emit: () => assert.fail('dry run must not emit'), stats: new Stats(), log, sleep: clock.sleep, now: clock.now },
    );
    const res = await input.run();
    assert.equal(res.records, 8);
    assert.equal(res.requests, 8);
    assert.deepEqual(clock.sleeps, []);
    // First to last timestamp in the capture: 1795267781745988500 … 1795267781661867800 (+ the last, later record).
    assert.equal(res.durationNs, 1795267781746348143n - 1795267781661867800n);
    assert.ok(log.lines.some((l) => l.includes('at=input-file-done') && l.includes('dry_run=true')));
  } finally {
    cleanup();
  }
});

test('loop replays from the top until stopped', async () => {
  const { dir, cleanup } = setup();
  try {
    writeFileSync(join(dir, 'l.gor'), Buffer.concat([rec('a', 0), rec('b', 10)]));
    const clock = fakeClock();
    const got: string[] = [];
    const input = createFileInput(
      { files: [{ pattern: join(dir, 'l.gor'), speedPercent: 100 }], loop: true, dryRun: false },
      {
        emit: (m) => {
          got.push((m as RequestMessage).target);
          if (got.length === 7) input.stop();
        },
        stats: new Stats(),
        log: memoryLog(),
        sleep: clock.sleep,
        now: clock.now,
      },
    );
    const res = await input.run();
    assert.deepEqual(got, ['/a', '/b', '/a', '/b', '/a', '/b', '/a']);
    assert.equal(res.requests, 7);
    // No wait between passes (gor resets its clock at the top of a loop).
    assert.deepEqual(clock.sleeps, [10, 10, 10]);
  } finally {
    cleanup();
  }
});

test('malformed records and non-HTTP payloads are skipped, counted and logged with the file and record number', async () => {
  const { dir, cleanup } = setup();
  try {
    const path = join(dir, 'bad.gor');
    writeFileSync(path, Buffer.concat([rec('a', 0), Buffer.from('x y\nnot a record\n\u{1F435}\u{1F648}\u{1F649}\n'), encodeRecordOk('1 q 5 -1', 'NOT HTTP AT ALL\r\n\r\n'), rec('b', 10)]));
    const stats = new Stats();
    const log = memoryLog();
    const got: string[] = [];
    const clock = fakeClock();
    const res = await createFileInput(
      { files: [{ pattern: path, speedPercent: 100 }], loop: false, dryRun: false },
      { emit: (m) => got.push((m as RequestMessage).target), stats, log, sleep: clock.sleep, now: clock.now },
    ).run();
    assert.deepEqual(got, ['/a', '/b']);
    assert.equal(res.skipped, 2);
    const malformed = log.lines.find((l) => l.includes('at=input-file-malformed'));
    assert.ok(malformed);
    assert.ok(malformed.includes(`file=${path}`) && malformed.includes('record=2'), malformed);
    assert.ok(log.lines.some((l) => l.includes('at=input-file-skip') && l.includes('id=q')));
  } finally {
    cleanup();
  }
});

function encodeRecordOk(meta: string, payload: string): Buffer {
  return Buffer.from(`${meta}\n${payload}\n\u{1F435}\u{1F648}\u{1F649}\n`);
}

test('bad patterns are usage errors that name the pattern', async () => {
  const { dir, cleanup } = setup();
  try {
    const mk = (pattern: string, speedPercent = 100) =>
      createFileInput({ files: [{ pattern, speedPercent }], loop: false, dryRun: false }, { emit: () => {}, stats: new Stats(), log: memoryLog() });
    await assert.rejects(mk(join(dir, 'nothing-*.gor')).run(), (e: unknown) => e instanceof UsageError && /no files match pattern .*nothing-\*\.gor/.test(e.message));
    await assert.rejects(mk(join(dir, 'missing.gor')).run(), (e: unknown) => e instanceof UsageError && /no such file/.test(e.message));
    await assert.rejects(mk(join(dir, '*', 'x.gor')).run(), (e: unknown) => e instanceof UsageError && /file name only/.test(e.message));
    assert.throws(() => mk(join(dir, 'x.gor'), 0), (e: unknown) => e instanceof UsageError && /speed must be a positive percentage/.test(e.message));
    assert.equal(segmentToRegExp('req_?.gor*').test('req_1.gor.gz'), true);
    assert.equal(segmentToRegExp('req_[0-2].gor').test('req_3.gor'), false);
  } finally {
    cleanup();
  }
});

test('reads a file our own file output wrote (byte-compatible round trip through disk)', async () => {
  const { dir, cleanup } = setup();
  try {
    const { createFileOutput } = await import('../../src/outputs/file-output.js');
    const { fileOpts } = await import('../outputs/helpers.js');
    const out = createFileOutput(fileOpts(join(dir, 'own.gor.gz'), { append: true, flushIntervalMs: 10 }), { stats: new Stats(), log: memoryLog() });
    const sent: RequestMessage = { type: 'request', id: 'own1', startNs: T0, method: 'PUT', target: '/x?y=1', version: 'HTTP/1.1', headers: [{ name: 'Host', value: 'h' }, { name: 'Content-Length', value: '3' }], body: Buffer.from([0, 0xff, 0x0a]) };
    out.offer(sent);
    await out.close(2000);
    assert.ok(readFileSync(join(dir, 'own.gor.gz')).length > 0);
    const got: RequestMessage[] = [];
    await createFileInput({ files: [{ pattern: join(dir, 'own.gor.gz'), speedPercent: 100 }], loop: false, dryRun: false }, { emit: (m) => got.push(m as RequestMessage), stats: new Stats(), log: memoryLog() }).run();
    assert.equal(got.length, 1);
    assert.deepEqual({ ...got[0]!, body: got[0]!.body.toString('hex') }, { ...sent, body: sent.body.toString('hex') });
  } finally {
    cleanup();
  }
});
