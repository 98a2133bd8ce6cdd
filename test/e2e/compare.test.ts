import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startWrapper, parseStatsLines, ROOT } from '../helpers/wrapper.js';
import { startProcess, freePort, eventually } from '../helpers/net.js';
import { assertBuilt } from '../helpers/duplicator.js';
// The scenario is shared with the admin page's browser test.
import { appArgs, sendTraffic, startApp, EXPECTED } from '../fixtures/compare/scenario.js';
import type { CompareReport, DestinationReport, EndpointReport } from '../../src/compare/index.js';

const BAD_CANDIDATE = path.join(ROOT, 'test/fixtures/compare/bad-candidate.mjs');

function endpoint(d: DestinationReport, method: string, route: string): EndpointReport {
  const e = d.endpoints.find((x) => x.method === method && x.route === route);
  assert.ok(e, `endpoint ${method} ${route} in ${d.endpoints.map((x) => `${x.method} ${x.route}`).join(', ')}`);
  return e;
}

/** Runs the scenario through the real CLI in wrap mode; returns the JSON report and the logs. */
async function runScenario(withControl: boolean): Promise<{ report: CompareReport; logs: string; html: string; live: CompareReport }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'td-compare-e2e-'));
  const json = path.join(dir, 'compare.json');
  const candidate = await startApp((p) => appArgs(p, 'candidate'));
  const control = withControl ? await startApp((p) => appArgs(p, 'control')) : undefined;
  const adminPort = await freePort();
  let wrapper: Awaited<ReturnType<typeof startWrapper>> | undefined;
  try {
    wrapper = await startWrapper({
      args: (port) => [
        '--admin-listen', `127.0.0.1:${adminPort}`,
        '--compare', '--output-http', candidate.url, ...(control ? ['--compare-control', control.url] : []),
        '--compare-report', json, '--stats-interval', '1s', '--',
        process.execPath, ...appArgs(port, 'production'),
      ],
    });
    const statuses = await sendTraffic(wrapper.port);
    // Production answers exactly as before: the candidate's 500s never reach a client.
    assert.ok(statuses.every((s) => s === 200), `clients saw ${[...new Set(statuses)].join(',')}`);
    // The admin surface serves the same comparison, live (its /api/report adds counters).
    let live: CompareReport | undefined;
    await eventually(async () => {
      const res = await fetch(`http://127.0.0.1:${adminPort}/api/report`);
      live = (await res.json()) as CompareReport;
      return live.destinations?.find((d) => d.role === 'candidate')?.compared === 93;
    }, 20_000, 'the live report to count every pair');
    // Without a token, only requests addressed to an address or localhost are answered: a
    // page re-pointing its own name at 127.0.0.1 (DNS rebinding) gets nothing.
    const statusFor = (host: string) =>
      new Promise<number>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: adminPort, path: '/api/report', headers: { host } }, (res) => (res.resume(), resolve(res.statusCode ?? 0))).on('error', reject);
      });
    assert.equal(await statusFor(`rebind.attacker.example:${adminPort}`), 403);
    assert.equal(await statusFor(`localhost:${adminPort}`), 200);
    assert.equal(await statusFor(`[::1]:${adminPort}`), 200);
    const { code } = await wrapper.stop();
    assert.equal(code, 0, wrapper.logs());
    const report = JSON.parse(readFileSync(json, 'utf8')) as CompareReport;
    // The HTML report of the same findings (the bad-candidate test writes one through --compare-report).
    const { renderReportHtml } = await import('../../src/compare/report-html.js');
    return { report, logs: wrapper.logs(), html: renderReportHtml(report), live: live! };
  } finally {
    if (wrapper && wrapper.proc.child.exitCode === null) wrapper.proc.kill('SIGKILL');
    candidate.proc.kill('SIGTERM');
    control?.proc.kill('SIGTERM');
  }
}

