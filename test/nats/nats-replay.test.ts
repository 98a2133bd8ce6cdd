// --input-nats against a real nats-server: replayers sharing one durable consumer (one of them
// SIGKILLed mid-run), rate control, and the export/import tools. Records enter the stream with
// `nats-import`, so the tool is exercised on the way.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, assertBuilt, shadowAccounting, assertAccounted } from '../helpers/duplicator.js';
import { startProcess, startRecordingShadow, eventually, type Proc } from '../helpers/net.js';
import { startNatsCluster, natsServerBinary, type NatsCluster } from '../helpers/nats-cluster.js';
import { encodeRecord } from '../../src/gor/codec.js';

const skip = natsServerBinary() ? false : 'nats-server is not installed (see .ci/run)';
const T0 = 1_764_000_000_000_000_000n;

/** A .gor file of `n` GETs to /PREFIX/i, `gapNs` apart. */
function gorFile(dir: string, name: string, prefix: string, n: number, gapNs: bigint): string {
  const parts: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const payload = Buffer.from(`GET /${prefix}/${i} HTTP/1.1\r\nHost: app\r\nX-N: ${i}\r\n\r\n`, 'latin1');
    const enc = encodeRecord({ type: '1', id: `${prefix}${i.toString(16).padStart(20, '0')}`, timestampNs: T0 + BigInt(i) * gapNs, payload });
    assert.ok(enc.ok);
    parts.push(enc.bytes);
  }
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat(parts));
  return path;
}

async function runTool(args: string[]): Promise<string> {
  const p = startProcess(process.execPath, [CLI, ...args]);
  const { code } = await p.exited;
  assert.equal(code, 0, p.output());
  return p.output();
}

function replayer(urls: string, args: string[]): Proc {
  return startProcess(process.execPath, [CLI, '--input-nats', urls, '--input-nats-stop-at-end', '--stats-interval', '1h', ...args]);
}

async function finished(p: Proc): Promise<string> {
  const { code } = await p.exited;
  assert.equal(code, 0, p.output().slice(-3000));
  return p.output();
}

const doneField = (out: string, field: string) => Number(new RegExp(`at=input-nats-done .*\\b${field}=(\\d+)`).exec(out)?.[1] ?? NaN);

