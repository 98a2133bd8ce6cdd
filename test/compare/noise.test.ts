import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IgnoreList, VolatilityLearner, controlVerdict, fingerprint } from '../../src/compare/noise.js';
import { viewResponse } from '../../src/compare/response-view.js';
import { fieldPathProblem } from '../../src/compare/syntax.js';

test('(a) control rule: a difference only when the candidate differs clearly more often than the control', () => {
  assert.equal(controlVerdict(1, 1), 'noise');
  assert.equal(controlVerdict(0.33, 0), 'difference');
  assert.equal(controlVerdict(0.02, 0), 'noise', 'under the absolute threshold (3 points)');
  assert.equal(controlVerdict(0.55, 0.5), 'noise', 'over by 5 points but under the relative threshold (20%)');
  assert.equal(controlVerdict(0.8, 0.5), 'difference');
});

const json = (v: unknown): [string, () => Map<string, string>] => {
  const r = viewResponse(200, [{ name: 'content-type', value: 'application/json' }], Buffer.from(JSON.stringify(v)), 1 << 20);
  assert.ok(r.ok);
  const view = r.view;
  return [JSON.stringify(v), () => fingerprint(view)];
};

test('(b) learned from production: identical requests with differing answers mark those fields volatile', () => {
  const l = new VolatilityLearner();
  l.observe('GET /u/:id', 'GET /u/1', ...json({ id: 1, at: 't1', items: [{ ts: 1 }], tags: ['a', 'b'] }));
  assert.equal(l.isVolatile('GET /u/:id', 'body.at', 'changed'), false, 'one answer teaches nothing');
  l.observe('GET /u/:id', 'GET /u/2', ...json({ id: 2, at: 't2', items: [{ ts: 2 }], tags: ['a', 'b'] }));
  assert.equal(l.isVolatile('GET /u/:id', 'body.at', 'changed'), false, 'different requests may answer differently');
  l.observe('GET /u/:id', 'GET /u/1', ...json({ id: 1, at: 't3', items: [{ ts: 3 }], tags: ['b', 'a'] }));
  assert.equal(l.isVolatile('GET /u/:id', 'body.at', 'changed'), true);
  assert.equal(l.isVolatile('GET /u/:id', 'body.items[*].ts', 'changed'), true);
  assert.equal(l.isVolatile('GET /u/:id', 'body.tags', 'reordered'), true, 'production reorders it itself');
  assert.equal(l.isVolatile('GET /u/:id', 'body.id', 'changed'), false);
  assert.equal(l.isVolatile('GET /other', 'body.at', 'changed'), false, 'per endpoint');
});

test('(b) the learner is bounded: old requests are forgotten', () => {
  const l = new VolatilityLearner({ maxRequests: 2 });
  l.observe('E', 'r1', ...json({ a: 1 }));
  l.observe('E', 'r2', ...json({ a: 1 }));
  l.observe('E', 'r3', ...json({ a: 1 }));
  l.observe('E', 'r1', ...json({ a: 2 })); // r1 was forgotten: nothing to compare with
  assert.equal(l.isVolatile('E', 'body.a', 'changed'), false);
});

test('(c) ignore paths cover themselves and what is below them', () => {
  const i = new IgnoreList(['header.etag', 'body.meta', 'body.items[*].updated_at']);
  assert.ok(i.matches('header.etag'));
  assert.ok(i.matches('body.meta.generated_at'));
  assert.ok(i.matches('body.items[*].updated_at'));
  assert.ok(!i.matches('body.metadata'));
  assert.ok(!i.matches('body.items[*].price'));
});

test('field path syntax', () => {
  for (const ok of ['status', 'header.etag', 'body', 'body.a.b', 'body.items[*].price', 'body["a b"].c', 'body[*]']) assert.equal(fieldPathProblem(ok), undefined, ok);
  assert.match(fieldPathProblem('header.ETag')!, /lowercase/);
  assert.match(fieldPathProblem('body.items[0].price')!, /\[\*\]/);
  assert.equal(fieldPathProblem('items.price'), 'not a field path');
  assert.equal(fieldPathProblem('body..a'), 'not a field path');
});

test('(b) the learner is bounded: endpoints anyone can vary (letters-only paths, long targets) keep at most 2,000 entries', () => {
  const l = new VolatilityLearner();
  const long = 'a'.repeat(4000);
  for (let i = 0; i < 3000; i++) {
    const endpoint = `GET /${long}${i.toString(36)}`;
    l.observe(endpoint, endpoint, ...json({ session: 1 }));
    l.observe(endpoint, endpoint, ...json({ session: 2 })); // production varies: a volatile field
  }
  assert.equal(l.volatileEndpoints, 2000, 'the least recently marked endpoints are forgotten');
  const last = `GET /${long}${(2999).toString(36)}`;
  assert.equal(l.isVolatile(last, 'body.session', 'changed'), true, 'the recent ones are kept');
  assert.equal(l.isVolatile(`GET /${long}0`, 'body.session', 'changed'), false, 'the oldest is gone');
});
