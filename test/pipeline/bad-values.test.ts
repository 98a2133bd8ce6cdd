import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../src/core/errors.js';
import { compileModifiers } from '../../src/pipeline/index.js';
import { gorFlag } from './gor-flag.js';

const SOURCE = 'config/gor.options:3';

/** [flag, bad value, what the message must say] */
const BAD: [string, string, RegExp][] = [
  ['--http-allow-method', 'get', /would never match: methods are case-sensitive.*write GET/],
  ['--http-allow-method', '', /is not an HTTP method/],
  ['--http-allow-method', 'GET POST', /is not an HTTP method/],
  ['--http-set-header', 'User-Agent', /has no ':'/],
  ['--http-set-header', ' : value', /"" is not a header name/],
  ['--http-set-header', 'X-A: a\nX-B: b', /contains a control character/],
  ['--http-set-param', 'api_key', /has no '='/],
  ['--http-set-param', '=1', /the parameter name is empty/],
  ['--http-set-param', 'q=a b', /white space/],
  ['--http-allow-url', 'a(', /error parsing regexp: missing closing \): `a\(`/],
  ['--http-allow-url', '(?=x)', /invalid or unsupported Perl syntax/],
  ['--http-disallow-url', '[z-a]', /invalid character class range/],
  ['--http-disallow-url', '(a)\\1', /invalid escape sequence/],
  ['--http-allow-header', 'Host', /has no ':'/],
  ['--http-allow-header', 'Host :^www', /"Host " is not a header name/],
  ['--http-allow-header', 'Host: (', /error parsing regexp: missing closing \)/],
  ['--http-disallow-header', 'User Agent: x', /is not a header name/],
  ['--http-basic-auth-filter', '*', /missing argument to repetition operator/],
  ['--http-header-limiter', 'user-id: 25', /is not a percentage \(it needs a '%'\)/],
  ['--http-header-limiter', 'user-id: abc%', /is not a number of percent/],
  ['--http-header-limiter', 'user-id: 50 %', /is not a number of percent/],
  ['--http-header-limiter', 'user-id: 08%', /is not a number of percent/], // Go: 0-prefixed is octal
  ['--http-header-limiter', 'user-id: 150%', /150% is not between 0% and 100%/],
  ['--http-header-limiter', 'user-id: -5%', /-5% is not between/],
  ['--http-header-limiter', 'user-id: 1/0', /is not a number of percent/],
  ['--http-header-limiter', 'user-id', /has no ':'/],
  ['--http-param-limiter', ': 5%', /the parameter name is empty/],
  ['--http-rewrite-url', '/a', /has no ':'/],
  ['--http-rewrite-url', 's/a/b/', /s\/pattern\/replacement\/ form is not supported/],
  ['--http-rewrite-url', '(:x', /error parsing regexp: missing closing \)/],
  ['--http-rewrite-url', '/a:/b c', /white space/],
  ['--http-rewrite-header', 'Host: abc', /has no ','/],
  ['--http-rewrite-header', 'Host (.*),x', /has no ':'/],
  ['--http-rewrite-header', 'Host: (,x', /error parsing regexp/],
];

for (const [flag, value, what] of BAD) {
  test(`bad value: ${flag} ${JSON.stringify(value)}`, () => {
    assert.throws(
      () => compileModifiers([gorFlag(flag, value, SOURCE)]),
      (err: unknown) => {
        assert.ok(err instanceof UsageError, String(err));
        assert.equal(err.code, 'TD_BAD_VALUE');
        assert.ok(err.message.startsWith(`${SOURCE}: ${flag}: `), err.message);
        assert.match(err.message, what);
        assert.match(err.hint ?? '', new RegExp(`^expected .+, e\\.g\\. ${flag} '.+'$`));
        return true;
      },
    );
  });
}

test('every hint example is itself a valid value', () => {
  for (const [flag, value] of BAD) {
    let hint = '';
    try {
      compileModifiers([gorFlag(flag, value, SOURCE)]);
    } catch (err) {
      hint = (err as UsageError).hint ?? '';
    }
    const example = /e\.g\. \S+ '(.*)'$/.exec(hint)?.[1];
    assert.ok(example !== undefined, hint);
    assert.doesNotThrow(() => compileModifiers([gorFlag(flag, example, 'hint')]), `${flag} '${example}'`);
  }
});

test('an unknown flag is named with its source', () => {
  assert.throws(
    () => compileModifiers([gorFlag('--http-allow-params', 'x')]),
    (err: unknown) =>
      err instanceof UsageError &&
      err.code === 'TD_UNKNOWN_FLAG' &&
      err.message === "command line: --http-allow-params: not one of gor's --http-* modifier flags",
  );
});

test('the first bad flag in the order given is reported', () => {
  assert.throws(
    () =>
      compileModifiers([
        gorFlag('--http-rewrite-header', 'nope', 'config/gor.options:1'),
        gorFlag('--http-allow-method', 'get', 'config/gor.options:2'),
      ]),
    /^UsageError: config\/gor\.options:1: --http-rewrite-header/,
  );
});

test('values gor accepts are accepted', () => {
  for (const [flag, value] of [
    ['--http-header-limiter', 'user-id:25%'],
    ['--http-header-limiter', 'user-id: 1/2'], // deprecated fraction form
    ['--http-header-limiter', 'user-id: 0x10%'],
    ['--http-allow-header', 'Host:'], // empty regexp matches everything
    ['--http-set-header', 'X-Empty:'],
    ['--http-rewrite-url', '^/(?P<id>\\d+)$:/items/${id}'],
    ['--http-rewrite-header', 'Host: (.*).example.com,$1.beta.example.com'],
    ['--http-basic-auth-filter', '^customer[0-9].*'],
    ['--http-allow-method', 'PROPFIND'],
  ] as const) {
    assert.doesNotThrow(() => compileModifiers([gorFlag(flag, value, SOURCE)]), `${flag} ${value}`);
  }
});
