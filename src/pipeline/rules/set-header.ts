import { goTrimSpace, headerName, noControls, ruleName, splitOnce, type ValueForm } from '../flag-values.js';
import { gorSetHeader } from '../http-view.js';
import type { Occurrence, RuleKind } from './kind.js';

const FORM: ValueForm = { form: "'Name: value'", example: 'User-Agent: Replayed by traffic-duplicator' };

export interface SetHeaderSpec extends Occurrence {
  readonly name: string;
  readonly headerValue: string;
}

/**
 * --http-set-header 'Name: value': sets the first field of that name (or adds it first),
 * as gor's proto.SetHeader. Name and value are trimmed, split on the first ':' (as gor).
 */
export const setHeader: RuleKind<SetHeaderSpec> = {
  flag: '--http-set-header',
  parse(value, at) {
    const [rawName, rawValue] = splitOnce(at, value, ':', FORM);
    return {
      at,
      value,
      name: headerName(at, goTrimSpace(rawName), FORM),
      headerValue: noControls(at, goTrimSpace(rawValue), 'value', FORM, true),
    };
  },
  build(specs) {
    return specs.map((s) => ({
      name: ruleName(s.at, s.value),
      apply: (req) => gorSetHeader(req, s.name, s.headerValue),
    }));
  },
};
