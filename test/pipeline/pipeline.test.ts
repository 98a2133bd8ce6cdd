import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileModifiers, GOR_ORDER, isDropped, MODIFIER_FLAGS } from '../../src/pipeline/index.js';
import { MODIFIER_FLAG_NAMES } from '../../src/core/modifier-flag.js';
import { deepFreeze, parseRaw, toRaw } from './raw-request.js';
import { gorFlag as at } from './gor-flag.js';
const request = () => deepFreeze(parseRaw('GET /v1/items?user_id=1 HTTP/1.1\r\nHost: app\r\nX-User: joe\r\n\r\n'));

test('no flags: no rules, the request comes back as is', () => {
  const p = compileModifiers([]);
  assert.deepEqual(p.rules, []);
  assert.equal(p.setsHost, false);
  const req = request();
  assert.equal(p.run(req), req);
});

test("rules run in gor's order whatever order the flags came in", () => {
  assert.deepEqual(MODIFIER_FLAGS, [
    '--http-allow-method',
    '--http-set-header',
    '--http-set-param',
    '--http-allow-url',
    '--http-disallow-url',
    '--http-allow-header',
    '--http-disallow-header',
    '--http-basic-auth-filter',
    '--http-header-limiter',
    '--http-param-limiter',
    '--http-rewrite-url',
    '--http-rewrite-header',
  ]);
  assert.equal(GOR_ORDER.length, MODIFIER_FLAGS.length);
  const p = compileModifiers([...MODIFIER_FLAGS].reverse().map((f) => at(f, VALID[f]!)));
  assert.deepEqual(
    p.rules.map((r) => r.name.split(' ')[0]),
    MODIFIER_FLAGS,
  );
});

const VALID: Record<string, string> = {
  '--http-allow-method': 'GET',
  '--http-set-header': 'X-A: 1',
  '--http-set-param': 'a=1',
  '--http-allow-url': '.',
  '--http-disallow-url': '^/admin',
  '--http-allow-header': 'Host: .',
  '--http-disallow-header': 'X-Debug: .',
  '--http-basic-auth-filter': '.',
  '--http-header-limiter': 'X-User: 100%',
  '--http-param-limiter': 'user_id: 100%',
  '--http-rewrite-url': 'x:y',
  '--http-rewrite-header': 'X-A: 1,2',
};

test('a request no rule changes comes back as the same object (no copy)', () => {
  const p = compileModifiers([
    at('--http-allow-method', 'GET'),
    at('--http-set-header', 'Host: app'), // already that value
    at('--http-set-param', 'user_id=1'), // already that value
    at('--http-allow-url', '^/v1/'),
    at('--http-disallow-url', '^/admin'),
    at('--http-allow-header', 'Host: ^app$'),
    at('--http-header-limiter', 'X-User: 50%'),
    at('--http-param-limiter', 'user_id: 50%'),
    at('--http-rewrite-url', '^/v0/:/v1/'),
    at('--http-rewrite-header', 'Host: ^www,api'),
  ]);
  const req = request();
  assert.equal(p.run(req), req);
});

test('rules never mutate the request; a changed request is a new object', () => {
  const p = compileModifiers([at('--http-set-header', 'Host: other'), at('--http-rewrite-url', 'items:things'), at('--http-set-param', 'n=2')]);
  const req = request();
  const before = toRaw(req);
  const out = p.run(req); // req is deeply frozen: a mutation would throw
  assert.ok(!isDropped(out));
  assert.notEqual(out, req);
  assert.equal(toRaw(req), before);
  assert.equal(toRaw(out), 'GET /v1/things?user_id=1&n=2 HTTP/1.1\r\nHost: other\r\nX-User: joe\r\n\r\n');
  assert.equal(out.id, req.id);
  assert.equal(out.body, req.body);
});

test('a drop names the rule: flag, value and source', () => {
  const p = compileModifiers([at('--http-disallow-header', 'X-User: ^joe$', 'config/gor.options:7')]);
  const out = p.run(request());
  assert.deepEqual(out, { dropped: 'filtered', rule: "--http-disallow-header 'X-User: ^joe$' (config/gor.options:7)" });
});

test('setsHost: only a --http-set-header for Host (any case)', () => {
  assert.equal(compileModifiers([at('--http-set-header', 'host: staging')]).setsHost, true);
  assert.equal(compileModifiers([at('--http-set-header', 'X-Host: staging')]).setsHost, false);
  assert.equal(compileModifiers([at('--http-rewrite-header', 'Host: a,b')]).setsHost, false);
});

test('the same pipeline gives the same answer every time (sampling is by hash, not random)', () => {
  const p = compileModifiers([at('--http-header-limiter', 'X-User: 30%')]);
  const users = Array.from({ length: 200 }, (_, i) => `user-${i}`);
  const kept = (u: string) => !isDropped(p.run(parseRaw(`GET / HTTP/1.1\r\nX-User: ${u}\r\n\r\n`)));
  const first = users.map(kept);
  assert.deepEqual(users.map(kept), first);
  const share = first.filter(Boolean).length / users.length;
  assert.ok(share > 0.15 && share < 0.45, `about 30% kept, got ${share}`);
});

test("config/'s dash-less names are accepted; messages use the flag as typed on a command line", () => {
  const p = compileModifiers([{ flag: 'http-set-header', value: 'Host: x', source: 'command line' }]);
  assert.equal(p.setsHost, true);
  assert.throws(
    () => compileModifiers([{ flag: 'http-allow-url', value: 'a(', source: 'config/gor.options:2' }]),
    /config\/gor\.options:2: --http-allow-url: error parsing regexp/,
  );
});

test("core's modifier flag names are the flags the pipeline compiles, in gor's order", () => {
  assert.deepEqual(MODIFIER_FLAG_NAMES.map((n) => `--${n}`), MODIFIER_FLAGS);
});

test('non-ASCII in flag values is UTF-8 on the wire, as gor (Go strings) sends and matches it', () => {
  const utf8 = (s: string) => Buffer.from(s, 'utf8').toString('latin1'); // a field's bytes, one char per byte
  const set = compileModifiers([at('--http-set-header', 'X-Note: café €'), at('--http-set-param', 'q=é')]);
  const out = set.run(request());
  assert.ok(!isDropped(out));
  const bytes = Buffer.from(toRaw(out), 'latin1');
  assert.ok(bytes.includes(Buffer.from('X-Note: café €', 'utf8')), `UTF-8 bytes c3 a9 / e2 82 ac, not e9 / ac: ${bytes.toString('hex')}`);
  assert.ok(bytes.includes(Buffer.from('q=é', 'utf8')));

  const named = (name: string) => deepFreeze(parseRaw(`GET / HTTP/1.1\r\nHost: app\r\nX-Name: ${utf8(name)}\r\n\r\n`));
  const allow = compileModifiers([at('--http-allow-header', 'X-Name: ^José$')]);
  assert.ok(!isDropped(allow.run(named('José'))), 'a UTF-8 field matches the pattern typed in UTF-8');
  assert.ok(isDropped(allow.run(named('Jose'))));
  assert.ok(!isDropped(compileModifiers([at('--http-allow-header', 'X-Name: ^Jos.$')]).run(named('José'))), "'.' is one character, as in Go");
  const menu = deepFreeze(parseRaw(`GET /${utf8('menü')}/today HTTP/1.1\r\nHost: app\r\n\r\n`));
  assert.ok(!isDropped(compileModifiers([at('--http-allow-url', '^/menü/')]).run(menu)));
  assert.ok(isDropped(compileModifiers([at('--http-disallow-url', 'menü')]).run(menu)));
});
