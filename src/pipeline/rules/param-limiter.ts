import { badValue, noControls, type ValueForm } from '../flag-values.js';
import { inSample } from '../go/fnv.js';
import { GorParam } from '../http-view.js';
import { filterPerOccurrence, type RuleKind } from './kind.js';
import { parseLimiter, type LimiterSpec } from './limiter-value.js';

const FORM: ValueForm = { form: "'name: N%'", example: 'user_id: 25%' };

/**
 * --http-param-limiter 'name: N%': as --http-header-limiter, by a query parameter's raw
 * (not URL-decoded) value. A parameter that is present but empty is hashed too (gor: the
 * hash of "" is 2166136261, % 100 = 61); requests without it pass.
 */
export const paramLimiter: RuleKind<LimiterSpec & { param: GorParam }> = {
  flag: '--http-param-limiter',
  parse(value, at) {
    const spec = parseLimiter(value, at, FORM, (name) => {
      if (name === '') throw badValue(at, 'the parameter name is empty', FORM);
      return noControls(at, name, 'name', FORM, false);
    });
    return { ...spec, param: new GorParam(spec.name) };
  },
  build: (specs) =>
    filterPerOccurrence(specs, ({ param, percent }, req) => {
      const target = req.target;
      const start = param.valueStart(target);
      return start < 0 || inSample(percent, target, start, GorParam.valueEnd(target, start));
    }),
};
