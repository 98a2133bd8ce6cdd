import { goTrimSpace, headerName, noControls, regexpOf, splitOnce, type ValueForm } from '../flag-values.js';
import { goReplaceAll, parseGoTemplate, type GoRegexp, type GoTemplate } from '../go/regexp.js';
import { gorHeader, gorSetHeader } from '../http-view.js';
import type { RuleKind } from './kind.js';

const FORM: ValueForm = {
  form: "'Name: REGEX,replacement' (split at the first ':' then the first ',')",
  example: 'Host: (.*).example.com,$1.beta.example.com',
};

interface RewriteHeaderSpec {
  readonly name: string;
  readonly re: GoRegexp;
  readonly template: GoTemplate;
}

/**
 * --http-rewrite-header 'Name: REGEX,replacement' (repeatable): where the header's value
 * matches, it is replaced by Go's ReplaceAll of it, via gor's SetHeader. Runs last.
 *
 * gor quirk, kept on purpose: the rules run in order and the FIRST rule whose header is
 * missing or empty stops the remaining header rewrites for that request (`break` in
 * gor's loop), even if their headers are present.
 */
export const rewriteHeader: RuleKind<RewriteHeaderSpec> = {
  flag: '--http-rewrite-header',
  parse(value, at) {
    const [name, rest] = splitOnce(at, value, ':', FORM);
    const [pattern, replacement] = splitOnce(at, goTrimSpace(rest), ',', FORM);
    const re = regexpOf(at, pattern, FORM);
    return {
      name: headerName(at, name, FORM),
      re,
      template: parseGoTemplate(noControls(at, replacement, 'replacement', FORM, true), re),
    };
  },
  build(specs) {
    const name = `--http-rewrite-header ${specs.map((s) => `'${s.name}: ${s.re.pattern()}'`).join(' | ')}`;
    return [
      {
        name,
        apply(req) {
          let msg = req;
          for (const { name: header, re, template } of specs) {
            const v = gorHeader(msg.headers, header);
            if (v === '') break;
            if (re.test(v)) msg = gorSetHeader(msg, header, goReplaceAll(re, v, template));
          }
          return msg;
        },
      },
    ];
  },
};
