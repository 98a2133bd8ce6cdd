import { regexpOf } from '../flag-values.js';
import { goBase64Decode } from '../go/base64.js';
import type { GoRegexp } from '../go/regexp.js';
import { gorHeader } from '../http-view.js';
import { filterPerOccurrence, type Occurrence, type RuleKind } from './kind.js';

/**
 * --http-basic-auth-filter REGEX (repeatable; all must pass): for a request with
 * `Authorization: Basic <base64>` (exactly "Basic ", case-sensitive, as gor's TrimPrefix),
 * the decoded "user:password" must match or the request is dropped. Requests with no
 * Authorization header, or another scheme, pass. Decoding follows Go's StdEncoding,
 * keeping what it decoded before an error (gor ignores the error).
 */
export const basicAuthFilter: RuleKind<Occurrence & { re: GoRegexp }> = {
  flag: '--http-basic-auth-filter',
  parse: (value, at) => ({
    at,
    value,
    re: regexpOf(at, value, { form: 'a Go (RE2) regexp matched against the decoded user:password', example: '^customer[0-9].*' }),
  }),
  build: (specs) =>
    filterPerOccurrence(specs, ({ re }, req) => {
      const auth = gorHeader(req.headers, 'Authorization');
      return !auth.startsWith('Basic ') || re.test(goBase64Decode(auth.slice(6)).toString('utf8'));
    }),
};
