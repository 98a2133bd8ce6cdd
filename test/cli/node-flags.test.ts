import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_22_FLAGS, NODE_FLAGS, V8_11_FLAGS, nodeFlagsFor } from '../../src/cli/node-flags.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (f: string) => readFileSync(ROOT + f, 'utf8');

test('the options depend on the Node version: the interrupt budget only for V8 11 (Node 20 and 21)', () => {
  for (const v of ['20.18.0', 'v20.19.5', '21.7.3']) assert.deepEqual(nodeFlagsFor(v), [...NODE_FLAGS, ...V8_11_FLAGS], v);
  for (const v of ['22.12.0', 'v22.23.3']) assert.deepEqual(nodeFlagsFor(v), [...NODE_FLAGS, ...NODE_22_FLAGS], v);
  for (const v of ['23.1.0', '24.21.0', '25.0.0']) assert.deepEqual(nodeFlagsFor(v), [...NODE_FLAGS], v);
});

test('launchers/node-flags.sh gives the same options as nodeFlagsFor, in bash and in a POSIX sh', () => {
  for (const shell of ['bash', 'sh']) {
    for (const v of ['v20.18.0', '20.19.5', 'v21.0.0', 'v22.12.0', '22.23.3', 'v23.1.0', 'v24.21.0', 'v30.1.2']) {
      const out = execFileSync(shell, ['-c', `. "${ROOT}launchers/node-flags.sh"; td_node_flags "${v}"`], { encoding: 'utf8' }).trim();
      assert.equal(out, nodeFlagsFor(v).join(' '), `${shell} ${v}`);
    }
  }
});

test('every launcher takes its options from that one rule: npm bins, buildpack launchers, the Dockerfile', () => {
  const pkg = JSON.parse(read('package.json')) as { bin: Record<string, string>; files: string[] };
  assert.deepEqual(pkg.bin, { 'traffic-duplicator': 'launchers/traffic-duplicator', 'start-traffic-duplicator': 'launchers/start-traffic-duplicator' });
  assert.ok(pkg.files.includes('launchers'));
  for (const [name, entry] of [
    ['traffic-duplicator', 'main.js'],
    ['start-traffic-duplicator', 'start.js'],
  ] as const) {
    const text = read(`launchers/${name}`);
    assert.ok(text.includes(`exec node $(td_node_flags "$(node --version)") \${TRAFFIC_DUPLICATOR_NODE_OPTIONS:-} "$here/../dist/cli/${entry}" "$@"`), name);
  }
  for (const f of ['bin/compile', 'bin/build']) {
    assert.ok(read(f).includes('source "$BP_DIR/launchers/node-flags.sh"'), f);
    assert.ok(
      read(f).includes('exec "\\$root/node/bin/node" $(td_node_flags "$TD_NODE_VERSION") \\${TRAFFIC_DUPLICATOR_NODE_OPTIONS:-} "\\$root/app/dist/cli/$entry" "\\$@"'),
      f,
    );
  }
  const docker = read('Dockerfile');
  for (const name of ['traffic-duplicator', 'start-traffic-duplicator']) {
    assert.ok(docker.includes(`ln -s /opt/traffic-duplicator/launchers/${name} /usr/local/bin/${name}`), `Dockerfile ${name}`);
  }
  // The entries' shebangs (for `./dist/cli/main.js` by hand) carry only what every Node accepts.
  for (const f of ['src/cli/main.ts', 'src/cli/start.ts']) assert.equal(read(f).split('\n')[0], `#!/usr/bin/env -S node ${NODE_FLAGS.join(' ')}`, f);
});

test('npm launcher: asks the node on PATH for its version and execs it with that version’s options', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'td-fake-node-'));
  try {
    // A stand-in `node` that reports a version and prints what it was started with.
    writeFileSync(
      path.join(dir, 'node'),
      `#!/bin/sh\nif [ "$1" = --version ]; then echo "$FAKE_VERSION"; exit 0; fi\nfor a in "$@"; do echo "$a"; done\n`,
    );
    chmodSync(path.join(dir, 'node'), 0o755);
    for (const version of ['v20.19.5', 'v22.12.0', 'v24.21.0']) {
      const out = execFileSync(path.join(ROOT, 'launchers/start-traffic-duplicator'), ['--', 'rails', 's'], {
        encoding: 'utf8',
        env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}`, FAKE_VERSION: version },
      });
      assert.deepEqual(out.trim().split('\n'), [...nodeFlagsFor(version), `${ROOT}launchers/../dist/cli/start.js`, '--', 'rails', 's'], version);
    }
    // TRAFFIC_DUPLICATOR_NODE_OPTIONS: after ours (node takes an option's last value), split into words.
    const out = execFileSync(path.join(ROOT, 'launchers/traffic-duplicator'), ['--version'], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}`, FAKE_VERSION: 'v20.19.5', TRAFFIC_DUPLICATOR_NODE_OPTIONS: '--max-old-space-size=1024  --trace-gc' },
    });
    assert.deepEqual(out.trim().split('\n'), [...nodeFlagsFor('v20.19.5'), '--max-old-space-size=1024', '--trace-gc', `${ROOT}launchers/../dist/cli/main.js`, '--version']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the real node accepts the options the launcher gives it, and a later one overrides ours', () => {
  const out = execFileSync(path.join(ROOT, 'launchers/traffic-duplicator'), ['--version'], { encoding: 'utf8' });
  assert.match(out, /^traffic-duplicator \d+\.\d+\.\d+/);
  const argv = execFileSync(process.execPath, [...nodeFlagsFor(), '-p', 'JSON.stringify(process.execArgv)'], { encoding: 'utf8' });
  assert.deepEqual(JSON.parse(argv), [...nodeFlagsFor(), '-p', 'JSON.stringify(process.execArgv)']);
  // V8 sizes the old generation from our --max-old-space-size=256; a later one (where the launchers put
  // TRAFFIC_DUPLICATOR_NODE_OPTIONS) wins.
  const limitMb = (extra: string[]) =>
    Number(execFileSync(process.execPath, [...nodeFlagsFor(), ...extra, '-p', 'v8.getHeapStatistics().heap_size_limit / 2 ** 20'], { encoding: 'utf8' }));
  const ours = limitMb([]);
  assert.ok(ours >= 256 && ours < 400, `heap limit ${ours} MB`);
  assert.ok(limitMb(['--max-old-space-size=1024']) >= 1024);
});