function assertFindings(report: CompareReport, how: 'control' | 'learned', opts = { latency: true }): void {
  const cand = report.destinations.find((d) => d.role === 'candidate')!;
  assert.ok(cand, 'a candidate destination');
  // Every request of the traffic is compared (nothing unpaired on a healthy run).
  assert.equal(cand.compared, 93, JSON.stringify(cand.unpaired));
  assert.deepEqual(cand.unpaired, {});
  for (const want of EXPECTED.differences) {
    const e = endpoint(cand, want.method, want.route);
    const f = e.fields.find((x) => x.path === want.path && x.kind === want.kind);
    assert.ok(f, `${want.kind} ${want.path} on ${want.route}: ${e.fields.map((x) => `${x.kind} ${x.path}`).join(', ')}`);
    assert.equal(f.verdict, 'difference', `${want.path}: ${f.reason}`);
    assert.ok(f.samples.length > 0);
  }
  const users = endpoint(cand, 'GET', '/users/:id');
  assert.equal(users.fields.find((f) => f.path === 'body.user.email')!.different, 12, 'every third of 36 users');
  for (const want of EXPECTED.noise) {
    const f = endpoint(cand, want.method, want.route).fields.find((x) => x.path === want.path);
    assert.ok(f, want.path);
    assert.equal(f.verdict, 'noise', `${want.path}: ${f.reason}`);
    assert.equal(f.noise, f.different);
    assert.match(f.reason ?? '', how === 'control' ? /control/ : /production itself varies/);
  }
  for (const want of EXPECTED.identical) {
    const e = endpoint(cand, want.method, want.route);
    assert.equal(e.different, 0);
    assert.deepEqual(e.fields, []);
  }
  const s = EXPECTED.statusChange;
  assert.deepEqual(endpoint(cand, s.method, s.route).statuses, { [s.from]: { [s.to]: 18 } });
  const slow = endpoint(cand, EXPECTED.slower.method, EXPECTED.slower.route);
  assert.equal(slow.different, 0, 'same answer, only slower');
  // (A replayed capture's production latency is the recorded one: compared too, but not asserted.)
  if (!opts.latency) return;
  assert.ok(slow.latency_ms.delta.p50 >= EXPECTED.slower.minDeltaMs, `slower route Δp50 ${slow.latency_ms.delta.p50} ms`);
  const health = endpoint(cand, 'GET', '/health');
  assert.ok(slow.latency_ms.delta.p50 > health.latency_ms.delta.p50, 'the slower route stands out');
  assert.ok(slow.latency_ms.candidate.p50 > slow.latency_ms.production.p50);
  assert.equal(cand.endpoints[0]!.different / cand.endpoints[0]!.compared, 1, 'endpoints sorted by difference rate');
}

test('compare, without a control: real differences on the right endpoint and path, noise learned from production', { timeout: 120_000 }, async () => {
  assertBuilt();
  const { report, logs, html, live } = await runScenario(false);
  assertFindings(report, 'learned');
  assertFindings(live, 'learned');
  assert.equal(report.destinations.length, 1);
  const stats = parseStatsLines(logs);
  const cand = [...stats.keys()].find((k) => k.startsWith('http://'))!;
  assert.equal(stats.get(cand)!.get('compare.compared'), 93);
  assert.ok((stats.get(cand)!.get('compare.different') ?? 0) >= 69 - 5, 'count#compare.different on the stats line');
  for (const text of ['/users/:id', 'body.user.email', 'body.user.plan', 'body.tags', '200→500', 'noise']) assert.ok(html.includes(text.replace('>', '&gt;')) || html.includes(text), text);
});

test('compare, with a control: noise is what the control also shows', { timeout: 120_000 }, async () => {
  assertBuilt();
  const { report } = await runScenario(true);
  assertFindings(report, 'control');
  const control = report.destinations.find((d) => d.role === 'control')!;
  assert.equal(control.compared, 93);
  assert.equal(control.different, 0, 'production vs production: nothing but noise');
});

