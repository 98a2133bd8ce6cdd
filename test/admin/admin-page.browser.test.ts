// The live page and /metrics on compare's real scenario (test/fixtures/compare/): the built CLI
// in wrap mode in front of the production app, the candidate (and the control) as
// --output-http with --compare, the scenario's traffic on the public port; then the page in a
// real browser (Debian's chromium driven by playwright-core) must show the real findings.
//   1. With a control, the admin surface under --admin-path on the public port (the Heroku way,
//      token → cookie): fields, noise by the control, 500s, the slower route, counters, the
//      instance, the pause button; /metrics has the comparison by endpoint and passes promtool.
//   2. Without a control, on --admin-listen: the same noise comes out as noise, learned from
//      production itself.
// Screenshots are kept in test-artifacts/ (git-ignored); UPDATE_SCREENSHOT=1 also refreshes
// the README's copy (the top of the page) at docs/images/compare-page.png.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { eventually, freePort, type Proc } from '../helpers/net.js';
import { assertBuilt } from '../helpers/duplicator.js';
import { ROOT, startWrapper, type Duplicator } from '../helpers/wrapper.js';
import { appArgs, sendTraffic, startApp, EXPECTED } from '../fixtures/compare/scenario.js';
import type { CompareReport } from '../../src/compare/index.js';

