import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenizeOptions } from '../../src/config/tokenize.js';
import { UsageError } from '../../src/core/errors.js';

const words = (text: string, env: NodeJS.ProcessEnv = {}) => tokenizeOptions(text, env, 'config/gor.options').tokens.map((t) => t.text);
const lines = (text: string, env: NodeJS.ProcessEnv = {}) => tokenizeOptions(text, env, 'config/gor.options').tokens.map((t) => t.line);

test('splits words on spaces, tabs and newlines; several flags per line', () => {
  assert.deepEqual(words('--a 1\t--b   2\r\n--c'), ['--a', '1', '--b', '2', '--c']);
  assert.deepEqual(lines('--a 1\n\n--b 2'), [1, 1, 3, 3]);
});

test('single quotes are literal, double quotes expand variables and honour \\" \\\\ \\$', () => {
  assert.deepEqual(words(`'a b $X "q"' "c \\"d\\" \\$X $X"`, { X: 'x' }), ['a b $X "q"', 'c "d" $X x']);
  assert.deepEqual(words(`"a\\nb"`), ['a\\nb']); // backslash before an ordinary char stays
});

test('unquoted backslash escapes the next character; backslash-newline continues the line', () => {
  assert.deepEqual(words('a\\ b c\\\nd'), ['a b', 'cd']);
});

test('adjacent quoted and unquoted parts make one word', () => {
  assert.deepEqual(words(`--http-set-header='Host: 'example.com`), ['--http-set-header=Host: example.com']);
});

test('# comments run to the end of the line only, and only at the start of a word', () => {
  const text = "--a 1 # --b 2\n--c 'x # y' a#b\n# whole line\n--d";
  assert.deepEqual(words(text), ['--a', '1', '--c', 'x # y', 'a#b', '--d']);
  assert.deepEqual(lines(text), [1, 1, 2, 2, 2, 4]);
});

test('$VAR and ${VAR} expand outside single quotes; unquoted values split into words', () => {
  const env = { SHADOW_URL: 'https://s.example', EXTRA: '--stats  --verbose' };
  assert.deepEqual(words('--output-http $SHADOW_URL "${SHADOW_URL}|10%" \'$SHADOW_URL\'', env), [
    '--output-http',
    'https://s.example',
    'https://s.example|10%',
    '$SHADOW_URL',
  ]);
  assert.deepEqual(words('$EXTRA "$EXTRA"', env), ['--stats', '--verbose', '--stats  --verbose']);
  assert.deepEqual(words('pre${SHADOW_URL}post', env), ['prehttps://s.examplepost']);
});

test('defaults and unset variables', () => {
  // as in sh: an empty unquoted expansion vanishes, a quoted one is an empty word
  assert.deepEqual(words('${U:-http://d} ${E:-d} ${E-d} "$U" "${E-d}"', { E: '' }), ['http://d', 'd', '', '']);
  const t = tokenizeOptions('--output-http $UNSET_URL\n--x', {}, 'f');
  assert.deepEqual(t.tokens.map((x) => x.text), ['--output-http', '--x']);
  assert.deepEqual(t.unsetByLine.get(1), ['UNSET_URL']);
  assert.throws(() => tokenizeOptions('x ${NEED:?set NEED}', {}, 'f'), /f:1: \$NEED is not set: set NEED/);
});

test('$1 and other $-without-a-name stay literal (rewrite rules), | and % are ordinary', () => {
  assert.deepEqual(words('/v1/(.*):/v2/$1 "a$" URL|10% $%'), ['/v1/(.*):/v2/$1', 'a$', 'URL|10%', '$%']);
});

test('unterminated quotes name the file and the line where the quote opened', () => {
  for (const [text, line, what] of [
    ["--a 1\n--output-http 'https://x\n--b", 2, 'single'],
    ['--a 1\n\n--output-http "https://x\n--b', 3, 'double'],
  ] as const) {
    assert.throws(
      () => tokenizeOptions(text, {}, 'config/gor.options'),
      (e: unknown) => e instanceof UsageError && e.code === 'TD_OPTIONS_FILE' && e.message === `config/gor.options:${line}: unterminated ${what} quote` && !!e.hint,
    );
  }
});

test('command substitution is refused, with the line', () => {
  assert.throws(() => tokenizeOptions('\n--a $(cat x)', {}, 'f'), /f:2: command substitution/);
  assert.throws(() => tokenizeOptions('--a `cat x`', {}, 'f'), /f:1: command substitution/);
});
