/**
 * Go `regexp` semantics on top of re2js (a port of RE2, the engine behind Go's regexp).
 *
 * gor compiles every modifier pattern with `regexp.Compile`, so patterns are RE2 syntax:
 * `(?i)`, `(?s)`, `(?P<name>…)`, `\z`, `\p{Greek}` work; lookarounds and backreferences
 * are errors. re2js's default flags are Go's (`syntax.Perl`: one-line `^`/`$`, `.` not
 * matching `\n`, leftmost-first), and its parse errors read like Go's
 * ("error parsing regexp: missing closing ): `a(`").
 *
 * gor matches raw request bytes; we match the strings the HTTP parser gives us. For
 * ASCII (nearly all paths and header values) that is the same thing; for other bytes the
 * string is their latin1 reading, so a `.` sees one char per byte where Go would see one
 * rune per UTF-8 sequence. Decoded Basic credentials are UTF-8 and matched as such.
 *
 * Replacement (`ReplaceAll`) is implemented here rather than with re2js's replaceAll,
 * whose template rules are Java's/JavaScript's, not Go's `Regexp.Expand`.
 */
import { createRequire } from 'node:module';
import type { RE2JS } from 're2js';

export type GoRegexp = RE2JS;

// Loaded on the first pattern compiled: most deployments configure no regex flag, and
// every MB counts beside the app (issue 8). require() keeps compile synchronous.
let re2js: typeof RE2JS | undefined;
function engine(): typeof RE2JS {
  return (re2js ??= (createRequire(import.meta.url)('re2js') as { RE2JS: typeof RE2JS }).RE2JS);
}

/** Compiles a Go (RE2) pattern; throws an Error carrying RE2's own message. */
export function compileGoRegexp(pattern: string): GoRegexp {
  try {
    return engine().compile(pattern);
  } catch (err) {
    throw new Error(err instanceof Error ? err.message : String(err));
  }
}

/** A parsed replacement: literal text and capture-group indexes (already resolved). */
export type GoTemplate = readonly (string | number)[];

/**
 * Parses `template` as Go's `Regexp.Expand` does, resolving group names against `re`:
 * - `$$` is a literal `$`;
 * - `$name` takes the LONGEST run of letters, digits and `_` (so `$1x` is group "1x",
 *   which does not exist, and expands to nothing); `${name}` delimits it (`${1}x`);
 * - an all-digit name is a group number (no leading zeros: `$01` is the name "01");
 * - an unknown group, or a group that did not take part in the match, expands to nothing;
 * - a `$` not followed by a valid reference (`$-`, `${1`, a trailing `$`) is literal.
 */
export function parseGoTemplate(template: string, re: GoRegexp): GoTemplate {
  const names = re.namedGroups();
  const groupCount = re.groupCount();
  const out: (string | number)[] = [];
  let literal = '';
  let rest = template;
  for (;;) {
    const dollar = rest.indexOf('$');
    if (dollar < 0) break;
    literal += rest.slice(0, dollar);
    rest = rest.slice(dollar + 1);
    if (rest.startsWith('$')) {
      literal += '$';
      rest = rest.slice(1);
      continue;
    }
    const ref = extractReference(rest);
    if (ref === undefined) {
      literal += '$';
      continue;
    }
    rest = rest.slice(ref.length);
    const group = ref.num >= 0 ? ref.num : (names[ref.name] ?? -1);
    if (group < 0 || group > groupCount) continue; // expands to nothing
    if (literal) out.push(literal);
    literal = '';
    out.push(group);
  }
  literal += rest;
  if (literal) out.push(literal);
  return out;
}

const NAME_CHAR = /^[\p{L}\p{Nd}_]$/u;

/** Go's `extract`: the reference after a `$`, with how many chars it used. */
function extractReference(str: string): { name: string; num: number; length: number } | undefined {
  let i = 0;
  const brace = str.startsWith('{');
  if (brace) i = 1;
  const nameStart = i;
  for (const ch of str.slice(nameStart)) {
    if (!NAME_CHAR.test(ch)) break;
    i += ch.length;
  }
  if (i === nameStart) return undefined; // empty name
  const name = str.slice(nameStart, i);
  if (brace) {
    if (str[i] !== '}') return undefined; // missing closing brace
    i++;
  }
  let num = 0;
  for (const ch of name) {
    if (ch < '0' || ch > '9' || num >= 1e8) {
      num = -1;
      break;
    }
    num = num * 10 + (ch.charCodeAt(0) - 48);
  }
  if (name.length > 1 && name.startsWith('0')) num = -1; // no leading zeros
  return { name, num, length: i };
}

/**
 * Go's `Regexp.ReplaceAll(src, template)`: every non-overlapping match is replaced by the
 * expanded template, except an empty match right after the previous match (Go skips it;
 * Java/JavaScript would replace it: `a*` on "baaac" gives "XbXcX" in Go, "XbXXcX" in JS).
 */
export function goReplaceAll(re: GoRegexp, src: string, template: GoTemplate): string {
  const m = re.matcher(src);
  let out = '';
  let lastEnd = 0;
  while (m.find()) {
    const start = m.start();
    const end = m.end();
    out += src.slice(lastEnd, start);
    if (end > lastEnd || start === 0) {
      for (const part of template) {
        if (typeof part === 'string') out += part;
        else if (m.start(part) >= 0) out += src.slice(m.start(part), m.end(part));
      }
    }
    lastEnd = end;
  }
  return out + src.slice(lastEnd);
}
