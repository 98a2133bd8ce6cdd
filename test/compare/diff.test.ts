import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffJson, digestWork } from '../../src/compare/diff-json.js';
import { diffText } from '../../src/compare/diff-text.js';
import { diffResponses } from '../../src/compare/diff.js';
import { viewResponse } from '../../src/compare/response-view.js';

const noRedact = () => false;
const kinds = (a: unknown, b: unknown) => diffJson(a, b, noRedact).map((d) => `${d.kind} ${d.path}`).sort();

test('JSON diff: changed value, type changed, missing and extra fields, with body.a.b paths', () => {
  assert.deepEqual(kinds({ a: { b: 1, c: 'x', gone: true } }, { a: { b: 2, c: 3, added: null } }), [
    'changed body.a.b',
    'extra body.a.added',
    'missing body.a.gone',
    'type_changed body.a.c',
  ]);
});

test('JSON diff: array elements are aggregated as [*]; length and order are their own kinds', () => {
  assert.deepEqual(kinds({ items: [{ price: 1 }, { price: 2 }] }, { items: [{ price: 1 }, { price: 3 }] }), ['changed body.items[*].price']);
  assert.deepEqual(kinds({ items: [1, 2, 3] }, { items: [1, 2] }), ['array_length body.items']);
  assert.deepEqual(kinds({ tags: ['a', 'b', { k: 1, j: 2 }] }, { tags: [{ j: 2, k: 1 }, 'b', 'a'] }), ['reordered body.tags']);
  // Same elements, same order, object keys in another order: equal.
  assert.deepEqual(kinds({ tags: [{ k: 1, j: 2 }] }, { tags: [{ j: 2, k: 1 }] }), []);
});

test('JSON diff: arrays nested deep that differ at the bottom: one change at the deep path; long strings and nested elements reorder by value', () => {
  // Each level that differs asks whether its elements were reordered; element digests are
  // computed once per diff (with texts, a 1 MB answer nested 63 deep took 9 s of the loop).
  const nest = (leaf: number) => {
    let v: unknown = Array.from({ length: 2000 }, (_, i) => (i === 0 ? leaf : i));
    for (let i = 0; i < 40; i++) v = [v, 0];
    return v;
  };
  assert.deepEqual(kinds(nest(1), nest(2)), [`changed body${'[*]'.repeat(41)}`]);
  // The work is bounded by the size of the answers, not size x depth: 63 levels over 40,000
  // elements ask about ~80,000 values once each (the texts took 5.7 s there).
  let v: unknown[] = Array.from({ length: 40_000 }, (_, i) => `s${i}`);
  let w: unknown[] = v.slice();
  w[0] = 'changed';
  for (let i = 0; i < 63; i++) {
    v = [v, 0];
    w = [w, 0];
  }
  const before = digestWork.computed;
  assert.equal(diffJson(v, w, noRedact).length, 1);
  const work = digestWork.computed - before;
  assert.ok(work <= 3 * 2 * 40_063, `digests computed: ${work}`);
  const long = 'x'.repeat(100);
  assert.deepEqual(kinds({ a: [long + 'a', [long, { k: [1, 2] }]] }, { a: [[long, { k: [1, 2] }], long + 'a'] }), ['reordered body.a']);
  assert.deepEqual(kinds({ a: [long + 'a', long + 'b'] }, { a: [long + 'b', long + 'c'] }), ['changed body.a[*]']);
});

test('JSON diff: an array over 10,000 elements is compared position by position, not checked for reordering', () => {
  const xs = Array.from({ length: 10_001 }, (_, i) => i);
  assert.deepEqual(kinds({ xs }, { xs: [...xs].reverse() }), ['changed body.xs[*]']);
  assert.deepEqual(kinds({ xs: xs.slice(0, 10_000) }, { xs: xs.slice(0, 10_000).reverse() }), ['reordered body.xs']);
});

