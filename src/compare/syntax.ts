/**
 * The syntax of the --compare-ignore paths and --compare-route patterns, checked when the
 * flags are parsed (a bad value exits 2 before anything starts). Kept apart from the rest of
 * src/compare so that parsing the flags loads nothing else of the comparison.
 */

/** A JSON key written as `.key` in a field path; any other key is written `["key"]`. */
export const PLAIN_KEY = /^[A-Za-z0-9_$@:-]+$/;

const FIELD_PATH =
  /^(?:status|header\.[!#$%&'*+.^_`|~0-9a-z-]+|body(?:\.[A-Za-z0-9_$@:-]+|\[\*\]|\["(?:[^"\\]|\\.)*"\])*)$/;

/** Why `raw` is not a field path, or undefined when it is one. Header names must be lowercase. */
export function fieldPathProblem(raw: string): string | undefined {
  if (FIELD_PATH.test(raw)) return undefined;
  if (/^header\./i.test(raw) && FIELD_PATH.test(raw.toLowerCase())) return 'header names in paths are lowercase';
  if (/\[\d+\]/.test(raw)) return 'array elements are aggregated: write [*], not an index';
  return 'not a field path';
}

export const FIELD_PATH_HINT =
  'a field path is status, header.<lowercase-name>, body, or body.<key>… with [*] for array elements, e.g. body.items[*].updated_at';

export interface RoutePattern {
  /** As given, e.g. '/orders/:id/items'. */
  readonly pattern: string;
  /** One entry per path segment: a literal, or null for a `:name` parameter. */
  readonly segments: readonly (string | null)[];
}

/** Parses a --compare-route pattern; throws an Error saying what is wrong. */
export function parseRoutePattern(raw: string): RoutePattern {
  const p = raw.trim();
  if (!p.startsWith('/')) throw new Error('a route pattern starts with /');
  if (/[\s?#]/.test(p)) throw new Error('a route pattern is a path only: no spaces, query or fragment');
  const segments = p
    .slice(1)
    .split('/')
    .map((s) => {
      if (!s.startsWith(':')) {
        if (s.includes(':')) throw new Error(`segment "${s}": a parameter is a whole segment, like :id`);
        return s;
      }
      if (!/^:[A-Za-z_][A-Za-z0-9_]*$/.test(s)) throw new Error(`segment "${s}": a parameter is : and a name, like :id`);
      return null;
    });
  return { pattern: p, segments };
}

/** `N%` (0 < N ≤ 100, decimals allowed), as a number. */
export function parseSamplePercent(raw: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(raw);
  const n = m ? Number(m[1]) : NaN;
  if (!(n > 0 && n <= 100)) throw new Error(`"${raw}" is not a percentage from 0 (excluded) to 100`);
  return n;
}
