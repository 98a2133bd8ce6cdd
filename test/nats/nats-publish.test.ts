// --output-nats against real nats-server processes on loopback: a 3-node JetStream cluster
// with a node killed and restarted mid-run, a broker down at start and mid-run, and bad input.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { CLI, NODE_APP, assertBuilt, accountingOf, assertAccounted, startDrill, statsTotals, stopProc, waitForLog } from '../helpers/duplicator.js';
import { RawKeepAliveClient } from '../helpers/http-client.js';
import { eventually, startProcess } from '../helpers/net.js';
import { startNatsCluster, natsServerBinary, type NatsCluster } from '../helpers/nats-cluster.js';
import { createStream, readStream } from '../helpers/nats-stream.js';
import { startLossyNatsProxy, type LossyNatsProxy } from '../helpers/nats-lossy-proxy.js';

const skip = natsServerBinary() ? false : 'nats-server is not installed (see .ci/run)';
const EMPTY_SHA = createHash('sha256').update('').digest('hex');

/** What the node fixture app answers to a GET with no body: the exact body bytes. */
const expectedBody = (path: string) => `node GET ${path} len=0 sha256=${EMPTY_SHA}\n`;

async function startNatsWrapper(args: string[], env: NodeJS.ProcessEnv = {}) {
  const w = await startDrill({ args, env, app: [process.execPath, NODE_APP] });
  await waitForLog(w.proc, /at=listening /, 30_000);
  return w;
}

/** `count` GETs over `conns` keep-alive connections; every answer checked byte for byte. */
async function sendAll(port: number, paths: string[], conns = 4): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: conns }, async () => {
      const c = await RawKeepAliveClient.connect(port);
      try {
        for (let i = next++; i < paths.length; i = next++) {
          const res = (await c.request(`GET ${paths[i]} HTTP/1.1\r\nHost: app\r\n\r\n`)).toString('latin1');
          assert.match(res, /^HTTP\/1\.1 200 OK\r\n/);
          assert.ok(res.endsWith(`\r\n\r\n${expectedBody(paths[i]!)}`), `primary answer for ${paths[i]} changed: ${res}`);
        }
      } finally {
        c.close();
      }
    }),
  );
}

function natsTotals(output: string) {
  const [dest, t] = [...statsTotals(output)].find(([d]) => d.startsWith('nats://')) ?? [];
  assert.ok(dest, `no nats stats line:\n${output.slice(-2000)}`);
  return accountingOf(t);
}

describe('--output-nats on a 3-node cluster', { skip, timeout: 180_000 }, () => {
  let cluster: NatsCluster;
  before(async () => {
    assertBuilt();
    cluster = await startNatsCluster({ size: 3 });
  });
  after(async () => cluster?.stop());

  test('3 instances publish live traffic; a node killed and restarted mid-run: every request in the stream once, answers untouched', async () => {
    const PER_INSTANCE = 1000;
    const wrappers: Array<Awaited<ReturnType<typeof startNatsWrapper>>> = [];
    try {
      for (let i = 1; i <= 3; i++) {
        wrappers.push(
          await startNatsWrapper(['--output-nats', cluster.urls, '--output-nats-create', '--output-nats-replicas', '3', '--output-nats-timeout', '10s'], { DYNO: `web.${i}` }),
        );
      }
      const paths = wrappers.map((_, w) => Array.from({ length: PER_INSTANCE }, (_, i) => `/r/${w + 1}/${i}`));
      const third = PER_INSTANCE / 3;
      const phase = async (from: number, to: number) => Promise.all(wrappers.map((w, k) => sendAll(w.port, paths[k]!.slice(from, to))));
      await phase(0, third);
      await cluster.kill(1);
      await phase(third, 2 * third);
      await cluster.restart(1);
      await phase(2 * third, PER_INSTANCE);
      // Copies sent while the cluster re-elected are still being retried (same message id,
      // within the retry window): let the cluster settle before stopping the publishers, so
      // the check below is about loss, not about this machine's election time.
      await cluster.waitForLeader();
      await eventually(async () => {
        try {
          return (await readStream(cluster.urls, 'traffic')).length >= 3 * PER_INSTANCE;
        } catch {
          return false;
        }
      }, 60_000, 'every copy stored').catch(() => {});

      const outputs = [];
      for (const w of wrappers) outputs.push((await stopProc(w.proc)).output);
      wrappers.length = 0;
      let lost = 0;
      const how: string[] = [];
      for (const out of outputs) {
        const a = natsTotals(out);
        assertAccounted(a, 'nats output');
        assert.equal(a.seen, PER_INSTANCE);
        lost += a.dropped + a.errors;
        how.push(JSON.stringify(a.totals), ...out.split('\n').filter((l) => /at=nats-/.test(l)));
      }

      await cluster.waitForLeader();
      // The stream's own leader may still be in election on this busy machine: retry the read.
      let records: Awaited<ReturnType<typeof readStream>> = [];
      await eventually(async () => {
        try {
          records = await readStream(cluster.urls, 'traffic');
          return true;
        } catch {
          return false;
        }
      }, 60_000, 'the stream readable');
      const byPath = new Map<string, number>();
      const ids = new Set<string>();
      for (const r of records) {
        assert.equal(r.type, '1');
        assert.ok(!ids.has(r.id), `id ${r.id} is in the stream twice`);
        ids.add(r.id);
        const path = r.firstLine.split(' ')[1]!;
        byPath.set(path, (byPath.get(path) ?? 0) + 1);
      }
      for (const [path, n] of byPath) assert.equal(n, 1, `${path} stored ${n} times`);
      assert.deepEqual(new Set(records.map((r) => r.instance)), new Set(['web.1', 'web.2', 'web.3']));
      // Nothing lost silently: what is not in the stream was counted as dropped or an error.
      assert.equal(records.length + lost, 3 * PER_INSTANCE, `stored ${records.length}, counted lost ${lost}\n${how.join('\n')}`);
      assert.equal(lost, 0, `copies lost while a node was down: ${lost}\n${how.join('\n')}`);
    } finally {
      for (const w of wrappers) w.proc.kill('SIGKILL');
    }
  });
});

