import { matchText, regexpOf } from '../flag-values.js';
import type { GoRegexp } from '../go/regexp.js';
import { URL_FORM } from './allow-url.js';
import { filterPerOccurrence, type Occurrence, type RuleKind } from './kind.js';

/** --http-disallow-url REGEX (repeatable): requests whose target matches any are dropped (target as in allow-url). */
export const disallowUrl: RuleKind<Occurrence & { re: GoRegexp }> = {
  flag: '--http-disallow-url',
  parse: (value, at) => ({ at, value, re: regexpOf(at, value, { ...URL_FORM, example: '^/admin' }) }),
  build: (specs) => filterPerOccurrence(specs, ({ re }, req) => !re.test(matchText(req.target))),
};
