/**
 * Issue #10: what `npm pack` ships, from a fresh checkout. The working tree's tracked and
 * new files are copied to a temp dir without dist/ (as a fresh clone has none), so the
 * `prepare` script must build it; the package must hold dist/ with both commands, LICENSE,
 * and no demo code and no source maps pointing at sources it does not ship.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/wrapper.js';

function freshCheckout(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'td-pack-'));
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0')
    .filter((f) => f !== '' && !f.startsWith('dist/'));
  for (const f of files) {
    mkdirSync(path.join(dir, path.dirname(f)), { recursive: true });
    try {
      cpSync(path.join(ROOT, f), path.join(dir, f));
    } catch {
      // deleted in the working tree but still in the index
    }
  }
  // Dependencies as `npm ci` would have installed them (the build needs typescript).
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

test('npm pack on a fresh checkout builds dist/ and ships it with LICENSE, without the demo or source maps', { timeout: 180_000 }, () => {
  const dir = freshCheckout();
  try {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--silent'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' },
      timeout: 170_000,
    });
    const [pack] = JSON.parse(out.slice(out.indexOf('['))) as Array<{ files: Array<{ path: string }> }>;
    const paths = pack!.files.map((f) => f.path);
    assert.ok(paths.includes('dist/cli/main.js'), `the prepare script built dist/: ${paths.join(' ')}`);
    assert.ok(paths.includes('dist/cli/start.js'));
    for (const f of ['launchers/traffic-duplicator', 'launchers/start-traffic-duplicator', 'launchers/node-flags.sh']) assert.ok(paths.includes(f), `npm bins ship: ${f}`);
    assert.ok(paths.includes('LICENSE'));
    assert.ok(paths.includes('package.json'));
    assert.deepEqual(paths.filter((p) => /demo/.test(p)), [], 'no demo code in the package');
    assert.deepEqual(paths.filter((p) => p.endsWith('.map')), [], 'no source maps without their sources');
    assert.deepEqual(paths.filter((p) => p.startsWith('src/') || p.startsWith('test/')), []);
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { license?: string; repository?: unknown; scripts?: Record<string, string> };
    assert.equal(pkg.license, 'MIT');
    assert.ok(pkg.repository, 'package.json names its repository');
    assert.match(readFileSync(path.join(dir, 'LICENSE'), 'utf8'), /^MIT License/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('docs: install from git or a tarball until published; the kill switch and the Dockerfile example say what happens', () => {
  const read = (f: string) => readFileSync(path.join(ROOT, f), 'utf8');
  for (const f of ['README.md', 'docs/install.md', 'examples/demo/demo.ts']) {
    // `npx traffic-duplicator` fetches from the registry, where it is not published yet.
    const advertised = read(f).split('\n').filter((l) => /npx (-p )?traffic-duplicator/.test(l) && !/not published|node_modules|local copy/.test(l));
    assert.deepEqual(advertised, [], `${f} advertises npx traffic-duplicator`);
  }
  const install = read('docs/install.md');
  assert.match(install, /npm install --save git\+https:\/\//);
  assert.match(install, /npm pack/);
  assert.doesNotMatch(install.replace(/\s+/g, ' '), /ENABLED=false` to relay without mirroring/);
  // On a bridge network (-p) 127.0.0.1 is the duplicator's own container, not the app.
  const header = read('Dockerfile').split('\n').filter((l) => l.startsWith('#')).join('\n');
  assert.doesNotMatch(header, /docker run[^\n]*-p [^\n]*--upstream http:\/\/127\.0\.0\.1/);
  assert.match(header, /--network container:/);
});
