/**
 * The output contract (core/output.ts), run over every output against its real sink: an
 * HTTP shadow on loopback, a file, a pipe for stdout, null, a real middleware process, and
 * a real nats-server (JetStream) on loopback.
 *
 * For each: offer() returns at once and never throws (also after close and on garbage);
 * `seen = mirrored + dropped + errors` once closed — for normal delivery, a full queue, a
 * broken sink and a shutdown with copies still queued; close(grace) resolves within the
 * grace plus a small margin (a bound for a hang, not a performance figure).
 *
 * Copies go through a real FanOut, the caller that counts refusals in production.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Message } from '../../src/core/message.js';
import type { DropReason, Output } from '../../src/core/output.js';
import { OUTPUT_INTERNALS } from '../../src/config/flags.js';
import { createMiddleware } from '../../src/gor/middleware.js';
import { FanOut } from '../../src/outputs/fan-out.js';
import { createFileOutput } from '../../src/outputs/file-output.js';
import { createHttpOutput } from '../../src/outputs/http-output.js';
import { createNatsOutput, openNatsPublisher } from '../../src/outputs/nats-output.js';
import { createNullOutput } from '../../src/outputs/null-output.js';
import { createStdoutOutput } from '../../src/outputs/stdout-output.js';
import { createMemoryLogger, type Logger } from '../../src/telemetry/logger.js';
import { Stats } from '../../src/telemetry/stats.js';
import { natsServerBinary, startNatsCluster } from '../helpers/nats-cluster.js';
import { createStream } from '../helpers/nats-stream.js';
import { accounting, blackHole, fileOpts, httpOpts, middlewareOpts, natsOpts, recordingServer, refusedPort, request, until } from './helpers.js';

type Scenario = 'deliver' | 'full' | 'broken' | 'stuck';

interface Built {
  readonly out: Output;
  /** Stops the sink's peer (server, temp dir); the output itself is closed by the test. */
  cleanup(): Promise<void>;
}

interface Subject {
  readonly kind: string;
  /** Scenarios this output has a sink for (null cannot break or stall). */
  readonly scenarios: readonly Scenario[];
  /** Why its tests cannot run here (its sink is not installed). */
  readonly skip?: string | false;
  /** What a full queue is refused as, when the output names it after its sink (default queue_full). */
  readonly fullReason?: DropReason;
  build(scenario: Scenario, d: { stats: Stats; log: Logger }): Promise<Built>;
}

