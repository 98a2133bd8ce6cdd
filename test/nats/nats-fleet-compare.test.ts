// The fleet view of comparisons on a real 1-node JetStream server: two wrapped instances run
// compare's scenario with --compare and --output-nats; each publishes its summary to the stream;
// `traffic-duplicator report --input-nats` merges them; a replayer of the same stream skips them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI, assertBuilt } from '../helpers/duplicator.js';
import { startWrapper, type Duplicator } from '../helpers/wrapper.js';
import { startProcess, startRecordingShadow, freePort, waitForPort, type Proc } from '../helpers/net.js';
import { startNatsCluster, natsServerBinary, type NatsCluster } from '../helpers/nats-cluster.js';
import { appArgs, sendTraffic, requests, EXPECTED } from '../fixtures/compare/scenario.js';
import type { CompareReport, DestinationReport, EndpointReport } from '../../src/compare/index.js';
import type { FleetReport } from '../../src/compare/merge.js';

const skip = natsServerBinary() ? false : 'nats-server is not installed (see .ci/run)';

const candidateOf = (r: CompareReport): DestinationReport => {
  const d = r.destinations.find((x) => x.role === 'candidate');
  assert.ok(d, `a candidate destination in ${r.instance}'s report`);
  return d;
};
const endpointOf = (d: DestinationReport, method: string, route: string): EndpointReport | undefined => d.endpoints.find((e) => e.method === method && e.route === route);

async function runCli(args: string[]): Promise<{ code: number | null; output: string }> {
  const p = startProcess(process.execPath, [CLI, ...args]);
  const { code } = await p.exited;
  return { code, output: p.output() };
}