test('JSON diff: one entry per path and kind per pair, odd keys are quoted', () => {
  const d = diffJson({ xs: [{ p: 1 }, { p: 2 }, { p: 3 }], 'a b': 1 }, { xs: [{ p: 9 }, { p: 8 }, { p: 7 }], 'a b': 2 }, noRedact);
  assert.deepEqual(d.map((x) => x.path).sort(), ['body.xs[*].p', 'body["a b"]']);
});

test('JSON diff: redacted keys never show their values', () => {
  const [d] = diffJson({ user: { password: 'hunter2' } }, { user: { password: 'swordfish' } }, (k) => k === 'password');
  assert.equal(d!.path, 'body.user.password');
  assert.doesNotMatch(d!.production + d!.candidate, /hunter2|swordfish/);
  const [m] = diffJson({ user: { secret: { password: 'x1' } } }, { user: {} }, (k) => k === 'password');
  assert.doesNotMatch(m!.production, /x1/);
});

test('text diff counts the lines only one side has; moved lines are not differences of content', () => {
  const [d] = diffText('a\nb\nc\n', 'a\nB\nc\nd\n');
  assert.equal(d!.kind, 'lines');
  assert.match(d!.production, /^-1 lines: b/);
  assert.match(d!.candidate, /^\+2 lines: B ⏎ d/);
  assert.equal(diffText('same', 'same').length, 0);
  assert.match(diffText('a\nb', 'b\na')[0]!.production, /another order/);
});

test('responses: status, headers minus volatile and framing ones, bodies by type', () => {
  const view = (status: number, headers: Array<[string, string]>, body: string) => {
    const v = viewResponse(status, headers.map(([name, value]) => ({ name, value })), Buffer.from(body), 1 << 20);
    assert.ok(v.ok);
    return v.view;
  };
  const a = view(200, [['Content-Type', 'application/json'], ['Date', 'Mon'], ['Content-Length', '9'], ['ETag', '"1"'], ['Set-Cookie', 's=1']], '{"a":1}');
  const b = view(500, [['content-type', 'application/json'], ['Date', 'Tue'], ['Transfer-Encoding', 'chunked'], ['ETag', '"2"'], ['Set-Cookie', 's=2']], '{"a":2}');
  const redact = (k: string) => k === 'set-cookie';
  const d = diffResponses(a, b, redact);
  assert.deepEqual(d.map((x) => `${x.kind} ${x.path}`).sort(), ['changed body.a', 'changed header.etag', 'changed header.set-cookie', 'changed status']);
  assert.equal(d.find((x) => x.path === 'header.set-cookie')!.candidate, '[redacted]');
  // A binary body is compared by hash; a JSON body against an HTML page is a type change of `body`.
  const bin1 = view(200, [['content-type', 'image/png']], '\x89PNG1');
  const bin2 = view(200, [['content-type', 'image/png']], '\x89PNG2');
  assert.deepEqual(diffResponses(bin1, bin2, redact).map((x) => x.kind), ['hash']);
  const html = view(200, [['content-type', 'text/html']], '<h1>oops</h1>');
  const js = view(200, [['content-type', 'text/html']], '<h1>oops</h1>');
  assert.equal(diffResponses(html, js, redact).length, 0);
});

test('bodies that claim JSON but are not, or claim text but are not UTF-8, are compared and flagged', () => {
  const bad = viewResponse(200, [{ name: 'content-type', value: 'application/json' }], Buffer.from('{"a":'), 1 << 20);
  assert.ok(bad.ok);
  assert.equal(bad.view.anomaly, 'invalid_json');
  assert.equal(bad.view.body.kind, 'text');
  const latin1 = viewResponse(200, [{ name: 'content-type', value: 'text/plain' }], Buffer.from([0x63, 0x61, 0x66, 0xe9]), 1 << 20);
  assert.ok(latin1.ok);
  assert.equal(latin1.view.anomaly, 'not_utf8');
  assert.equal(latin1.view.body.kind, 'binary');
});
