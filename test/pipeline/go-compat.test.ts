import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goBase64Decode } from '../../src/pipeline/go/base64.js';
import { fnv32a, inSample } from '../../src/pipeline/go/fnv.js';
import { compileGoRegexp, goReplaceAll, parseGoTemplate } from '../../src/pipeline/go/regexp.js';

test('fnv32a: published FNV-1a 32-bit vectors and gor test values', () => {
  assert.equal(fnv32a(''), 0x811c9dc5);
  assert.equal(fnv32a('a'), 0xe40c292c);
  assert.equal(fnv32a('foobar'), 0xbf9cf968);
  assert.equal(fnv32a('3') % 100, 82); // gor: "Header2: 3" is out at 1/2
  assert.equal(fnv32a('1') % 100, 44); // gor: "Header2: 1" is in at 1/2
  assert.equal(inSample(21, 'a'), true);
  assert.equal(inSample(20, 'a'), false);
  assert.equal(fnv32a('?user_id=a&x', 9, 10), fnv32a('a')); // a range of a string
});

test('fnv32a: latin1 chars hash as their byte; wider chars as UTF-8', () => {
  // "é" as one latin1 byte 0xe9 vs its UTF-8 bytes c3 a9 (what a utf8-decoded string would give)
  assert.equal(fnv32a('\u00e9'), fnv32aOf([0xe9]));
  assert.equal(fnv32a('\u20ac'), fnv32aOf([0xe2, 0x82, 0xac]));
});

function fnv32aOf(bytes: number[]): number {
  let h = 0x811c9dc5n;
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x01000193n) & 0xffffffffn;
  return Number(h);
}

test('Go Regexp.Expand template rules', () => {
  const re = compileGoRegexp('(?P<word>[a-z]+)-(\\d+)');
  const cases: [template: string, expected: string][] = [
    ['$1', 'abc'],
    ['${1}', 'abc'],
    ['$2', '42'],
    ['${1}x', 'abcx'],
    ['$1x', ''], // longest name: group "1x"
    ['$word', 'abc'],
    ['${word}_', 'abc_'],
    ['$word_', ''], // "_" is part of a name
    ['$$1', '$1'],
    ['$$$1', '$abc'],
    ['$0', 'abc-42'],
    ['$01', ''], // leading zero: a name, not group 1
    ['$3', ''], // no such group
    ['${nope}', ''],
    ['$', '$'],
    ['$-', '$-'],
    ['${1', '${1'],
    ['${}', '${}'],
    ['a$1b$2c', 'a'], // groups "1b" and "2c" do not exist
    ['a${1}b${2}c', 'aabcb42c'],
    ['$1.$2', 'abc.42'], // "." ends a name
    ['$é', ''], // Unicode letters are name chars
  ];
  for (const [template, expected] of cases) {
    assert.equal(goReplaceAll(re, 'abc-42', parseGoTemplate(template, re)), expected, template);
  }
});

test('Go ReplaceAll: all matches, empty matches after a match are skipped', () => {
  const x = (pattern: string, src: string, template: string) => {
    const re = compileGoRegexp(pattern);
    return goReplaceAll(re, src, parseGoTemplate(template, re));
  };
  assert.equal(x('a*', 'baaac', 'X'), 'XbXcX'); // Go; JavaScript would give XbXXcX
  assert.equal(x('', 'abc', '-'), '-a-b-c-');
  assert.equal(x('x*', '', 'Y'), 'Y');
  assert.equal(x('o', 'foo boo', '0'), 'f00 b00');
  assert.equal(x('(a)|(b)', 'ab', '[$1|$2]'), '[a|][|b]');
  assert.equal(x('^', 'abc', '>'), '>abc');
  assert.equal(x('$', 'abc', '<'), 'abc<');
  assert.equal(x('\\b', 'ab cd', '|'), '|ab| |cd|');
  assert.equal(x('.', '😀a', '.'), '..'); // one rune, not two UTF-16 units
});

test('Go regexp: syntax errors are RE2\'s', () => {
  assert.throws(() => compileGoRegexp('a('), /error parsing regexp: missing closing \): `a\(`/);
  assert.throws(() => compileGoRegexp('(?=x)'), /invalid or unsupported Perl syntax/);
  assert.throws(() => compileGoRegexp('(a)\\1'), /invalid escape sequence/);
  assert.doesNotThrow(() => compileGoRegexp('(?P<n>x)(?<m>y)\\z\\pL[[:alpha:]]\\Qa.b\\E(?i:x)(?s).'));
});

test('Go StdEncoding decoding, keeping what decoded before an error', () => {
  const d = (s: string) => goBase64Decode(s).toString('latin1');
  assert.equal(d('Y3VzdG9tZXIzOndlbGNvbWU='), 'customer3:welcome');
  assert.equal(d('YWRtaW46eA=='), 'admin:x');
  assert.equal(d('YWRtaW46eA==garbage'), 'admin:x'); // trailing garbage after padding
  assert.equal(d('YWRtaW46eA='), 'admin:'); // "eA=" is an incomplete padded quantum: dropped
  assert.equal(d('YWRtaW46eA'), 'admin:'); // missing padding: the last quantum is dropped
  assert.equal(d('YWRt!W46'), 'adm'); // stops at an invalid char
  assert.equal(d('YWRt\r\naW46'), 'admin:'); // CR/LF are skipped
  assert.equal(d('YW-t'), ''); // URL-safe alphabet is not StdEncoding
  assert.equal(d('=YWR'), '');
  assert.equal(d('Y3VzdG9tZXI2OnJlc3RAMTIzXlRFU1Q=='), 'customer6:rest@123^TEST'); // gor test: extra '='
  assert.equal(d(''), '');
});
