import { matchText, regexpOf, type ValueForm } from '../flag-values.js';
import type { GoRegexp } from '../go/regexp.js';
import { dropBy, type RuleKind } from './kind.js';

export const URL_FORM: ValueForm = { form: 'a Go (RE2) regexp matched against the request-target', example: '^/api/' };

/**
 * --http-allow-url REGEX (repeatable): requests whose target matches none are dropped.
 * gor's help says "full url with domain", but its code matches proto.Path: the
 * request-target as sent (path and query; scheme and host only for absolute-form
 * targets), never the Host header. We follow the code.
 */
export const allowUrl: RuleKind<GoRegexp> = {
  flag: '--http-allow-url',
  parse: (value, at) => regexpOf(at, value, URL_FORM),
  build(patterns) {
    const name = `--http-allow-url ${patterns.map((p) => `'${p.pattern()}'`).join(' | ')}`;
    const drop = dropBy(name);
    return [
      {
        name,
        apply(req) {
          const target = matchText(req.target);
          for (const re of patterns) if (re.test(target)) return req;
          return drop;
        },
      },
    ];
  },
};