/** Small bounds so that one burst of offers fills the queue. */
const TINY = { maxItems: 2, maxBytes: 1 << 20 };
const GRACE_MS = 300;
/** What close() may take beyond its grace: releasing sockets, files, a child process. */
const CLOSE_MARGIN_MS = 2000;
const N = 20;

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/middleware/${name}`, import.meta.url));
const mwCommand = (name: string) => `'${process.execPath}' '${fixture(name)}'`;
const nothing = async () => {};

const SUBJECTS: Subject[] = [
  {
    kind: 'http',
    scenarios: ['deliver', 'full', 'broken', 'stuck'],
    async build(scenario, d) {
      if (scenario === 'broken') {
        const url = `http://127.0.0.1:${await refusedPort()}`;
        return { out: createHttpOutput(httpOpts(url, { timeoutMs: 1000 }), d), cleanup: nothing };
      }
      const peer = scenario === 'deliver' ? await recordingServer() : await blackHole();
      const limits = scenario === 'full' ? { queueLen: TINY.maxItems, workers: 1 } : {};
      return { out: createHttpOutput(httpOpts(peer.url, limits), d), cleanup: () => peer.close() };
    },
  },
  {
    kind: 'file',
    scenarios: ['deliver', 'full', 'broken', 'stuck'],
    async build(scenario, d) {
      const dir = mkdtempSync(join(tmpdir(), 'td-contract-'));
      const cleanup = async () => rmSync(dir, { recursive: true, force: true });
      if (scenario === 'broken') {
        // /dev/full when there is one (ENOSPC on write), else a path under a plain file (ENOTDIR on open).
        writeFileSync(join(dir, 'plain'), '');
        const path = process.platform === 'linux' ? '/dev/full' : join(dir, 'plain', 'x.gor');
        return { out: createFileOutput(fileOpts(path, { append: true }), d), cleanup };
      }
      const queue = scenario === 'full' ? TINY : OUTPUT_INTERNALS.fileQueue;
      return { out: createFileOutput(fileOpts(join(dir, 'out.gor'), { queue }), d), cleanup };
    },
  },
  {
    kind: 'stdout',
    scenarios: ['deliver', 'full', 'broken', 'stuck'],
    async build(scenario, d) {
      if (scenario === 'broken') {
        const stream = createWriteStream('/dev/full');
        return { out: createStdoutOutput(OUTPUT_INTERNALS.stdoutQueue, { ...d, stream }), cleanup: async () => void stream.destroy() };
      }
      // A pipe: read to the end (deliver), or never read past a tiny buffer (full, stuck).
      const stream = new PassThrough({ highWaterMark: 256 });
      if (scenario === 'deliver') stream.resume();
      const bounds = scenario === 'full' ? TINY : OUTPUT_INTERNALS.stdoutQueue;
      return { out: createStdoutOutput(bounds, { ...d, stream }), cleanup: async () => void stream.destroy() };
    },
  },
  {
    kind: 'null',
    scenarios: ['deliver', 'full'],
    async build(scenario, d) {
      return { out: createNullOutput(scenario === 'full' ? TINY : OUTPUT_INTERNALS.nullQueue, d), cleanup: nothing };
    },
  },
  {
    kind: 'middleware',
    scenarios: ['deliver', 'full', 'broken', 'stuck'],
    async build(scenario, d) {
      const script = scenario === 'broken' ? 'exit-immediately.js' : scenario === 'stuck' ? 'never-reads.js' : 'add-header-skip.js';
      const more = scenario === 'full' ? { queue: TINY } : {};
      const out = createMiddleware(middlewareOpts(mwCommand(script), more), { ...d, onMessage: () => {} });
      return { out, cleanup: nothing };
    },
  },
  {
    kind: 'nats',
    scenarios: ['deliver', 'full', 'broken', 'stuck'],
    skip: natsServerBinary() ? false : 'nats-server is not installed (see .ci/run)',
    // Its window of unacked copies is its queue; full means the broker is not keeping up.
    fullReason: 'broker_slow',
    async build(scenario, d) {
      const server = await startNatsCluster({ size: 1 });
      const node = server.nodes[0]!;
      try {
        await createStream(server.urls, 'contract', ['contract.>']);
        // broken: a short ack timeout so that the retries of a copy end (as errors) within the test's wait.
        const more = scenario === 'full' ? { maxPending: TINY.maxItems } : scenario === 'broken' ? { timeoutMs: 300 } : {};
        const pub = await openNatsPublisher(natsOpts(node.port, 'contract', more), { log: d.log, env: {} });
        // broken: the server is gone (killed) after we connected; stuck: it is frozen (SIGSTOP)
        // with the connection open, so publishes are written and never acked.
        if (scenario === 'broken') await server.kill(0);
        if (scenario === 'stuck') await stopProcess(node.proc!.child.pid!);
        return { out: createNatsOutput(pub, d), cleanup: () => server.stop() };
      } catch (err) {
        await server.stop();
        throw err;
      }
    },
  },
];

/**
 * SIGSTOP, then wait until the kernel shows the process stopped: the signal is asynchronous,
 * and on a loaded CI host the broker once acked the whole burst before it took effect.
 */
async function stopProcess(pid: number): Promise<void> {
  process.kill(pid, 'SIGSTOP');
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('T')) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`process ${pid} did not stop`);
}

/** Messages no stage should produce: an output must still answer with a value. */
const GARBAGE: unknown[] = [{ type: 'request', id: 'g1' }, { type: 'response', id: 'g2', headers: 'not a list' }, { type: 'request', id: 'g3', headers: [{ name: 'A' }], body: 42 }, {}];

