import { badValue, goTrimSpace, noControls, ruleName, splitOnce, type ValueForm } from '../flag-values.js';
import { GorParam, withTarget } from '../http-view.js';
import type { Occurrence, RuleKind } from './kind.js';

const FORM: ValueForm = { form: "'name=value'", example: 'api_key=1' };

interface SetParamSpec extends Occurrence {
  readonly param: GorParam;
  readonly paramValue: string;
}

/**
 * --http-set-param 'name=value': replaces the query parameter's value where gor's
 * PathParam finds it, else appends it (`?name=value` or `&name=value`). Not URL-encoded,
 * as in gor, so white space is rejected: it would break the request line.
 */
export const setParam: RuleKind<SetParamSpec> = {
  flag: '--http-set-param',
  parse(value, at) {
    const [rawName, rawValue] = splitOnce(at, value, '=', FORM);
    const name = noControls(at, goTrimSpace(rawName), 'name', FORM, false);
    if (name === '') throw badValue(at, 'the parameter name is empty', FORM);
    return { at, value, param: new GorParam(name), paramValue: noControls(at, goTrimSpace(rawValue), 'value', FORM, false) };
  },
  build(specs) {
    return specs.map(({ at, value, param, paramValue }) => ({
      name: ruleName(at, value),
      apply(req) {
        const start = param.valueStart(req.target);
        if (start >= 0 && GorParam.valueEnd(req.target, start) - start === paramValue.length && req.target.startsWith(paramValue, start)) {
          return req; // already set: no copy
        }
        return withTarget(req, param.set(req.target, paramValue));
      },
    }));
  },
};
