import { headerMatches, parseHeaderPattern, type HeaderPatternSpec } from './allow-header.js';
import { filterPerOccurrence, type RuleKind } from './kind.js';

/** --http-disallow-header 'Name: REGEX' (repeatable): dropped when that header is non-empty and matches. */
export const disallowHeader: RuleKind<HeaderPatternSpec> = {
  flag: '--http-disallow-header',
  parse: (value, at) => parseHeaderPattern(value, at, 'User-Agent: Replayed by Gor'),
  build: (specs) => filterPerOccurrence(specs, (spec, req) => !headerMatches(spec, req)),
};