/** A message whose every field throws when read. */
const THROWING = new Proxy(
  {},
  {
    get() {
      throw new Error('a getter that throws');
    },
  },
);

/** Offers n requests through a fan-out (which counts the refusals) in one burst; returns how many were accepted. */
function burst(out: Output, d: { stats: Stats; log: Logger }, n: number): { fanOut: FanOut; offer(m: Message): void } {
  const fanOut = new FanOut([out], d);
  for (let i = 0; i < n; i++) fanOut.offer(request(`/contract/${i}`, { body: Buffer.from(`body ${i}`), headers: [{ name: 'Host', value: 'app' }, { name: 'Content-Length', value: String(`body ${i}`.length) }] }));
  return { fanOut, offer: (m) => fanOut.offer(m) };
}

async function closeTimed(out: Output, graceMs: number): Promise<number> {
  const t0 = performance.now();
  await out.close(graceMs);
  return performance.now() - t0;
}

function assertBalanced(stats: Stats, out: Output, what: string): ReturnType<typeof accounting> {
  const a = accounting(stats, out.name);
  assert.ok(a.balanced, `${what}: seen ${a.seen} != mirrored ${a.mirrored} + dropped ${a.dropped} + errors ${a.errors} ${JSON.stringify(stats.entry(out.name))}`);
  return a;
}

