import { badValue, noControls, regexpOf, splitOnce, type ValueForm } from '../flag-values.js';
import { goReplaceAll, parseGoTemplate, type GoRegexp, type GoTemplate } from '../go/regexp.js';
import { withTarget } from '../http-view.js';
import type { RuleKind } from './kind.js';

const FORM: ValueForm = {
  form: "'REGEX:replacement' (split at the first ':'; $1, ${1}, $name in the replacement)",
  example: '/v1/user/([^/]+)/ping:/v2/user/$1/ping',
};

interface RewriteUrlSpec {
  readonly re: GoRegexp;
  readonly template: GoTemplate;
}

/**
 * --http-rewrite-url 'REGEX:replacement' (repeatable): the FIRST rule whose regexp matches
 * the request-target rewrites it — every match in it, as Go's ReplaceAll — and no later
 * rule is tried. The pattern cannot contain ':' (gor splits at the first one).
 */
export const rewriteUrl: RuleKind<RewriteUrlSpec> = {
  flag: '--http-rewrite-url',
  parse(value, at) {
    if (value.startsWith('s/') && !value.includes(':')) {
      throw badValue(at, 'the s/pattern/replacement/ form is not supported (gor 1.x has only REGEX:replacement)', FORM);
    }
    const [pattern, replacement] = splitOnce(at, value, ':', FORM);
    const re = regexpOf(at, pattern, FORM);
    return { re, template: parseGoTemplate(noControls(at, replacement, 'replacement', FORM, false), re) };
  },
  build(specs) {
    const name = `--http-rewrite-url ${specs.map((s) => `'${s.re.pattern()}'`).join(' | ')}`;
    return [
      {
        name,
        apply(req) {
          for (const { re, template } of specs) {
            if (re.test(req.target)) return withTarget(req, goReplaceAll(re, req.target, template));
          }
          return req;
        },
      },
    ];
  },
};
