import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NODE_FLAGS } from '../../src/cli/node-flags.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (f: string) => readFileSync(ROOT + f, 'utf8');
const flags = NODE_FLAGS.join(' ');

test('every launcher starts node with NODE_FLAGS: the bins, the buildpack launchers, the Dockerfile', () => {
  for (const f of ['src/cli/main.ts', 'src/cli/start.ts']) {
    assert.equal(read(f).split('\n')[0], `#!/usr/bin/env -S node ${flags}`, f);
  }
  for (const f of ['bin/compile', 'bin/build']) {
    assert.ok(read(f).includes(`exec "\\$root/node/bin/node" ${flags} "\\$root/app/dist/cli/$entry" "\\$@"`), f);
  }
  const docker = read('Dockerfile');
  for (const entry of ['main.js', 'start.js']) assert.ok(docker.includes(`exec node ${flags} /opt/traffic-duplicator/dist/cli/${entry}`), `Dockerfile ${entry}`);
});

test('the shebang line works: env -S splits it and node accepts every flag', () => {
  const [cmd, ...args] = read('src/cli/main.ts').split('\n')[0]!.slice(2).split(' ');
  const out = execFileSync(cmd!, [...args, '-p', 'JSON.stringify(process.execArgv)'], { encoding: 'utf8' });
  assert.deepEqual((JSON.parse(out) as string[]).slice(0, NODE_FLAGS.length), [...NODE_FLAGS]);
});