for (const subject of SUBJECTS) {
  const when = { skip: subject.skip ?? false };
  test(`${subject.kind}: offer() returns a value and never throws — on malformed messages, and after close`, when, async () => {
    const d = { stats: new Stats(), log: createMemoryLogger() };
    const { out, cleanup } = await subject.build('deliver', d);
    try {
      for (const g of GARBAGE) {
        const r = out.offer(g as Message);
        assert.equal(typeof r.accepted, 'boolean');
      }
      await out.close(GRACE_MS);
      const r = out.offer(request('/after-close'));
      assert.deepEqual(r, { accepted: false, reason: 'shutdown' });
    } finally {
      await out.close(0);
      await cleanup();
    }
  });

  test(`${subject.kind}: a message whose fields throw costs that copy (mirror_error), never an exception`, when, async () => {
    const d = { stats: new Stats(), log: createMemoryLogger() };
    const { out, cleanup } = await subject.build('deliver', d);
    try {
      const r = out.offer(THROWING as Message);
      // (null never reads what it is given, so it may accept it.)
      assert.ok(r.accepted ? subject.kind === 'null' : r.reason === 'mirror_error', JSON.stringify(r));
    } finally {
      await out.close(0);
      await cleanup();
    }
  });

  test(`${subject.kind}: normal delivery — every copy mirrored, seen = mirrored + dropped + errors`, when, async () => {
    const d = { stats: new Stats(), log: createMemoryLogger() };
    const { out, cleanup } = await subject.build('deliver', d);
    try {
      burst(out, d, N);
      // Delivery is asynchronous; wait for it (a guard, not a timing), then close.
      await until(() => d.stats.entry(out.name).mirrored === N, 15_000, `${N} copies delivered: ${JSON.stringify(d.stats.entry(out.name))}`);
      const took = await closeTimed(out, 5000);
      assert.ok(took < 5000 + CLOSE_MARGIN_MS);
      const a = assertBalanced(d.stats, out, 'deliver');
      assert.deepEqual([a.seen, a.mirrored, a.dropped, a.errors], [N, N, 0, 0]);
    } finally {
      await out.close(0);
      await cleanup();
    }
  });

  if (subject.scenarios.includes('full')) {
    const reason = subject.fullReason ?? 'queue_full';
    test(`${subject.kind}: a full queue refuses at once (${reason}), and the books still balance`, when, async () => {
      const d = { stats: new Stats(), log: createMemoryLogger() };
      const { out, cleanup } = await subject.build('full', d);
      try {
        burst(out, d, N);
        const refused = d.stats.entry(out.name).dropped[reason] ?? 0;
        assert.ok(refused > 0 && refused <= N - TINY.maxItems, `refused ${refused}`);
        const took = await closeTimed(out, GRACE_MS);
        assert.ok(took < GRACE_MS + CLOSE_MARGIN_MS, `close took ${took} ms`);
        assert.equal(assertBalanced(d.stats, out, 'full').seen, N);
      } finally {
        await out.close(0);
        await cleanup();
      }
    });
  }

  if (subject.scenarios.includes('broken')) {
    test(`${subject.kind}: a broken sink — failures counted, nothing thrown, the books balance`, when, async () => {
      const d = { stats: new Stats(), log: createMemoryLogger() };
      const { out, cleanup } = await subject.build('broken', d);
      try {
        const { offer } = burst(out, d, N);
        // The sink fails while we keep offering (bounded in count and time).
        const e = () => d.stats.entry(out.name);
        const settled = () => e().mirrored + Object.values(e().errors).reduce((x, y) => x + y, 0) + d.stats.totalDropped(out.name);
        await until(() => settled() >= N, 15_000, `the first ${N} copies to fail: ${JSON.stringify(e())}`);
        for (let i = 0; i < N; i++) offer(request(`/again/${i}`));
        const took = await closeTimed(out, GRACE_MS);
        assert.ok(took < GRACE_MS + CLOSE_MARGIN_MS, `close took ${took} ms`);
        const a = assertBalanced(d.stats, out, 'broken');
        assert.equal(a.seen, 2 * N);
        assert.equal(a.mirrored, 0, 'a broken sink delivers nothing');
      } finally {
        await out.close(0);
        await cleanup();
      }
    });
  }

  if (subject.scenarios.includes('stuck')) {
    test(`${subject.kind}: shutdown with copies still queued — leftovers counted shutdown, close within grace + margin`, when, async () => {
      const d = { stats: new Stats(), log: createMemoryLogger() };
      const { out, cleanup } = await subject.build('stuck', d);
      try {
        burst(out, d, N);
        const took = await closeTimed(out, subject.kind === 'file' ? 0 : GRACE_MS);
        assert.ok(took < GRACE_MS + CLOSE_MARGIN_MS, `close took ${took} ms`);
        const a = assertBalanced(d.stats, out, 'stuck');
        assert.equal(a.seen, N);
        // A file is never really stuck: a close(0) may still have written some.
        if (subject.kind !== 'file') assert.ok((d.stats.entry(out.name).dropped.shutdown ?? 0) > 0, JSON.stringify(d.stats.entry(out.name)));
      } finally {
        await out.close(0);
        await cleanup();
      }
    });
  }
}

test('constructors take every option as required and assert impossible values with RangeError (a programming error, not a usage error)', () => {
  const d = { stats: new Stats(), log: createMemoryLogger() };
  const stream = new PassThrough();
  const cases: Array<[string, () => unknown]> = [
    ['file: negative records per chunk', () => createFileOutput(fileOpts('/tmp/never-opened.gor', { queueLimit: -1 }), d)],
    ['file: zero flush interval', () => createFileOutput(fileOpts('/tmp/never-opened.gor', { flushIntervalMs: 0 }), d)],
    ['file: fractional size limit', () => createFileOutput(fileOpts('/tmp/never-opened.gor', { sizeLimitBytes: 1.5 }), d)],
    ['stdout: zero queue', () => createStdoutOutput({ maxItems: 0, maxBytes: 1 }, { ...d, stream })],
    ['null: zero bytes', () => createNullOutput({ maxItems: 1, maxBytes: 0 }, d)],
    ['middleware: zero pending timeout', () => createMiddleware(middlewareOpts('never-spawned', { pendingTimeoutMs: 0 }), { ...d, onMessage: () => {} })],
  ];
  for (const [what, build] of cases) assert.throws(build, RangeError, what);
  stream.destroy();
});