test('a candidate answering garbage, huge, endless, non-UTF-8, invalid JSON, never, or a gzip bomb: counted, never crashes, never touches the primary', { timeout: 120_000 }, async () => {
  assertBuilt();
  const dir = mkdtempSync(path.join(tmpdir(), 'td-compare-bad-'));
  const html = path.join(dir, 'compare.html');
  const bad = await startApp((p) => [BAD_CANDIDATE, String(p)]);
  let wrapper: Awaited<ReturnType<typeof startWrapper>> | undefined;
  try {
    wrapper = await startWrapper({
      args: (port) => [
        '--compare', '--output-http', bad.url, '--output-http-timeout', '1s', '--compare-max-body', '64kb',
        '--compare-report', html, '--stats-interval', '1s', '--', process.execPath, ...appArgs(port, 'production'),
      ],
    });
    const paths = ['/garbage', '/huge', '/endless', '/latin1', '/badjson', '/never', '/bomb'];
    const agent = new http.Agent({ keepAlive: true });
    for (const p of paths) {
      const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: wrapper!.port, path: p, agent, timeout: 10_000 }, (r) => {
          let body = '';
          r.on('data', (c) => (body += c));
          r.on('end', () => resolve({ status: r.statusCode!, body }));
        }).on('error', reject);
      });
      // Production's own answer, untouched.
      assert.deepEqual(res, { status: 404, body: 'not found\n' }, p);
    }
    agent.destroy();
    // The copies settle (the endless and silent ones at the 1 s timeout), as the 1 s stats lines show.
    const settled = (logs: string) => {
      const st = parseStatsLines(logs).get(bad.url);
      return [...(st ?? [])].filter(([k]) => k === 'compare.compared' || k.startsWith('compare.unpaired.')).reduce((n, [, v]) => n + v, 0);
    };
    await eventually(() => settled(wrapper!.logs()) === paths.length, 30_000, 'every copy compared or counted');
    const { code } = await wrapper.stop();
    assert.equal(code, 0, wrapper.logs());
    const logs = wrapper.logs();
    assert.doesNotMatch(logs, /compare-error|uncaught|TypeError/i);
    const page = readFileSync(html, 'utf8');
    assert.match(page, /^<!doctype html>/);
    assert.doesNotMatch(page, /<script src|<link /, 'self-contained');
    const stats = parseStatsLines(logs).get(bad.url)!;
    // Every sampled copy is compared or counted unpaired by reason.
    const compared = stats.get('compare.compared') ?? 0;
    const unpaired = [...stats].filter(([k]) => k.startsWith('compare.unpaired.')).reduce((n, [, v]) => n + v, 0);
    assert.equal(compared + unpaired, paths.length, JSON.stringify(Object.fromEntries(stats)));
    assert.equal(compared, 2, 'latin1 and badjson are compared (and flagged) ' + JSON.stringify(Object.fromEntries(stats)));
    assert.equal(stats.get('compare.unpaired.timeout'), 2, 'endless and never');
    assert.equal(stats.get('compare.unpaired.body_too_large'), 2, 'huge and bomb');
    assert.ok(existsSync(html));
    assert.match(page, /invalid_json 1/);
    assert.match(page, /not_utf8 1/);
  } finally {
    if (wrapper && wrapper.proc.child.exitCode === null) wrapper.proc.kill('SIGKILL');
    bad.proc.kill('SIGTERM');
  }
});

test('compare a recorded capture with a new version: production answers from the .gor file (type 2), replayed to the candidate', { timeout: 120_000 }, async () => {
  assertBuilt();
  const dir = mkdtempSync(path.join(tmpdir(), 'td-compare-replay-'));
  const capture = path.join(dir, 'capture.gor');
  const json = path.join(dir, 'compare.json');
  // Record: the wrapper writes requests and the app's answers (gor names the chunk capture_0.gor).
  const recorder = await startWrapper({ args: (port) => ['--output-file', capture, '--', process.execPath, ...appArgs(port, 'production')] });
  try {
    await sendTraffic(recorder.port);
  } finally {
    assert.equal((await recorder.stop()).code, 0, recorder.logs());
  }
  // Replay to the candidate, comparing with the recorded answers.
  const candidate = await startApp((p) => appArgs(p, 'candidate'));
  try {
    const replay = startProcess(process.execPath, [path.join(ROOT, 'dist/cli/main.js'), '--input-file', path.join(dir, 'capture_*.gor'), '--output-http', candidate.url, '--compare', '--compare-report', json]);
    const { code } = await replay.exited;
    assert.equal(code, 0, replay.output());
    const report = JSON.parse(readFileSync(json, 'utf8')) as CompareReport;
    assertFindings(report, 'learned', { latency: false });
  } finally {
    candidate.proc.kill('SIGTERM');
  }
});