describe('--input-nats: replayers sharing a consumer', { skip, timeout: 240_000 }, () => {
  let broker: NatsCluster;
  let dir: string;
  const N = 30_000;
  before(async () => {
    assertBuilt();
    broker = await startNatsCluster({ size: 1 });
    dir = mkdtempSync(join(tmpdir(), 'td-nats-replay-'));
    // 30,000 requests 20 µs apart: 0.6 s of original time.
    const file = gorFile(dir, 'big.gor', 'rec', N, 20_000n);
    const out = await runTool(['nats-import', '--nats', broker.urls, '--stream', 'traffic', '--create', file]);
    assert.match(out, new RegExp(`at=nats-import-done .*records=${N}\\b`));
  });
  after(async () => {
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const shadowArgs = (url: string) => ['--output-http', url, '--output-http-queue-len', String(N + 1000), '--output-http-max-queue-bytes', '64mb'];

  test('three replayers replay 30,000 records to a recording shadow: each record once', async () => {
    const shadow = await startRecordingShadow();
    const procs = [1, 2, 3].map(() => replayer(broker.urls, ['--input-nats-consumer', 'fleet-a', ...shadowArgs(shadow.url)]));
    try {
      const outs = await Promise.all(procs.map(finished));
      const counts = new Map<string, number>();
      for (const r of shadow.received) counts.set(r.url, (counts.get(r.url) ?? 0) + 1);
      assert.equal(counts.size, N, `distinct records at the shadow: ${counts.size}`);
      assert.equal(shadow.received.length, N, 'no duplicates');
      const shares = outs.map((o) => doneField(o, 'requests'));
      assert.equal(shares.reduce((a, b) => a + b, 0), N);
      assert.ok(shares.every((s) => s > 0), `every replayer took a share: ${shares.join(',')}`);
      for (const o of outs) assertAccounted(shadowAccounting(o, shadow.url));
    } finally {
      for (const p of procs) p.kill('SIGKILL');
      await shadow.close();
    }
  });

  test('one replayer SIGKILLed mid-run: each record at least once, duplicates no more than the redeliveries counted', async () => {
    const shadow = await startRecordingShadow();
    // The last 10,000 records (a start sequence), 800 records/s each, so the run lasts
    // seconds and the victim dies holding a batch it has not acked.
    const FROM = 20_001;
    const args = ['--input-nats-consumer', 'fleet-b', '--input-nats-start', String(FROM), '--input-nats-stream', 'traffic|800', '--input-nats-ack-wait', '5s', ...shadowArgs(shadow.url)];
    const procs = [1, 2, 3].map(() => replayer(broker.urls, args));
    try {
      await eventually(() => shadow.received.length >= 2000, 60_000, 'the replay under way');
      procs[0]!.kill('SIGKILL');
      await procs[0]!.exited;
      const outs = await Promise.all(procs.slice(1).map(finished));
      const counts = new Map<string, number>();
      for (const r of shadow.received) counts.set(r.url, (counts.get(r.url) ?? 0) + 1);
      const expected = N - FROM + 1;
      assert.equal(counts.size, expected, `every record from sequence ${FROM} arrived at least once (distinct: ${counts.size})`);
      assert.ok(!counts.has(`/rec/${FROM - 2}`), 'nothing before the start sequence');
      const duplicates = shadow.received.length - expected;
      const redelivered = outs.reduce((sum, o) => sum + doneField(o, 'redelivered'), 0);
      assert.ok(redelivered > 0, 'the victim held unacked records, redelivered to the others');
      // A redelivered record is a duplicate only if the victim had already sent it before dying.
      assert.ok(duplicates <= redelivered, `duplicates ${duplicates} > redeliveries ${redelivered}`);
      console.log(`# SIGKILL run: redelivered=${redelivered} duplicates=${duplicates}`);
    } finally {
      for (const p of procs) p.kill('SIGKILL');
      await shadow.close();
    }
  });
});

/**
 * The pace of arrivals: the least-squares slope of arrival time over arrival index, so the
 * first request's connection set-up (or one late batch) does not skew it as first-to-last does.
 */
function msPerArrival(t: number[]): number {
  const n = t.length;
  const meanI = (n - 1) / 2;
  const meanT = t.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (i - meanI) * (t[i]! - meanT);
    den += (i - meanI) ** 2;
  }
  return num / den;
}

/** A shadow that notes when each request arrives (monotonic ms). */
async function timingShadow(): Promise<{ url: string; arrivals: number[]; close(): Promise<void> }> {
  const arrivals: number[] = [];
  const server = http.createServer((req, res) => {
    arrivals.push(performance.now());
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    arrivals,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

describe('--input-nats: rate control and the tools', { skip, timeout: 90_000 }, () => {
  let broker: NatsCluster;
  let dir: string;
  let timedFile: string;
  before(async () => {
    assertBuilt();
    broker = await startNatsCluster({ size: 1 });
    dir = mkdtempSync(join(tmpdir(), 'td-nats-rate-'));
    await runTool(['nats-import', '--nats', broker.urls, '--stream', 'rate', '--subject', 'rate.in', '--create', gorFile(dir, 'rate.gor', 'rate', 900, 1000n)]);
    // 201 requests 10 ms apart: 2 s of original time.
    timedFile = gorFile(dir, 'timed.gor', 'timed', 201, 10_000_000n);
    await runTool(['nats-import', '--nats', broker.urls, '--stream', 'timed', '--subject', 'timed.in', '--create', timedFile]);
    // 10 requests 0.7 s apart: a batch that takes 6.3 s to send, over twice a 3 s ack wait.
    await runTool(['nats-import', '--nats', broker.urls, '--stream', 'sparse', '--subject', 'sparse.in', '--create', gorFile(dir, 'sparse.gor', 'sparse', 10, 700_000_000n)]);
    // Two requests and their recorded answers.
    const answers: Buffer[] = [];
    for (let i = 0; i < 2; i++) {
      for (const rec of [
        { type: '1' as const, id: `ans${i}`, timestampNs: T0 + BigInt(i) * 1_000_000n, payload: Buffer.from(`GET /ans/${i} HTTP/1.1\r\nHost: app\r\n\r\n`) },
        { type: '2' as const, id: `ans${i}`, timestampNs: T0 + BigInt(i) * 1_000_000n + 1000n, latencyNs: 1000n, payload: Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok') },
      ]) {
        const enc = encodeRecord(rec);
        assert.ok(enc.ok);
        answers.push(enc.bytes);
      }
    }
    writeFileSync(join(dir, 'answers.gor'), Buffer.concat(answers));
    await runTool(['nats-import', '--nats', broker.urls, '--stream', 'answers', '--subject', 'answers.in', '--create', join(dir, 'answers.gor')]);
  });
  after(async () => {
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a fixed rate (|300 per replayer) is kept within a few percent', async () => {
    const shadow = await timingShadow();
    try {
      const out = await finished(replayer(broker.urls, ['--input-nats-stream', 'rate|300', '--output-http', shadow.url]));
      assert.equal(shadow.arrivals.length, 900);
      // The replayer's own measure (first to last request sent) is what its rate control
      // decides; arrivals at the shadow also carry this busy machine's scheduling noise.
      const sent = doneField(out, 'rate_per_s');
      const arrived = 1000 / msPerArrival(shadow.arrivals);
      console.log(`# fixed rate: sent at ${sent}/s, arrived at ${arrived.toFixed(1)}/s, for a target of 300/s`);
      assert.ok(Math.abs(sent - 300) / 300 < 0.05, `sent at ${sent}/s`);
      assert.ok(Math.abs(arrived - 300) / 300 < 0.25, `arrived at ${arrived.toFixed(1)}/s`);
    } finally {
      await shadow.close();
    }
  });

  test('original timing at a speed factor (|200% replays 2 s of traffic in 1 s)', async () => {
    const shadow = await timingShadow();
    try {
      const out = await finished(replayer(broker.urls, ['--input-nats-stream', 'timed|200%', '--output-http', shadow.url]));
      assert.equal(shadow.arrivals.length, 201);
      // 200 gaps of 10 ms in the original timing: 1 s at 200%.
      const sentMs = doneField(out, 'duration_ms');
      const arrivedGap = msPerArrival(shadow.arrivals);
      console.log(`# speed 200%: sent over ${sentMs} ms (expected 1000), arrivals ${arrivedGap.toFixed(2)} ms apart (expected 5)`);
      assert.ok(Math.abs(sentMs - 1000) / 1000 < 0.05, `sent over ${sentMs} ms`);
      assert.ok(Math.abs(arrivedGap - 5) / 5 < 0.25, `arrivals ${arrivedGap} ms apart`);
    } finally {
      await shadow.close();
    }
  });

  test('a batch paced longer than the ack wait, in waits shorter than it, is kept alive: two replayers, no record twice', async () => {
    const shadow = await startRecordingShadow();
    const args = ['--input-nats-stream', 'sparse|100%', '--input-nats-consumer', 'sparse-pair', '--input-nats-ack-wait', '3s', '--output-http', shadow.url];
    const first = replayer(broker.urls, args);
    await eventually(() => shadow.received.length >= 1, 20_000, 'the first replayer under way');
    const second = replayer(broker.urls, args);
    try {
      const outs = await Promise.all([first, second].map(finished));
      const urls = shadow.received.map((r) => r.url).sort();
      assert.equal(new Set(urls).size, 10, `every record: ${urls.join(' ')}`);
      assert.equal(urls.length, 10, `no record twice (the broker redelivers a batch not kept alive within its ack wait): ${urls.join(' ')}`);
      assert.deepEqual(outs.map((o) => doneField(o, 'redelivered')), [0, 0]);
    } finally {
      first.kill('SIGKILL');
      second.kill('SIGKILL');
      await shadow.close();
    }
  });

  test('recorded answers in the stream go on to a file output, as in a file replay', async () => {
    const out = join(dir, 'answers-out');
    await finished(replayer(broker.urls, ['--input-nats-stream', 'answers|1000%', '--output-file', join(out, 'out.gor')]));
    const files = readdirSync(out).filter((f) => f.endsWith('.gor'));
    const text = files.map((f) => readFileSync(join(out, f)).toString('latin1')).join('');
    assert.equal(text.match(/^1 ans/gm)?.length, 2, text);
    assert.equal(text.match(/^2 ans/gm)?.length, 2, `the two recorded answers are kept: ${text}`);
  });

  test('nats-export writes back the very .gor file nats-import read', async () => {
    const out = join(dir, 'exported.gor');
    await runTool(['nats-export', '--nats', broker.urls, '--stream', 'timed', out]);
    assert.ok(readFileSync(out).equals(readFileSync(timedFile)), 'byte-identical round trip');
    const part = join(dir, 'part.gor');
    await runTool(['nats-export', '--nats', broker.urls, '--stream', 'timed', '--start', '101', '--end', '110', part]);
    assert.equal(readFileSync(part).toString('latin1').match(/^1 timed/gm)?.length, 10);
  });
});
