import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseInvocation, type Config } from '../../src/config/index.js';
import { UsageError } from '../../src/core/errors.js';
import { MAIN } from '../helpers/wrapper.js';

const noFiles = { readFile: () => undefined };
function cfg(argv: string[]): Config {
  const inv = parseInvocation(argv, { PORT: '5000' }, noFiles);
  assert.equal(inv.kind, 'run');
  return (inv as { config: Config }).config;
}
function refused(argv: string[], message: RegExp): void {
  assert.throws(() => cfg(argv), (e: unknown) => e instanceof UsageError && message.test(e.message), argv.join(' '));
}

test('the --compare flags build the comparison settings; the control becomes one more HTTP destination', () => {
  const c = cfg([
    '--output-http', 'http://127.0.0.1:5001', '--compare', '--compare-control', '127.0.0.1:5002',
    '--compare-ignore', 'header.etag', '--compare-ignore', 'body.items[*].updated_at', '--compare-route', '/orders/:id/items',
    '--compare-sample', '25%', '--compare-max-body', '256kb', '--compare-report', 'out/compare.html', '--compare-redact', 'password', '--', 'app',
  ]);
  assert.equal(c.compare.enabled, true);
  assert.equal(c.compare.control, 'http://127.0.0.1:5002/');
  assert.deepEqual(c.httpOutputs.map((o) => o.url), ['http://127.0.0.1:5001/', 'http://127.0.0.1:5002/']);
  assert.deepEqual(c.compare.ignore, ['header.etag', 'body.items[*].updated_at']);
  assert.deepEqual(c.compare.routes.map((r) => r.pattern), ['/orders/:id/items']);
  assert.equal(c.compare.samplePercent, 25);
  assert.equal(c.compare.maxBodyBytes, 256 * 1024);
  assert.equal(c.compare.reportFile, 'out/compare.html');
  assert.deepEqual(c.compare.redact, ['password']);
});

test('defaults: off, 100% sampled, 1 MiB bodies', () => {
  const c = cfg(['--output-http', 'http://127.0.0.1:5001', '--', 'app']);
  assert.equal(c.compare.enabled, false);
  assert.equal(c.compare.samplePercent, 100);
  assert.equal(c.compare.maxBodyBytes, 1024 * 1024);
  assert.deepEqual(c.httpOutputs.length, 1);
});

test('bad --compare values name the flag and say what was expected', () => {
  const base = ['--output-http', 'http://127.0.0.1:5001', '--compare'];
  refused([...base, '--compare-ignore', 'items.price', '--', 'app'], /--compare-ignore: "items\.price" is not a field path/);
  refused([...base, '--compare-ignore', 'body.items[0].price', '--', 'app'], /--compare-ignore: .*\[\*\]/);
  refused([...base, '--compare-ignore', 'header.ETag', '--', 'app'], /--compare-ignore: .*lowercase/);
  refused([...base, '--compare-route', 'orders/:id', '--', 'app'], /--compare-route: "orders\/:id" is not a route pattern: a route pattern starts with \//);
  refused([...base, '--compare-route', '/orders/:', '--', 'app'], /--compare-route: .*parameter/);
  refused([...base, '--compare-sample', '0%', '--', 'app'], /--compare-sample: "0%" is not a percentage/);
  refused([...base, '--compare-sample', '150%', '--', 'app'], /--compare-sample: "150%" is not a percentage/);
  refused([...base, '--compare-sample', 'half', '--', 'app'], /--compare-sample/);
  refused([...base, '--compare-max-body', 'big', '--', 'app'], /--compare-max-body: "big" is not a size/);
  refused([...base, '--compare-report', 'report.txt', '--', 'app'], /--compare-report: "report\.txt" is neither a \.json nor an \.html file/);
  refused([...base, '--compare-control', 'ftp://x', '--', 'app'], /--compare-control: .*not an http or https URL/);
  refused([...base, '--compare-control', 'http://127.0.0.1:5003|10%', '--', 'app'], /--compare-control: .*no \|N/);
  refused([...base, '--compare-control', 'http://127.0.0.1:5001', '--', 'app'], /--compare-control .* is also an --output-http destination/);
  refused([...base, '--compare-redact', 'two words', '--', 'app'], /--compare-redact/);
  refused(['--output-http', 'http://127.0.0.1:5001', '--compare-report', 'c.json', '--', 'app'], /--compare-report needs --compare/);
  refused(['--output-file', 'x.gor', '--compare', '--', 'app'], /--compare needs an --output-http destination/);
  refused([...base, '--compare-colour', 'x', '--', 'app'], /compare-colour/);
});

test('the real CLI exits 2 on a bad --compare value, naming the flag, before starting the app', { timeout: 30_000 }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'td-compare-flags-'));
  const marker = path.join(dir, 'app-started');
  const r = spawnSync(process.execPath, [MAIN, '--output-http', 'http://127.0.0.1:9', '--compare', '--compare-route', 'nope', '--', process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, '1')`], {
    env: { ...process.env, PORT: '0' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /--compare-route/);
  assert.equal(existsSync(marker), false, 'nothing was spawned');
});
