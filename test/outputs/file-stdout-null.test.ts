import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { PassThrough } from 'node:stream';
import type { RequestMessage } from '../../src/core/message.js';
import { decodeAll } from '../../src/gor/codec.js';
import { createNullOutput } from '../../src/outputs/null-output.js';
import { createStdoutOutput } from '../../src/outputs/stdout-output.js';
import { Stats } from '../../src/telemetry/stats.js';
import { OUTPUT_INTERNALS } from '../../src/config/flags.js';
import { memoryLog } from '../gor/helpers.js';
import { eventually } from '../helpers/net.js';

const req = (n: number, body = ''): RequestMessage => ({
  type: 'request',
  id: `s${n}`,
  startNs: BigInt(n),
  method: 'POST',
  target: `/s/${n}`,
  version: 'HTTP/1.1',
  headers: [{ name: 'Content-Length', value: String(body.length) }],
  body: Buffer.from(body),
});

test('stdout output: .gor framing; a reader that stops reading fills a bounded queue, then queue_full', async () => {
  const stream = new PassThrough({ highWaterMark: 1024 });
  const stats = new Stats();
  const out = createStdoutOutput({ maxItems: 3, maxBytes: 1 << 20 }, { stats, log: memoryLog(), stream });
  const results = Array.from({ length: 10 }, (_, i) => out.offer(req(i, 'b'.repeat(600))));
  const accepted = results.filter((r) => r.accepted).length;
  assert.ok(accepted < 10);
  assert.ok(results.every((r) => r.accepted || r.reason === 'queue_full'));
  assert.equal(stats.entry('stdout').seen, 10);
  // Now the reader catches up: everything accepted arrives, in order, decodable.
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  await out.close(5000);
  const { records, reader } = decodeAll(Buffer.concat(chunks), { source: 'stdout' });
  assert.equal(reader.malformed, 0);
  assert.equal(records.length, accepted);
  assert.deepEqual(records.map((r) => r.id), results.map((r, i) => (r.accepted ? `s${i}` : undefined)).filter(Boolean));
  assert.equal(stats.entry('stdout').mirrored, accepted);
});

test('stdout output on /dev/full: write errors are counted and logged, nothing throws', async () => {
  const stream = createWriteStream('/dev/full');
  const stats = new Stats();
  const log = memoryLog();
  const out = createStdoutOutput(OUTPUT_INTERNALS.stdoutQueue, { stats, log, stream });
  out.offer(req(1));
  await eventually(() => (stats.entry('stdout').errors.write ?? 0) >= 1, 10_000, 'ENOSPC from /dev/full');
  // Later offers are refused as a value, not an exception.
  assert.deepEqual(out.offer(req(2)), { accepted: false, reason: 'destination_down' });
  await out.close(1000);
  const e = stats.entry('stdout');
  assert.equal(e.mirrored, 0);
  // The accepted copy failed (an error); the refused one is returned for the fan-out to count.
  assert.equal(e.errors.write, 1);
  assert.equal(e.seen, 2);
  assert.ok(log.lines.some((l) => /at=stdout-output-error .*code=ENOSPC/.test(l)), log.lines.join("\n"));
});

test('null output counts every copy as mirrored and writes nothing', async () => {
  const stats = new Stats();
  const out = createNullOutput(OUTPUT_INTERNALS.nullQueue, { stats, log: memoryLog() });
  for (let i = 0; i < 5; i++) assert.deepEqual(out.offer(req(i)), { accepted: true });
  await out.close(0);
  assert.equal(stats.entry('null').mirrored, 5);
  assert.deepEqual(out.offer(req(6)), { accepted: false, reason: 'shutdown' });
});
