// The buildpack scripts stay shellcheck-clean (skipped where shellcheck is not installed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './harness.js';

const scripts = ['bin/detect', 'bin/compile', 'bin/release', 'bin/build', 'bin/lib/common.sh', 'bin/lib/node.sh', 'bin/lib/tool.sh'];
/** npm's bins and the options rule they share with the buildpacks: POSIX sh, not bash. */
const launchers = ['launchers/traffic-duplicator', 'launchers/start-traffic-duplicator', 'launchers/node-flags.sh'];

test('buildpack scripts exist, are executable bash with set -euo pipefail', () => {
  for (const s of scripts.filter((x) => !x.endsWith('.sh'))) {
    const r = spawnSync('bash', ['-c', 'test -x "$1" && head -n 20 "$1"', '_', join(REPO, s)], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${s} missing or not executable`);
    assert.match(r.stdout, /^#!\/usr\/bin\/env bash\n/);
    assert.match(r.stdout, /^set -euo pipefail$/m);
  }
});

test('buildpack scripts and npm launchers are shellcheck-clean', (t) => {
  const which = spawnSync('bash', ['-c', 'command -v shellcheck'], { encoding: 'utf8' });
  if (which.status !== 0) {
    t.skip('shellcheck is not installed');
    return;
  }
  assert.ok([...scripts, ...launchers].every((s) => existsSync(join(REPO, s))));
  const r = spawnSync('shellcheck', ['-x', ...scripts, ...launchers], { cwd: REPO, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
