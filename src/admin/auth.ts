import { createHash, timingSafeEqual } from 'node:crypto';

/** The cookie set after a `?token=` login, so the page's own API calls carry the token. */
export const ADMIN_COOKIE = 'td_admin';

/**
 * Compares a presented token with the configured one in constant time. Both sides are
 * hashed first so timingSafeEqual always sees equal-length inputs: the comparison's
 * duration says nothing about the token's length or any prefix of it.
 */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined || presented === '') return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Where a request may carry the token, in order: `Authorization: Bearer`, `?token=`, the cookie. */
export interface PresentedToken {
  readonly bearer: string | undefined;
  readonly query: string | undefined;
  readonly cookie: string | undefined;
}

export function presentedToken(headers: ReadonlyMap<string, string>, query: URLSearchParams): PresentedToken {
  const auth = headers.get('authorization');
  const bearer = auth && /^bearer\s+/i.test(auth) ? auth.replace(/^bearer\s+/i, '').trim() : undefined;
  return { bearer, query: query.get('token') ?? undefined, cookie: cookieValue(headers.get('cookie'), ADMIN_COOKIE) };
}

export type AuthResult = { ok: false } | { ok: true; via: 'bearer' | 'query' | 'cookie' };

export function authenticate(p: PresentedToken, expected: string): AuthResult {
  // Each source is checked on its own: a wrong bearer must not be rescued by a stale cookie
  // silently, but a right one anywhere is enough (the page sends the cookie, curl the bearer).
  if (tokenMatches(p.bearer, expected)) return { ok: true, via: 'bearer' };
  if (tokenMatches(p.query, expected)) return { ok: true, via: 'query' };
  if (tokenMatches(p.cookie, expected)) return { ok: true, via: 'cookie' };
  return { ok: false };
}

/**
 * The login cookie: HttpOnly (page scripts can't read it), SameSite=Strict (another site
 * can't make the browser POST control actions with it), scoped to the admin path, and
 * Secure when the client came over HTTPS (Heroku's router says so in X-Forwarded-Proto).
 */
export function loginCookie(token: string, path: string, secure: boolean): string {
  return `${ADMIN_COOKIE}=${encodeURIComponent(token)}; Path=${path}; HttpOnly; SameSite=Strict; Max-Age=86400${secure ? '; Secure' : ''}`;
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}
