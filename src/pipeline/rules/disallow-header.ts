import { ruleName } from '../flag-values.js';
import { gorHeader } from '../http-view.js';
import { parseHeaderPattern, type HeaderPatternSpec } from './allow-header.js';
import { dropBy, type RuleKind } from './kind.js';

/** --http-disallow-header 'Name: REGEX' (repeatable): dropped when that header is non-empty and matches. */
export const disallowHeader: RuleKind<HeaderPatternSpec> = {
  flag: '--http-disallow-header',
  parse: (value, at) => parseHeaderPattern(value, at, 'User-Agent: Replayed by Gor'),
  build(specs) {
    return specs.map(({ at, value, name, re }) => {
      const drop = dropBy(ruleName(at, value));
      return {
        name: drop.rule,
        apply(req) {
          const v = gorHeader(req.headers, name);
          return v !== '' && re.test(v) ? drop : req;
        },
      };
    });
  },
};
