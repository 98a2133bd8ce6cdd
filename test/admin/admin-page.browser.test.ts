// The live page rendered in a real browser: Debian's chromium driven by playwright-core,
// against the real admin server on loopback. Until compare's acceptance scenario is on main,
// the comparison is a typed fixture report in the JSON shape
// (test/fixtures/admin/compare-report.json); the counters are real Stats.
// A screenshot is kept in test-artifacts/ (git-ignored); UPDATE_SCREENSHOT=1 also refreshes
// the README's copy at docs/images/compare-page.png.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, copyFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { startAdmin, type AdminSurface } from '../../src/admin/index.js';
import type { ComparisonReport, ComparisonSource } from '../../src/admin/report.js';
import { DestinationGate } from '../../src/engine/destination-gate.js';
import { createNullOutput } from '../../src/outputs/null-output.js';
import { OUTPUT_INTERNALS } from '../../src/config/flags.js';
import { createMemoryLogger } from '../../src/telemetry/logger.js';
import { Stats, TAP } from '../../src/telemetry/stats.js';
import { eventually, freePort } from '../helpers/net.js';
import { ROOT } from '../helpers/wrapper.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('live page in a real browser', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install -y chromium)` }, () => {
  let browser: Browser;
  let admin: AdminSurface;
  let port: number;
  const log = createMemoryLogger();

  before(async () => {
    const fixture = JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/admin/compare-report.json'), 'utf8')) as ComparisonReport;
    let resets = 0;
    const comparison: ComparisonSource = { enabled: true, report: () => fixture, reset: () => void resets++ };
    const stats = new Stats();
    const candidate = 'http://127.0.0.1:4001/';
    const control = 'http://127.0.0.1:4002/';
    stats.seen(TAP, 1300);
    stats.dropped(TAP, 'body_too_large', 2);
    stats.seen(candidate, 1250);
    for (let i = 0; i < 1204; i++) stats.mirrored(candidate, 12);
    stats.dropped(candidate, 'queue_full', 40);
    stats.error(candidate, 'timeout');
    stats.seen(control, 1250);
    for (let i = 0; i < 1250; i++) stats.mirrored(control, 11);
    stats.gauge(candidate, 'queue_depth', () => 3);
    stats.gauge(control, 'queue_depth', () => 0);
    const gates = [candidate, control].map((name) => new DestinationGate(createNullOutput(OUTPUT_INTERNALS.nullQueue, { stats, log }, name), { stats }));
    port = await freePort();
    // The instance name comes from $DYNO on Heroku; pretend to be web.1 while the admin starts.
    const dyno = process.env.DYNO;
    process.env.DYNO = 'web.1';
    admin = startAdmin({ config: { adminListen: { host: '127.0.0.1', port } }, stats, gates, comparison, log });
    if (dyno === undefined) delete process.env.DYNO;
    else process.env.DYNO = dyno;
    await eventually(() => log.lines.some((l) => l.includes('at=admin-listening')), 10_000, 'admin server');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  });

  after(async () => {
    await browser?.close();
    await admin?.close();
  });

  test('shows per candidate: endpoints by difference rate, status changes, fields with noise, samples, latency, counters, the instance', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 10_000 });
    const text = await page.innerText('body');

    assert.match(text, /instance web\.1/);
    assert.match(text, /one instance\. With several dynos/);
    // Endpoints sorted by difference rate: the all-500 route first, /health (0%) last.
    const order = ['POST /orders/:id/pay', 'GET /users/:id', 'GET /reports/:date', 'GET /health'].map((r) => text.indexOf(r));
    assert.ok(order.every((i, k) => i >= 0 && (k === 0 || i > order[k - 1]!)), `endpoint order ${order.join(',')}`);
    assert.match(text, /200 → 500 × 80/);
    assert.match(text, /body\.user\.email\s+difference/);
    assert.match(text, /body\.meta\.request_id\s+noise/);
    assert.match(text, /header\.etag\s+ignored/);
    assert.match(text, /"ann@example\.com"/);
    assert.match(text, /"ANN@EXAMPLE\.COM"/);
    assert.match(text, /Δ p50 200\.1 ms/);
    assert.match(text, /Control http:\/\/127\.0\.0\.1:4002\//);
    assert.match(text, /queue_full 40/);
    assert.match(text, /timeout 1/);
    assert.deepEqual(errors, []);

    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = path.join(ARTIFACTS, 'compare-page.png');
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(existsSync(shot));
    if (process.env.UPDATE_SCREENSHOT === '1') copyFileSync(shot, path.join(ROOT, 'docs/images/compare-page.png'));

    // The control buttons work from the page: pause the candidate, see it paused.
    await page.locator('tr', { hasText: 'http://127.0.0.1:4001/' }).getByRole('button', { name: 'pause' }).click();
    await page.waitForSelector('text=paused', { timeout: 10_000 });
    assert.ok(log.lines.some((l) => /at=control action=pause dest=http:\/\/127\.0\.0\.1:4001\/ surface=listen/.test(l)), log.lines.join('\n'));
    await page.close();
  });
});
