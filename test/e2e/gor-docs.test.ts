/**
 * Issue #3, part 4: docs/coming-from-gor.md cannot drift from the flag table. Every flag in
 * FLAGS (and every gor alias it accepts) and every refused gor flag in UNSUPPORTED must be
 * named in the guide, and the guide must not list a flag we don't have.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FLAGS } from '../../src/config/flags.js';
import { UNSUPPORTED } from '../../src/config/unsupported.js';
import { ROOT } from '../helpers/wrapper.js';

const DOC = readFileSync(path.join(ROOT, 'docs/coming-from-gor.md'), 'utf8');
/** Flags written as `--name` in code spans, in the supported-flags section. */
const supportedSection = DOC.slice(DOC.indexOf('## Supported flags'), DOC.indexOf('## gor flags that are accepted and ignored'));
const ignoredSection = DOC.slice(DOC.indexOf('## gor flags that are accepted and ignored'), DOC.indexOf('## gor flags that are not supported'));
const IGNORED = FLAGS.filter((f) => f.ignored !== undefined);
const SUPPORTED = FLAGS.filter((f) => f.ignored === undefined);
const unsupportedSection = DOC.slice(DOC.indexOf('## gor flags that are not supported'), DOC.indexOf('## Where we deliberately differ'));

const named = (text: string, flag: string) => new RegExp(`\`--${flag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\``).test(text);

test('the guide has its sections', () => {
  for (const h of ['## Supported flags', '## gor flags that are accepted and ignored', '## gor flags that are not supported', '## Where we deliberately differ', '## The .gor files we write', '## The middleware protocol']) {
    assert.ok(DOC.includes(h), h);
  }
});

test('every flag of the flag table (and every alias) is listed as supported', () => {
  const missing = SUPPORTED.flatMap((f) => [f.name, ...f.aliases.map((a) => a.name)]).filter((n) => !named(supportedSection, n));
  assert.deepEqual(missing, [], 'add these to docs/coming-from-gor.md (regenerate the tables from FLAGS)');
});

test('the supported list names no flag we do not have', () => {
  const known = new Set(SUPPORTED.flatMap((f) => [f.name, ...f.aliases.map((a) => a.name)]));
  const listed = [...supportedSection.matchAll(/`--([a-z0-9-]+)`/g)].map((m) => m[1]!);
  assert.deepEqual(listed.filter((n) => !known.has(n)), []);
});

test('every accepted-but-ignored flag is listed with why, and only those', () => {
  assert.ok(IGNORED.length >= 5, 'the ignored group is in the flag table');
  for (const f of IGNORED) {
    assert.ok(named(ignoredSection, f.name), `--${f.name} missing from the ignored table`);
    assert.ok(ignoredSection.includes(f.ignored!), `reason for --${f.name} out of date: ${f.ignored}`);
  }
  const listed = [...ignoredSection.matchAll(/^\| `--([a-z0-9-]+)`/gm)].map((m) => m[1]!);
  assert.deepEqual(listed.sort(), IGNORED.map((f) => f.name).sort());
});

test('every refused gor flag is listed with its reason', () => {
  for (const u of UNSUPPORTED) {
    for (const n of u.names) assert.ok(named(unsupportedSection, n), `--${n} missing from the unsupported table`);
    assert.ok(unsupportedSection.includes(u.why), `reason for ${u.names.join(', ')} out of date`);
  }
});

test('gor issues are cited as buger/goreplay#N', () => {
  const cites = [...DOC.matchAll(/goreplay#(\d+)/g)];
  assert.ok(cites.length >= 10);
  for (const m of DOC.matchAll(/\b(\w+)\/goreplay#\d+/g)) assert.equal(m[1], 'buger');
});
