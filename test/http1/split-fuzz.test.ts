import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ambiguous, exchanges, requests } from './corpus.js';
import { comparable, latin1, splitAt, tapHarness } from './run-tap.js';
import { mulberry32 } from '../helpers/prng.js';

/**
 * Split-chunk fuzzing (as undici does for its parser): TCP may cut a stream anywhere, so
 * every split of every stream — byte-by-byte included — must give exactly the messages of
 * the unsplit parse. Random mutations must never throw out of the tap, never hit an
 * unexpected exception inside it, and must also parse the same however they are split.
 * Seeded and bounded: the same cases run every time.
 */

interface Stream {
  name: string;
  client: Buffer;
  app: Buffer;
}

const streams: Stream[] = [
  ...requests.map((r) => ({ name: r.name, client: latin1(r.bytes), app: Buffer.alloc(0) })),
  ...exchanges.map((e) => ({ name: e.name, client: latin1(e.requests), app: latin1(e.responses) })),
  ...ambiguous.map((a) => ({ name: a.name, client: latin1(a.bytes), app: Buffer.alloc(0) })),
];

/** Runs a stream through a fresh tap: all client chunks, then all app chunks, then close. */
function run(client: Buffer[], app: Buffer[], maxBodyBytes = 5 * 1024 * 1024) {
  const h = tapHarness({ maxBodyBytes });
  for (const c of client) h.conn.fromClient(c);
  for (const c of app) h.conn.fromApp(c);
  const stateBeforeClose = h.conn.state;
  h.conn.close();
  const e = h.tap();
  return {
    messages: h.messages.map(comparable),
    state: stateBeforeClose,
    seen: e.seen,
    dropped: e.dropped,
    errors: e.errors,
    reasons: h.log.lines.map((l) => /reason=(\w+)/.exec(l)?.[1]),
  };
}

function randomCuts(rand: () => number, length: number, max: number): number[] {
  const n = 1 + Math.floor(rand() * max);
  return Array.from({ length: n }, () => Math.floor(rand() * length));
}

test('every split of every stream gives the unsplit messages (random cuts and byte-by-byte)', () => {
  const rand = mulberry32(0x5eed);
  for (const s of streams) {
    const whole = run([s.client], [s.app]);
    assert.equal(whole.errors.tap_exception, undefined, s.name);
    const small = s.client.length + s.app.length < 200_000;
    if (small) {
      const bytes = (b: Buffer) => Array.from({ length: b.length }, (_, i) => b.subarray(i, i + 1));
      assert.deepEqual(run(bytes(s.client), bytes(s.app)), whole, `${s.name} byte-by-byte`);
    }
    for (let i = 0; i < 25; i++) {
      const client = splitAt(s.client, randomCuts(rand, s.client.length, small ? 40 : 400));
      const app = splitAt(s.app, randomCuts(rand, s.app.length, 10));
      assert.deepEqual(run(client, app), whole, `${s.name} split #${i}`);
    }
  }
});

test('the body cap gives the same drops however the stream is split', () => {
  const rand = mulberry32(7);
  for (const s of streams.filter((x) => x.client.length < 200_000)) {
    const whole = run([s.client], [s.app], 3);
    for (let i = 0; i < 10; i++) {
      const client = splitAt(s.client, randomCuts(rand, s.client.length, 30));
      assert.deepEqual(run(client, [s.app], 3), whole, `${s.name} split #${i}`);
    }
  }
});

function mutate(rand: () => number, b: Buffer): Buffer {
  const out = Buffer.from(b);
  const edits = 1 + Math.floor(rand() * 3);
  let cur = out;
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rand() * cur.length);
    const kind = rand();
    const interesting = [0x0d, 0x0a, 0x20, 0x09, 0x3a, 0x3b, 0x30, 0x00, 0xff, 0x7f, 0x2c];
    const byte = rand() < 0.6 ? interesting[Math.floor(rand() * interesting.length)]! : Math.floor(rand() * 256);
    if (kind < 0.5) cur[at] = byte;
    else if (kind < 0.75) cur = Buffer.concat([cur.subarray(0, at), Buffer.from([byte]), cur.subarray(at)]);
    else cur = Buffer.concat([cur.subarray(0, at), cur.subarray(at + 1)]);
  }
  return cur;
}

test('random byte mutations never throw, never hit an unexpected exception, and split the same', () => {
  const rand = mulberry32(0xbadc0de);
  const fuzzable = streams.filter((s) => s.client.length < 20_000);
  let desyncs = 0;
  let emitted = 0;
  for (let i = 0; i < 1500; i++) {
    const s = fuzzable[i % fuzzable.length]!;
    const mutateApp = s.app.length > 0 && rand() < 0.5;
    const client = mutateApp ? s.client : mutate(rand, s.client);
    const app = mutateApp ? mutate(rand, s.app) : s.app;
    let whole!: ReturnType<typeof run>;
    assert.doesNotThrow(() => (whole = run([client], [app])), s.name);
    assert.equal(whole.errors.tap_exception, undefined, `${s.name} #${i}: ${client.toString('latin1')}`);
    assert.ok(['mirroring', 'desync', 'tunnel'].includes(whole.state));
    // Every framed request is emitted or dropped with a counted reason.
    const requestsOut = whole.messages.filter((m) => (m as { type: string }).type === 'request').length;
    const requestDrops = (whole.dropped.desync ?? 0) + (whole.dropped.body_too_large ?? 0);
    assert.ok(whole.seen <= requestsOut + requestDrops, `${s.name} #${i}: seen ${whole.seen} but ${requestsOut} out`);
    if (whole.state === 'desync') desyncs++;
    emitted += whole.messages.length;
    const split = run(splitAt(client, randomCuts(rand, client.length, 20)), splitAt(app, randomCuts(rand, app.length, 5)));
    assert.deepEqual(split, whole, `${s.name} #${i} split`);
  }
  // The mutations exercise both outcomes (a sanity check on the fuzzer, not a behaviour).
  assert.ok(desyncs > 100 && emitted > 100, `desyncs=${desyncs} emitted=${emitted}`);
});

// Issue 8: a copy is written as the bytes it was read from, so those must not depend on
// where TCP cut the stream either (a head or a chunked body spanning reads is joined once).
test('every split of a request gives a copy that serializes to the exact bytes received', async () => {
  const { serializeRequest } = await import('../../src/http1/serialize.js');
  const rand = mulberry32(0xb17e5);
  for (const r of requests.filter((e) => e.count === 1 && !e.bytes.startsWith('\r\n'))) {
    const whole = latin1(r.bytes);
    const splits = [[whole], ...Array.from({ length: 10 }, () => splitAt(whole, randomCuts(rand, whole.length, 12)))];
    if (whole.length < 4096) splits.push(Array.from({ length: whole.length }, (_, i) => whole.subarray(i, i + 1)));
    for (const parts of splits) {
      const h = tapHarness();
      for (const p of parts) h.conn.fromClient(p);
      const reqs = h.messages.filter((m) => m.type === 'request');
      assert.equal(reqs.length, 1, r.name);
      assert.ok(serializeRequest(reqs[0] as Parameters<typeof serializeRequest>[0]).equals(whole), `${r.name} in ${parts.length} parts`);
    }
  }
});
