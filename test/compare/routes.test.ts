import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RouteMatcher, isIdSegment } from '../../src/compare/routes.js';
import { parseRoutePattern } from '../../src/compare/syntax.js';

test('ids become :id — numbers, UUIDs, long hex, base64 ids, dates — names stay', () => {
  const r = new RouteMatcher([]);
  assert.equal(r.route('/users/123'), '/users/:id');
  assert.equal(r.route('/users/456?x=1'), '/users/:id');
  assert.equal(r.route('/users/0b6a3c3e-8f2e-4b59-9d3c-2f1f5d8b7a10/posts'), '/users/:id/posts');
  assert.equal(r.route('/blobs/9f86d081884c7d659a2feaa0c55ad015'), '/blobs/:id');
  assert.equal(r.route('/t/dGhpcyBpcyBhIHRva2VuMTIz'), '/t/:id');
  assert.equal(r.route('/reports/2024-05-01'), '/reports/:id');
  assert.equal(r.route('/users/me/settings'), '/users/me/settings');
  assert.equal(r.route('/api/v2/accountsettings'), '/api/v2/accountsettings');
  assert.equal(r.route('http://example.com/users/7'), '/users/:id');
  assert.equal(r.route('/'), '/');
  assert.equal(isIdSegment('deadbeefcafe'), false, 'hex without a digit is a word');
  assert.equal(isIdSegment('abcdefghijklmnopqrstuvwxyz'), false);
});

test('--compare-route patterns win, first match first', () => {
  const r = new RouteMatcher([parseRoutePattern('/orders/:id/items'), parseRoutePattern('/orders/:order/:what')]);
  assert.equal(r.route('/orders/abc/items?page=2'), '/orders/:id/items');
  assert.equal(r.route('/orders/abc/notes'), '/orders/:order/:what');
  assert.equal(r.route('/orders/abc'), '/orders/abc');
});

test('bad route patterns are refused with the reason', () => {
  assert.throws(() => parseRoutePattern('orders/:id'), /starts with \//);
  assert.throws(() => parseRoutePattern('/orders/:'), /parameter/);
  assert.throws(() => parseRoutePattern('/orders/x:id'), /whole segment/);
  assert.throws(() => parseRoutePattern('/orders?x=1'), /path only/);
});
