#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's own test runner (through tsx).
// Node 20 does not expand globs given to --test, so we find the files ourselves.
// Usage: node scripts/run-tests.mjs [substring filter...]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = find('test').filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))).sort();
if (files.length === 0) {
  console.error('no test files matched', filters.join(' '));
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
// A guard, not a measurement: no single test may hang the run (CI has 90 minutes in all).
const timeoutMs = process.env.TEST_TIMEOUT_MS ?? '300000';
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, `--test-timeout=${timeoutMs}`, ...files], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
