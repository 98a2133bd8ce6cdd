import type { RoutePattern } from './syntax.js';

/**
 * Endpoints: the method and a route template for a request target. `/users/123` and
 * `/users/456` are one endpoint, `/users/:id`. A --compare-route pattern wins over the
 * automatic template.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NUMBER = /^-?\d+(?:\.\d+)?$/;
const LONG_HEX = /^[0-9a-f]{12,}$/i;
const DATE = /^\d{4}-\d{2}-\d{2}(?:[T ][0-9:.]+Z?)?$/;
/** base64/base64url ids (e.g. 20+ chars mixing letters and digits). Words stay: they name things. */
const B64_ID = /^[A-Za-z0-9_-]{20,}={0,2}$/;

/** Does this path segment look like an identifier rather than a name? */
export function isIdSegment(seg: string): boolean {
  if (seg === '') return false;
  if (NUMBER.test(seg) || UUID.test(seg) || DATE.test(seg)) return true;
  if (LONG_HEX.test(seg) && /\d/.test(seg)) return true;
  return B64_ID.test(seg) && /\d/.test(seg) && /[A-Za-z]/.test(seg);
}

/** The path of a request target: query dropped, absolute-form reduced to its path. */
export function targetPath(target: string): string {
  let t = target;
  const q = t.search(/[?#]/);
  if (q >= 0) t = t.slice(0, q);
  if (!t.startsWith('/')) {
    const m = /^[a-z][a-z0-9+.-]*:\/\/[^/]*(\/.*)?$/i.exec(t);
    t = m ? (m[1] ?? '/') : t === '*' ? '*' : '/' + t;
  }
  return t;
}

export class RouteMatcher {
  readonly #patterns: readonly RoutePattern[];

  constructor(patterns: readonly RoutePattern[]) {
    this.#patterns = patterns;
  }

  /** The route template of a request target. */
  route(target: string): string {
    const path = targetPath(target);
    const segs = path.split('/').slice(1);
    for (const p of this.#patterns) if (matches(p, segs)) return p.pattern;
    let decoded: string[];
    try {
      decoded = segs.map((s) => decodeURIComponent(s));
    } catch {
      decoded = segs;
    }
    return '/' + decoded.map((s, i) => (isIdSegment(s) ? ':id' : segs[i]!)).join('/');
  }
}

function matches(p: RoutePattern, segs: readonly string[]): boolean {
  if (p.segments.length !== segs.length) return false;
  for (let i = 0; i < segs.length; i++) {
    const want = p.segments[i];
    if (want === null ? segs[i] === '' : want !== segs[i]) return false;
  }
  return true;
}