describe('--output-nats with the broker down', { skip, timeout: 90_000 }, () => {
  let broker: NatsCluster;
  before(async () => {
    assertBuilt();
    broker = await startNatsCluster({ size: 1 });
    await createStream(broker.urls, 'traffic', ['traffic.>']);
  });
  after(async () => broker?.stop());

  test('a broker restart shorter than the grace: copies sent while it was down are published again when it is back, not after their timeout', async () => {
    if (!broker.nodes[0]!.proc) await broker.restart(0);
    // A 30 s publish timeout: waiting it out would fail the 10 s wait below.
    const w = await startNatsWrapper(['--output-nats', broker.urls, '--output-nats-timeout', '30s']);
    try {
      await sendAll(w.port, ['/short/before']);
      await eventually(async () => (await readStream(broker.urls, 'traffic')).some((r) => r.firstLine.includes('/short/before')), 10_000, 'the first copy stored');
      await broker.kill(0);
      await waitForLog(w.proc, /at=nats-disconnected/, 10_000);
      await sendAll(w.port, ['/short/d1', '/short/d2', '/short/d3'], 1); // within the 2 s grace: accepted
      await broker.restart(0);
      await eventually(async () => {
        const stored = (await readStream(broker.urls, 'traffic')).map((r) => r.firstLine.split(' ')[1]);
        return ['/short/d1', '/short/d2', '/short/d3'].every((p) => stored.includes(p));
      }, 10_000, 'the copies sent while down stored soon after the reconnect');
      const { output } = await stopProc(w.proc);
      const a = natsTotals(output);
      assertAccounted(a, 'nats output');
      assert.equal(a.mirrored, 4, JSON.stringify(a.totals));
    } finally {
      w.proc.kill('SIGKILL');
    }
  });

  test('down at start and mid-run: every request answered, drops counted by reason, reconnect logged, publishing resumes', async () => {
    await broker.kill(0);
    const w = await startNatsWrapper(['--output-nats', broker.urls]);
    try {
      await waitForLog(w.proc, /at=nats-unreachable /);
      const batch = (tag: string) => Array.from({ length: 50 }, (_, i) => `/${tag}/${i}`);
      await sendAll(w.port, batch('down-at-start'));
      await broker.restart(0);
      await waitForLog(w.proc, /at=nats-connected /, 30_000);
      await sendAll(w.port, batch('up'));
      await broker.kill(0);
      await waitForLog(w.proc, /at=nats-disconnected /);
      await sendAll(w.port, batch('down-mid-run'));
      await broker.restart(0);
      await waitForLog(w.proc, /at=nats-reconnected /, 30_000);
      await sendAll(w.port, batch('again'));
      const { output } = await stopProc(w.proc);
      const a = natsTotals(output);
      assertAccounted(a, 'nats output');
      assert.equal(a.seen, 200);
      // The 50 sent before the first connection at least; those sent during the outage are
      // held (2 s grace, then dropped too) and published if the broker is back in time.
      assert.ok((a.totals['dropped.broker_unavailable'] ?? 0) >= 50, JSON.stringify(a.totals));
      assert.ok(a.mirrored >= 100, JSON.stringify(a.totals));
      const stored = await readStream(broker.urls, 'traffic');
      const tags = new Set(stored.map((r) => r.firstLine.split('/')[1]));
      assert.ok(tags.has('up') && tags.has('again'), `stored: ${[...tags].join(',')}`);
      assert.ok(!tags.has('down-at-start'), 'nothing can be published before the first connection');
    } finally {
      w.proc.kill('SIGKILL');
    }
  });

  test('a replayer following the stream stops on SIGTERM even with the broker gone', async () => {
    if (!broker.nodes[0]!.proc) await broker.restart(0);
    const p = startProcess(process.execPath, [CLI, '--input-nats', broker.urls, '--input-nats-consumer', 'follower', '--output-null', '--stats-interval', '1h']);
    try {
      await waitForLog(p, /at=input-nats-start /);
      await broker.kill(0);
      await waitForLog(p, /at=nats-disconnected /);
      const { code, output } = await stopProc(p, 15_000);
      assert.equal(code, 0, output);
      assert.match(output, /at=input-nats-done /);
    } finally {
      p.kill('SIGKILL');
      await broker.restart(0);
    }
  });

  test('a missing stream without --output-nats-create is a start-up error naming it (exit 2, the app not started)', async () => {
    const p = startProcess(process.execPath, [CLI, '--output-nats', broker.urls, '--output-nats-stream', 'nope', '--', process.execPath, NODE_APP], { env: { ...process.env, PORT: '1' } });
    const { code } = await p.exited;
    assert.equal(code, 2, p.output());
    assert.match(p.output(), /error: --output-nats-stream nope: no such stream/);
    assert.doesNotMatch(p.output(), /node app listening/);
  });
});

