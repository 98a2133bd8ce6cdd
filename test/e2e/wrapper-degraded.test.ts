/**
 * Issue #2 acceptance: shadows that are slow (5 s), black-holed, or refusing connections
 * never change the primary's answers, never starve a healthy destination, keep memory
 * bounded, and every copy is accounted for. (Latency is shown by the benchmark, not here.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startRecordingShadow, startBlackHole, refusedPort, eventually } from '../helpers/net.js';
import { RawKeepAliveClient, rawRequest } from '../helpers/http-client.js';
import { startWrapper, APP_COMMANDS } from '../helpers/wrapper.js';

const REQUESTS = 3000;
const CONNECTIONS = 8;

function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

test('slow, black-holed and refused shadows: primary unchanged, healthy shadow gets everything, all accounted for', { timeout: 120_000 }, async () => {
  const healthy = await startRecordingShadow();
  const slow = await startRecordingShadow({ delayMs: 5000 });
  const hole = await startBlackHole();
  const refused = `http://127.0.0.1:${await refusedPort()}`;
  const w = await startWrapper({
    args: (port) => [
      ...['--output-http', healthy.url, '--output-http', slow.url, '--output-http', hole.url, '--output-http', refused],
      ...['--output-http-queue-len', '200', '--stats-interval', '1h', '--shutdown-grace', '6s'],
      '--',
      ...APP_COMMANDS.node(port),
    ],
  });
  try {
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, peakRssMb(w.proc.child.pid!))), 200);
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async (_, c) => {
        const client = await RawKeepAliveClient.connect(w.port);
        try {
          for (let i = c; i < REQUESTS; i += CONNECTIONS) {
            const body = i % 10 === 0 ? Buffer.alloc(16 * 1024, i % 256) : undefined;
            const res = (await client.request(rawRequest(body ? 'POST' : 'GET', `/r?i=${i}`, body))).toString('latin1');
            const expectedFirstLine = `node ${body ? 'POST' : 'GET'} /r?i=${i} len=${body?.length ?? 0} `;
            assert.ok(res.startsWith('HTTP/1.1 200 OK\r\n') && res.includes(`\r\n\r\n${expectedFirstLine}`), res.slice(0, 200));
          }
        } finally {
          client.close();
        }
      }),
    );
    await eventually(() => healthy.received.length >= REQUESTS, 30_000, 'the healthy shadow to get everything');
    clearInterval(sampler);
    peak = Math.max(peak, peakRssMb(w.proc.child.pid!));
    assert.equal((await w.stop()).code, 0, w.logs());

    assert.equal(healthy.received.length, REQUESTS);
    const stats = w.stats();
    for (const url of [healthy.url, slow.url, hole.url, refused]) {
      const dest = [...stats.keys()].find((d) => d.startsWith(url));
      assert.ok(dest, `stats for ${url} in:\n${w.logs()}`);
      const s = stats.get(dest)!;
      let dropped = 0;
      let errors = 0;
      for (const [k, v] of s) {
        if (k.startsWith('dropped.')) dropped += v;
        if (k.startsWith('errors.')) errors += v;
      }
      assert.equal(s.get('seen'), REQUESTS, `${url}: every copy offered`);
      assert.equal((s.get('mirrored') ?? 0) + dropped + errors, REQUESTS, `${url}: seen = mirrored + dropped + errors\n${w.logs()}`);
    }
    const holeStats = stats.get([...stats.keys()].find((d) => d.startsWith(hole.url))!)!;
    assert.ok((holeStats.get('dropped.queue_full') ?? 0) > 0, 'the black hole fills its own queue and drops');
    const refusedStats = stats.get([...stats.keys()].find((d) => d.startsWith(refused))!)!;
    assert.ok((refusedStats.get('errors.connect_refused') ?? 0) > 0, 'refusals counted as errors');
    // Shared 512 MB dyno: the duplicator itself must stay small even with three bad shadows.
    assert.ok(peak < 200, `peak RSS ${peak.toFixed(0)} MB`);
  } finally {
    w.proc.kill('SIGKILL');
    await Promise.all([healthy.close(), slow.close(), hole.close()]);
  }
});