describe('fleet view of comparisons over NATS', { skip, timeout: 180_000 }, () => {
  let broker: NatsCluster;
  let candidate: Proc;
  let candidateUrl: string;
  const dir = mkdtempSync(path.join(tmpdir(), 'td-fleet-compare-'));
  const own: CompareReport[] = [];

  before(async () => {
    assertBuilt();
    broker = await startNatsCluster({ size: 1 });
    const port = await freePort();
    candidate = startProcess(process.execPath, appArgs(port, 'candidate'));
    await waitForPort(port);
    candidateUrl = `http://127.0.0.1:${port}/`;
    // Two instances, one after the other (the machine is small): each compares the whole scenario.
    for (const dyno of ['web.1', 'web.2']) {
      const json = path.join(dir, `${dyno}.json`);
      let w: Duplicator | undefined;
      try {
        w = await startWrapper({
          env: { DYNO: dyno },
          args: (p) => [
            '--compare', '--output-http', candidateUrl, '--compare-report', json,
            '--output-nats', broker.urls, '--output-nats-create',
            '--stats-interval', '1s', '--',
            process.execPath, ...appArgs(p, 'production'),
          ],
        });
        const statuses = await sendTraffic(w.port);
        assert.ok(statuses.every((s) => s === 200), `clients saw ${[...new Set(statuses)].join(',')}`);
        const { code } = await w.stop();
        assert.equal(code, 0, w.logs().slice(-3000));
        assert.match(w.logs(), /at=compare-summary-published /, 'the summary went to the stream');
        own.push(JSON.parse(readFileSync(json, 'utf8')) as CompareReport);
      } finally {
        if (w && w.proc.child.exitCode === null) await w.stop();
      }
    }
  });
  after(async () => {
    candidate?.kill('SIGTERM');
    await candidate?.exited;
    await broker?.stop();
  });

  test('report --input-nats merges every instance: the union of findings, counts that add up', async () => {
    const file = path.join(dir, 'fleet.json');
    const run = await runCli(['report', '--input-nats', broker.urls, '--compare-report', file]);
    assert.equal(run.code, 0, run.output);
    const fleet = JSON.parse(readFileSync(file, 'utf8')) as FleetReport;
    assert.deepEqual(fleet.instances.map((i) => i.instance), ['web.1', 'web.2']);
    assert.equal(fleet.instance, 'fleet');

    const mine = own.map(candidateOf);
    const d = candidateOf(fleet);
    // Each instance compared every request once; the fleet is their sum.
    for (const m of mine) assert.equal(m.compared, requests().length);
    assert.equal(d.compared, mine[0]!.compared + mine[1]!.compared);
    assert.equal(d.url, mine[0]!.url);
    // Per endpoint: compared, different and statuses add up; every field's count too.
    const routes = new Set(mine.flatMap((m) => m.endpoints.map((e) => `${e.method} ${e.route}`)));
    assert.equal(d.endpoints.length, routes.size);
    for (const e of d.endpoints) {
      const parts = mine.map((m) => endpointOf(m, e.method, e.route));
      const sum = (f: (x: EndpointReport) => number) => parts.reduce((n, x) => n + (x ? f(x) : 0), 0);
      assert.equal(e.compared, sum((x) => x.compared), `${e.route} compared`);
      assert.equal(e.different, sum((x) => x.different), `${e.route} different (verdicts agree: exact)`);
      for (const f of e.fields) {
        const own = parts.flatMap((x) => x?.fields.filter((g) => g.path === f.path && g.kind === f.kind) ?? []);
        assert.equal(f.different, own.reduce((n, g) => n + g.different, 0), `${e.route} ${f.path}`);
        assert.ok(f.samples.length <= 3);
      }
      assert.equal(e.latency_ms.production.count, sum((x) => x.latency_ms.production.count));
    }
    assert.equal(d.different, mine[0]!.different + mine[1]!.different);
    assert.equal(fleet.merge.inexact_endpoints, 0);
    // The scenario's findings, judged again from the merged counts.
    for (const x of EXPECTED.differences) {
      const f = endpointOf(d, x.method, x.route)?.fields.find((g) => g.path === x.path);
      assert.equal(f?.verdict, 'difference', `${x.route} ${x.path}`);
      assert.equal(f?.kind, x.kind);
    }
    for (const x of EXPECTED.noise) {
      const f = endpointOf(d, x.method, x.route)?.fields.find((g) => g.path === x.path);
      assert.equal(f?.verdict, 'noise', `${x.route} ${x.path} is noise`);
    }
    const sc = EXPECTED.statusChange;
    const statusRow = endpointOf(d, sc.method, sc.route)!.statuses[sc.from]![sc.to]!;
    assert.equal(statusRow, mine.reduce((n, m) => n + (endpointOf(m, sc.method, sc.route)!.statuses[sc.from]![sc.to] ?? 0), 0));
    assert.equal(endpointOf(d, 'GET', '/health')!.different, 0);
    assert.ok(endpointOf(d, EXPECTED.slower.method, EXPECTED.slower.route)!.latency_ms.delta.p50 >= EXPECTED.slower.minDeltaMs);

    // Printed as JSON without --compare-report, and as HTML naming both instances.
    const printed = await runCli(['report', '--input-nats', broker.urls]);
    assert.equal(printed.code, 0, printed.output);
    assert.match(printed.output, /"instance": "fleet"/);
    const html = path.join(dir, 'fleet.html');
    const h = await runCli(['report', '--input-nats', broker.urls, '--input-nats-stream', 'traffic', '--compare-report', html]);
    assert.equal(h.code, 0, h.output);
    const page = readFileSync(html, 'utf8');
    assert.match(page, /web\.1/);
    assert.match(page, /web\.2/);
    assert.match(page, /body\.user\.email/);
  });

  test('a replayer of the stream skips the summaries: only the recorded requests reach its shadow', async () => {
    const shadow = await startRecordingShadow();
    try {
      const p = startProcess(process.execPath, [CLI, '--input-nats', broker.urls, '--input-nats-stream', 'traffic|2000', '--input-nats-stop-at-end', '--stats-interval', '1h', '--output-http', shadow.url]);
      const { code } = await p.exited;
      assert.equal(code, 0, p.output().slice(-3000));
      const n = 2 * requests().length;
      assert.equal(shadow.received.length, n, 'every recorded request once, no summary');
      assert.ok(shadow.received.every((r) => !r.url.includes('compare')));
      const summaries = Number(/at=input-nats-done .*\bsummaries=(\d+)/.exec(p.output())?.[1] ?? NaN);
      assert.ok(summaries >= 2, `summaries skipped: ${summaries}\n${p.output().slice(-2000)}`);
    } finally {
      await shadow.close();
    }
    // nats-export writes the records only: a summary is not a .gor record.
    const exp = await runCli(['nats-export', '--nats', broker.urls, path.join(dir, 'all.gor')]);
    assert.equal(exp.code, 0, exp.output);
    assert.match(exp.output, new RegExp(`at=nats-export-done .*records=${2 * requests().length} .*summaries=([2-9]|\\d\\d)`));
  });

  test('bad input: a missing stream or a report file of another kind names the flag (exit 2)', async () => {
    const missing = await runCli(['report', '--input-nats', broker.urls, '--input-nats-stream', 'nope']);
    assert.equal(missing.code, 2, missing.output);
    assert.match(missing.output, /--input-nats-stream nope: no such stream/);
    const bad = await runCli(['report', '--input-nats', broker.urls, '--compare-report', 'x.txt']);
    assert.equal(bad.code, 2);
    assert.match(bad.output, /--compare-report x\.txt: expected a \.json or \.html file/);
  });
});
