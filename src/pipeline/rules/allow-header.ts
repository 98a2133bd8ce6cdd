import type { RequestMessage } from '../../core/message.js';
import { goTrimSpace, headerName, matchText, regexpOf, splitOnce, type ValueForm } from '../flag-values.js';
import type { GoRegexp } from '../go/regexp.js';
import { gorHeader } from '../http-view.js';
import { filterPerOccurrence, type Occurrence, type RuleKind } from './kind.js';

export interface HeaderPatternSpec extends Occurrence {
  readonly name: string;
  readonly re: GoRegexp;
}

/** 'Name: REGEX' as gor's HTTPHeaderFilters.Set: split on the first ':', pattern trimmed, name not. */
export function parseHeaderPattern(value: string, at: HeaderPatternSpec['at'], example: string): HeaderPatternSpec {
  const form: ValueForm = { form: "'Name: REGEX' (a Go/RE2 regexp)", example };
  const [name, pattern] = splitOnce(at, value, ':', form);
  return { at, value, name: headerName(at, name, form), re: regexpOf(at, goTrimSpace(pattern), form) };
}

/** gor's header filters match a header that is present, non-empty, and matches the pattern. */
export function headerMatches({ name, re }: HeaderPatternSpec, req: RequestMessage): boolean {
  const v = gorHeader(req.headers, name);
  return v !== '' && re.test(matchText(v));
}

/**
 * --http-allow-header 'Name: REGEX' (repeatable; all must pass): a request is dropped
 * unless that header is present, non-empty and matches. (Older gor builds let requests
 * without the header through; gor 1.x drops them, and so do we.)
 */
export const allowHeader: RuleKind<HeaderPatternSpec> = {
  flag: '--http-allow-header',
  parse: (value, at) => parseHeaderPattern(value, at, 'api-version: ^v1'),
  build: (specs) => filterPerOccurrence(specs, headerMatches),
};
