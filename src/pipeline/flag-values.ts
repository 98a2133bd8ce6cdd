/**
 * Parsing helpers shared by the rules: gor's value syntax (split on the first `:` / `=` /
 * `,`, with gor's trimming), and errors that name the flag, where it came from, what is
 * wrong, and an example of the expected form.
 */
import { UsageError } from '../core/errors.js';
import { compileGoRegexp, type GoRegexp } from './go/regexp.js';
import type { FlagAt } from './types.js';

/** What a flag's value should look like, for the hint. */
export interface ValueForm {
  /** e.g. "'Name: REGEX'" */
  readonly form: string;
  /** A value that works, e.g. 'api-version: ^v1'. */
  readonly example: string;
}

export function badValue(at: FlagAt, what: string, form: ValueForm): UsageError {
  return new UsageError(
    'TD_BAD_VALUE',
    `${at.source}: ${at.flag}: ${what}`,
    `expected ${form.form}, e.g. ${at.flag} '${form.example}'`,
  );
}

/** Go's `strings.SplitN(value, sep, 2)`, failing when `sep` is missing. */
export function splitOnce(at: FlagAt, value: string, sep: string, form: ValueForm): [string, string] {
  const i = value.indexOf(sep);
  if (i < 0) throw badValue(at, `${JSON.stringify(value)} has no '${sep}'`, form);
  return [value.slice(0, i), value.slice(i + sep.length)];
}

/** Go's `strings.TrimSpace` (ASCII and Unicode white space). */
export function goTrimSpace(s: string): string {
  return s.replace(/^[\s\u0085]+|[\s\u0085]+$/gu, '');
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/; // RFC 9110 §5.6.2

/**
 * A header name as gor would compare it. gor does not trim names in the filter flags, so
 * `'Host :x'` would silently never match; we reject anything that is not an HTTP token.
 */
export function headerName(at: FlagAt, name: string, form: ValueForm): string {
  if (!TOKEN.test(name)) {
    throw badValue(at, `${JSON.stringify(name)} is not a header name (no spaces or separators)`, form);
  }
  return name;
}

// eslint-disable-next-line no-control-regex
const ASCII = /^[\x00-\x7f]*$/;

/**
 * A flag's text as the bytes it stands for on the wire: UTF-8, one char per byte, which is
 * how a message's target and fields hold their bytes (latin1). gor's values are Go strings,
 * UTF-8 bytes: `--http-set-header 'X-Note: café'` sends c3 a9. (Kept as typed, `é` would be
 * written as the one byte e9, and `€` cut to ac.) matchText is the way back, for matching.
 */
export function wireText(text: string): string {
  return ASCII.test(text) ? text : Buffer.from(text, 'utf8').toString('latin1');
}

/**
 * A message's field or target (bytes, one char per byte) as the text a Go regexp matches:
 * UTF-8 decoded, so `.` is one character and `^José$` matches a field sent in UTF-8, as in
 * gor. A byte that is not UTF-8 reads as U+FFFD, as Go's regexp reads it. ASCII is returned
 * as is (no copy).
 */
export function matchText(bytes: string): string {
  return ASCII.test(bytes) ? bytes : Buffer.from(bytes, 'latin1').toString('utf8');
}

export function regexpOf(at: FlagAt, pattern: string, form: ValueForm): GoRegexp {
  try {
    return compileGoRegexp(pattern);
  } catch (err) {
    throw badValue(at, (err as Error).message, form);
  }
}

/**
 * Text that goes into the request line or a header field: it must not break HTTP framing.
 * Returned as its wire bytes (wireText).
 */
export function noControls(at: FlagAt, text: string, what: string, form: ValueForm, allowSpace: boolean): string {
  // eslint-disable-next-line no-control-regex
  const bad = allowSpace ? /[\x00-\x08\x0a-\x1f\x7f]/ : /[\x00-\x20\x7f]/;
  if (bad.test(text)) {
    throw badValue(at, `${what} ${JSON.stringify(text)} contains ${allowSpace ? 'a control character' : 'white space or a control character'}`, form);
  }
  return wireText(text);
}

export function isToken(s: string): boolean {
  return TOKEN.test(s);
}

/** Compiles the name of a rule from its flag occurrence: `--http-allow-url '/api' (config/gor.options:3)`. */
export function ruleName(at: FlagAt, value: string): string {
  return `${at.flag} '${value}' (${at.source})`;
}
