import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileModifiers, isDropped, MODIFIER_FLAGS } from '../../src/pipeline/index.js';
import { gorFlag } from './gor-flag.js';
import { CONFORMANCE_CASES, expectedRaw } from './conformance-cases.js';
import { deepFreeze, parseRaw, toRaw } from './raw-request.js';

for (const row of CONFORMANCE_CASES) {
  test(`conformance: ${row.name}`, () => {
    const flags = row.flags.map(([flag, value], i) => gorFlag(flag, value, `row:${i + 1}`));
    const pipeline = compileModifiers(flags);
    const request = deepFreeze(parseRaw(row.request));
    assert.equal(toRaw(request), row.request, 'the test helper round-trips the request');

    const result = pipeline.run(request);
    if (row.expect === 'dropped') {
      assert.ok(isDropped(result), `expected a drop, got ${isDropped(result) ? '' : JSON.stringify(toRaw(result))}`);
      assert.equal(result.dropped, 'filtered');
      assert.match(result.rule, /^--http-/);
      return;
    }
    assert.ok(!isDropped(result), `expected the request to pass, dropped by ${isDropped(result) ? result.rule : ''}`);
    if (row.expect === 'unchanged') assert.equal(result, request, 'an unchanged request is the same object');
    else assert.equal(toRaw(result), expectedRaw(row));
  });
}

test('conformance: every modifier flag has rows', () => {
  const covered = new Set(CONFORMANCE_CASES.flatMap((c) => c.flags.map(([f]) => f)));
  for (const flag of MODIFIER_FLAGS) {
    assert.ok(covered.has(flag), flag);
  }
});