const CHROMIUM = '/usr/bin/chromium';
const NO_CHROMIUM = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install -y chromium)`;
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TOKEN = 'page-test-token-0123456789abcdef';
const PREFIX = '/__traffic-duplicator';
/** Requests in the scenario's traffic: each is compared once per destination. */
const PAIRS = 93;

interface Scenario {
  wrapper: Duplicator;
  candidate: string;
  control: string | undefined;
  /** Where the admin surface answers, with a trailing slash. */
  base: string;
  /** Headers that authenticate a plain HTTP client there. */
  auth: Record<string, string>;
  stop(): Promise<void>;
}

/** The scenario through the real CLI, until the admin surface has compared every request. */
async function runScenario(o: { control: boolean; surface: 'path' | 'listen' }): Promise<Scenario> {
  assertBuilt();
  const procs: Proc[] = [];
  let wrapper: Duplicator | undefined;
  const stop = async () => {
    if (wrapper && wrapper.proc.child.exitCode === null) assert.equal((await wrapper.stop()).code, 0, wrapper.logs());
    for (const p of procs) p.kill('SIGTERM');
  };
  try {
    const candidate = await startApp((p) => appArgs(p, 'candidate'));
    procs.push(candidate.proc);
    const control = o.control ? await startApp((p) => appArgs(p, 'control')) : undefined;
    if (control) procs.push(control.proc);
    const adminPort = await freePort();
    wrapper = await startWrapper({
      args: (port) => [
        ...(o.surface === 'path' ? ['--admin-path', PREFIX] : ['--admin-listen', `127.0.0.1:${adminPort}`]),
        '--compare', '--output-http', candidate.url, ...(control ? ['--compare-control', control.url] : []),
        '--stats-interval', '1s', '--',
        process.execPath, ...appArgs(port, 'production'),
      ],
      // The instance the page names: $DYNO, as on Heroku.
      env: { DYNO: 'web.1', ...(o.surface === 'path' ? { TRAFFIC_DUPLICATOR_ADMIN_TOKEN: TOKEN } : {}) },
    });
    const base = o.surface === 'path' ? `http://127.0.0.1:${wrapper.port}${PREFIX}/` : `http://127.0.0.1:${adminPort}/`;
    const auth: Record<string, string> = o.surface === 'path' ? { authorization: `Bearer ${TOKEN}` } : {};
    const statuses = await sendTraffic(wrapper.port);
    assert.ok(statuses.every((s) => s === 200), `production answers as before: ${[...new Set(statuses)].join(',')}`);
    await eventually(async () => {
      const res = await fetch(`${base}api/report`, { headers: auth });
      const r = (await res.json()) as CompareReport;
      return r.destinations.length === (control ? 2 : 1) && r.destinations.every((d) => d.compared === PAIRS);
    }, 30_000, 'every pair compared');
    return { wrapper, candidate: candidate.url, control: control?.url, base, auth, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

/** What the page shows, read from the DOM as a user reads it (innerText of visible elements). */
interface PageView {
  instance: string;
  instanceNote: string;
  counters: Record<string, { seen: number; mirrored: number; dropped: string; errors: string; queue: string }>;
  destinations: Array<{
    url: string;
    heading: string;
    summary: string;
    /** The endpoints table, in the page's order. */
    table: Array<{ endpoint: string; compared: number; different: number; statuses: string }>;
    endpoints: Record<string, { fields: Record<string, { kind: string; different: number; noise: number; verdict: string; reason: string; samples: string }>; latencyDelta: { p50: number } }>;
  }>;
}

// Runs in the browser: a string, as this project compiles without the DOM's types.
const READ_PAGE = `(() => {
  const text = (e) => (e ? e.innerText.trim() : '');
  const counters = {};
  for (const tr of document.querySelectorAll('#counters tbody tr')) {
    const c = tr.cells;
    counters[text(c[0])] = { seen: Number(text(c[1]).replace(/,/g, '')), mirrored: Number(text(c[2]).replace(/,/g, '')), dropped: text(c[3]), errors: text(c[4]), queue: text(c[5]) };
  }
  const destinations = [...document.querySelectorAll('#candidates section.destination')].map((s) => {
    const rows = [...s.querySelectorAll('table.endpoints tr')].slice(1);
    const endpoints = {};
    for (const e of s.querySelectorAll('[data-endpoint]')) {
      const fields = {};
      for (const tr of e.querySelectorAll('table.fields tr[data-path]')) {
        const c = tr.cells;
        fields[tr.dataset.path] = { kind: text(c[1]), different: Number(text(c[2])), noise: Number(text(c[3])), verdict: text(c[4]), reason: c[4].title, samples: text(c[5]) };
      }
      const latency = [...e.querySelectorAll('table.latency tr')].find((tr) => text(tr.cells[0]).startsWith('Δ'));
      endpoints[e.dataset.endpoint] = { fields, latencyDelta: { p50: Number(text(latency && latency.cells[1])) } };
    }
    return {
      url: s.dataset.url,
      heading: text(s.querySelector('h2')),
      summary: text(s.querySelector('p')),
      table: rows.map((tr) => ({ endpoint: text(tr.cells[0]), compared: Number(text(tr.cells[1])), different: Number(text(tr.cells[2]).split(' ')[0]), statuses: text(tr.cells[3]) })),
      endpoints,
    };
  });
  return { instance: text(document.getElementById('instance')), instanceNote: text(document.getElementById('instance-note')), counters, destinations };
})()`;

async function readPage(page: Page): Promise<PageView> {
  return (await page.evaluate(READ_PAGE)) as PageView;
}

/** Which samples are open, by endpoint, field and request (runs in the browser). */
const OPEN_SAMPLES = `[...document.querySelectorAll('#candidates details')].filter((d) => d.open).map((d) =>
  d.closest('[data-endpoint]').dataset.endpoint + ' ' + d.closest('tr').dataset.path + ' ' + d.querySelector('summary').textContent)`;

/** The scenario's findings for the candidate, as the page shows them. */
function assertCandidateFindings(view: PageView, candidate: string, noiseBy: RegExp): void {
  const d = view.destinations.find((x) => x.url === candidate);
  assert.ok(d, `a section for ${candidate}: ${view.destinations.map((x) => x.url).join(', ')}`);
  assert.match(d.heading, /^Candidate /);
  assert.match(d.summary, new RegExp(`^${PAIRS} compared`));
  // Endpoints sorted by difference rate: every 100% one before the identical ones.
  const rates = d.table.map((r) => r.different / r.compared);
  assert.deepEqual(rates, [...rates].sort((a, b) => b - a), `order: ${d.table.map((r) => r.endpoint).join(', ')}`);
  assert.equal(rates[0], 1);
  const ep = (method: string, route: string) => {
    const e = d.endpoints[`${method} ${route}`];
    assert.ok(e, `endpoint ${method} ${route} on the page: ${Object.keys(d.endpoints).join(', ')}`);
    return e;
  };
  for (const want of EXPECTED.differences) {
    const f = ep(want.method, want.route).fields[want.path];
    assert.ok(f, `${want.path} on ${want.route}`);
    assert.equal(f.kind, want.kind, want.path);
    assert.equal(f.verdict, 'difference', `${want.path}: ${f.reason}`);
    assert.ok(f.different > 0 && f.samples.length > 0, `${want.path} with a sample`);
  }
  // The changed email: 12 of 36 users, with production's and the candidate's value side by side.
  const email = ep('GET', '/users/:id').fields['body.user.email']!;
  assert.equal(email.different, 12);
  assert.match(email.samples, /@example\.com/);
  assert.match(email.samples, /@new\.example\.com/);
  for (const want of EXPECTED.noise) {
    const f = ep(want.method, want.route).fields[want.path];
    assert.ok(f, `noise ${want.path} is shown, not hidden`);
    assert.equal(f.verdict, 'noise', `${want.path}: ${f.reason}`);
    assert.equal(f.noise, f.different);
    assert.match(f.reason, noiseBy, want.path);
  }
  for (const want of EXPECTED.identical) assert.deepEqual(ep(want.method, want.route).fields, {}, `${want.route} identical`);
  const s = EXPECTED.statusChange;
  const row = d.table.find((r) => r.endpoint === `${s.method} ${s.route}`);
  assert.equal(row?.statuses, `${s.from}→${s.to} ×18`);
  const slow = ep(EXPECTED.slower.method, EXPECTED.slower.route);
  assert.ok(slow.latencyDelta.p50 >= EXPECTED.slower.minDeltaMs, `the slower route's Δ p50 on the page: ${slow.latencyDelta.p50} ms`);
  assert.ok(slow.latencyDelta.p50 > ep('GET', '/health').latencyDelta.p50, 'the slower route stands out');
}

async function openPage(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForSelector('body[data-loaded="true"]', { timeout: 10_000 });
  await page.waitForSelector('#candidates section.destination', { timeout: 10_000 });
  return { page, errors };
}

describe('the live page and /metrics on the real comparison scenario, with a control, under --admin-path', () => {
  let run: Scenario;
  let browser: Browser | undefined;

  before(async () => {
    run = await runScenario({ control: true, surface: 'path' });
  });
  after(async () => {
    await browser?.close();
    await run?.stop();
  });

  test('/metrics has the comparison counts by destination and endpoint and passes promtool check metrics', { skip: hasPromtool() ? false : 'promtool is not installed (apt-get install -y prometheus)' }, async () => {
    const res = await fetch(`${run.base}metrics`, { headers: run.auth });
    assert.equal(res.status, 200);
    const body = await res.text();
    const series = (name: string, dest: string, role: string, route: string) =>
      new RegExp(`^${name}\\{destination="${dest.replace(/[.]/g, '\\.')}",role="${role}",method="GET",route="${route.replace(/[.]/g, '\\.')}"\\} (\\d+)$`, 'm').exec(body)?.[1];
    assert.equal(series('traffic_duplicator_compare_compared_total', run.candidate, 'candidate', '/users/:id'), '36', body);
    assert.equal(series('traffic_duplicator_compare_different_pairs', run.candidate, 'candidate', '/users/:id'), '36');
    assert.equal(series('traffic_duplicator_compare_different_pairs', run.candidate, 'candidate', '/orders/:id'), '18');
    assert.equal(series('traffic_duplicator_compare_different_pairs', run.candidate, 'candidate', '/health'), '0');
    assert.equal(series('traffic_duplicator_compare_compared_total', run.control!, 'control', '/users/:id'), '36');
    assert.equal(series('traffic_duplicator_compare_different_pairs', run.control!, 'control', '/users/:id'), '0', 'the control differs by noise only');
    assert.match(body, new RegExp(`^traffic_duplicator_copies_mirrored_total\\{destination="${run.candidate.replace(/[.]/g, '\\.')}"\\} ${PAIRS}$`, 'm'));
    const out = execFileSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
    assert.equal(out.trim(), '', `promtool: ${out}`);
  });

  test('the page shows the real findings: fields on their endpoints, noise by the control, the 500s, the slower route, counters, the instance', { skip: NO_CHROMIUM }, async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
    // As on Heroku: ?token= once, traded for a cookie (the address bar loses the token).
    const { page, errors } = await openPage(browser, `${run.base}?token=${TOKEN}`);
    assert.equal(new URL(page.url()).search, '');
    const view = await readPage(page);

    assert.equal(view.instance, 'web.1');
    assert.match(view.instanceNote, /one instance\. With several dynos/);
    assertCandidateFindings(view, run.candidate, /control/);
    const control = view.destinations.find((d) => d.url === run.control);
    assert.ok(control, 'the control has its section');
    assert.match(control.heading, /^Control /);
    assert.ok(control.table.every((r) => r.different === 0), 'production vs production: nothing but noise');
    // Live counters: every copy mirrored to each destination, nothing dropped, no errors.
    for (const dest of [run.candidate, run.control!]) {
      const c = view.counters[dest];
      assert.ok(c, `counters for ${dest}: ${Object.keys(view.counters).join(', ')}`);
      assert.deepEqual({ seen: c.seen, mirrored: c.mirrored, dropped: c.dropped, errors: c.errors }, { seen: PAIRS, mirrored: PAIRS, dropped: '', errors: '' });
      assert.equal(c.queue, '0');
    }
    assert.deepEqual(errors, []);

    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = path.join(ARTIFACTS, 'compare-page.png');
    await page.screenshot({ path: shot, fullPage: true });
    // The README's copy: the top of the page (counters, the candidate's endpoints, its first fields).
    const top = path.join(ARTIFACTS, 'compare-page-top.png');
    await page.screenshot({ path: top, clip: { x: 0, y: 0, width: 1280, height: 1400 } });
    if (process.env.UPDATE_SCREENSHOT === '1') copyFileSync(top, path.join(ROOT, 'docs/images/compare-page.png'));

    // A sample opened by the user stays open across the page's refreshes.
    const before = (await page.evaluate(OPEN_SAMPLES)) as string[];
    await page.locator('#candidates details:not([open]) summary').first().click();
    const opened = ((await page.evaluate(OPEN_SAMPLES)) as string[]).filter((k) => !before.includes(k));
    assert.equal(opened.length, 1);
    // Wait for the next refresh: the page's "updated" time changes.
    const updated = await page.locator('#updated').innerText();
    await eventually(async () => (await page.locator('#updated').innerText()) !== updated, 10_000, 'the next refresh');
    assert.ok(((await page.evaluate(OPEN_SAMPLES)) as string[]).includes(opened[0]!), opened[0]);

    // The control buttons work from the page (the cookie authenticates them): pause the candidate.
    await page.locator('#counters tr', { hasText: run.candidate }).getByRole('button', { name: 'pause' }).click();
    await page.waitForSelector('#counters .pill.warn', { timeout: 10_000 });
    await eventually(() => new RegExp(`at=control action=pause dest=${run.candidate.replace(/[.]/g, '\\.')} surface=path`).test(run.wrapper.logs()), 10_000, 'the pause logged');
    await page.close();
  });
});

describe('the live page without a control, on --admin-listen: noise learned from production itself', { skip: NO_CHROMIUM }, () => {
  let run: Scenario;
  let browser: Browser;

  before(async () => {
    run = await runScenario({ control: false, surface: 'listen' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  });
  after(async () => {
    await browser?.close();
    await run?.stop();
  });

  test('the same differences, and the noise still shown as noise', async () => {
    const { page, errors } = await openPage(browser, run.base);
    const view = await readPage(page);
    assert.equal(view.destinations.length, 1);
    assertCandidateFindings(view, run.candidate, /production itself varies/);
    assert.equal(view.counters[run.candidate]?.mirrored, PAIRS);
    assert.deepEqual(errors, []);
    await page.close();
  });
});

function hasPromtool(): boolean {
  try {
    execFileSync('promtool', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