describe('--output-nats when the broker stores a copy but its ack is lost', { skip, timeout: 60_000 }, () => {
  let broker: NatsCluster;
  let proxy: LossyNatsProxy;
  before(async () => {
    assertBuilt();
    broker = await startNatsCluster({ size: 1 });
    await createStream(broker.urls, 'traffic', ['traffic.>']);
    proxy = await startLossyNatsProxy(broker.nodes[0]!.port);
  });
  after(async () => {
    await proxy?.close();
    await broker?.stop();
  });

  test('at shutdown the unacked copy is published again under its id: counted mirrored, stored once', async () => {
    // The timeout outlasts the shutdown flush (5 s), so only asking again can settle the copy.
    const w = await startNatsWrapper(['--output-nats', proxy.url, '--output-nats-timeout', '30s']);
    try {
      const lost = proxy.loseNextPubAck();
      await sendAll(w.port, ['/ack-lost']);
      assert.match(await lost, /"seq":1\b/);
      await sendAll(w.port, ['/acked']);
      await eventually(async () => (await readStream(broker.urls, 'traffic')).length === 2, 10_000, 'both copies stored');

      const { output } = await stopProc(w.proc);
      const a = natsTotals(output);
      assertAccounted(a, 'nats output');
      assert.equal(a.seen, 2);
      assert.equal(a.mirrored, 2, `a stored copy was counted lost: ${JSON.stringify(a.totals)}`);
      assert.doesNotMatch(output, /at=mirror-drop .*reason=shutdown/);
      const stored = await readStream(broker.urls, 'traffic');
      assert.deepEqual(stored.map((r) => r.firstLine.split(' ')[1]), ['/ack-lost', '/acked']);
    } finally {
      w.proc.kill('SIGKILL');
    }
  });
});

describe('NATS bad input', { skip, timeout: 60_000 }, () => {
  let broker: NatsCluster;
  before(async () => {
    assertBuilt();
    broker = await startNatsCluster({ size: 1, extraConfig: 'authorization {\n  user: td\n  password: s3cret\n}\n' });
  });
  after(async () => broker?.stop());

  const run = async (args: string[]) => {
    const p = startProcess(process.execPath, [CLI, ...args], { env: { ...process.env, PORT: '1' } });
    const { code } = await p.exited;
    return { code, output: p.output() };
  };
  const port = () => broker.nodes[0]!.port;

  test('bad credentials: exit 2 naming the flag, the password never printed', async () => {
    const out = await run(['--output-nats', `nats://td:wrong@127.0.0.1:${port()}`, '--', process.execPath, NODE_APP]);
    assert.equal(out.code, 2, out.output);
    assert.match(out.output, /error: --output-nats 127\.0\.0\.1:\d+: the broker refused our credentials/);
    assert.doesNotMatch(out.output, /wrong/);
    const rep = await run(['--input-nats', `nats://td:wrong@127.0.0.1:${port()}`, '--output-stdout']);
    assert.equal(rep.code, 2, rep.output);
    assert.match(rep.output, /error: --input-nats 127\.0\.0\.1:\d+: the broker refused our credentials/);
  });

  test('a replayer refuses an unreachable broker (exit 2, naming --input-nats); a publisher starts anyway', async () => {
    const rep = await run(['--input-nats', 'nats://127.0.0.1:1', '--output-stdout']);
    assert.equal(rep.code, 2, rep.output);
    assert.match(rep.output, /error: --input-nats 127\.0\.0\.1:1: cannot reach the broker/);
  });

  test('good credentials and a missing stream for a replayer: exit 2 naming --input-nats-stream', async () => {
    const rep = await run(['--input-nats', `nats://td:s3cret@127.0.0.1:${port()}`, '--input-nats-stream', 'absent', '--output-stdout']);
    assert.equal(rep.code, 2, rep.output);
    assert.match(rep.output, /error: --input-nats-stream absent: no such stream/);
  });
});
