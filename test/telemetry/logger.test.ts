import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logfmt, createMemoryLogger, RateLimitedLog } from '../../src/telemetry/logger.js';

test('logfmt quotes values with spaces, quotes and equals signs', () => {
  assert.equal(logfmt({ at: 'x', msg: 'a b', q: 'say "hi"', e: 'a=b', n: 3, skip: undefined }), 'at=x msg="a b" q="say \\"hi\\"" e="a=b" n=3');
});

test('rate-limited log writes once per interval and reports what it held back', () => {
  let t = 0;
  const log = createMemoryLogger();
  const rl = new RateLimitedLog(log, 1000, () => t);
  rl.warn('k', 'drop', { reason: 'queue_full' });
  rl.warn('k', 'drop', { reason: 'queue_full' });
  rl.warn('k', 'drop', { reason: 'queue_full' });
  t = 1500;
  rl.warn('k', 'drop', { reason: 'queue_full' });
  assert.equal(log.lines.length, 2);
  assert.match(log.lines[1]!, /suppressed_since_last=2/);
});

test('the stats line reports the process memory on its own line, with samples only', async () => {
  const { Stats, PROCESS } = await import('../../src/telemetry/stats.js');
  const { formatStatsLines } = await import('../../src/telemetry/reporter.js');
  const stats = new Stats();
  stats.gauge(PROCESS, 'memory.rss_mb', () => 120);
  stats.seen('http://shadow/');
  const lines = formatStatsLines(stats, new Map());
  assert.deepEqual(lines.find((l) => l.includes('dest=process')), 'at=stats dest=process sample#memory.rss_mb=120');
  assert.match(lines.find((l) => l.includes('dest=http'))!, /count#seen=1 count#mirrored=0/);
});
