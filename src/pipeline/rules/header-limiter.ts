import { headerName, type ValueForm } from '../flag-values.js';
import { inSample } from '../go/fnv.js';
import { gorHeader } from '../http-view.js';
import { filterPerOccurrence, type RuleKind } from './kind.js';
import { parseLimiter, type LimiterSpec } from './limiter-value.js';

const FORM: ValueForm = { form: "'Name: N%'", example: 'user-id: 25%' };

/**
 * --http-header-limiter 'Name: N%': consistent sampling by a header's value: a request
 * whose header is non-empty is kept iff fnv32a(value) % 100 < N (gor's formula), so the
 * same user is always in or out. Requests without the header pass.
 */
export const headerLimiter: RuleKind<LimiterSpec> = {
  flag: '--http-header-limiter',
  parse: (value, at) => parseLimiter(value, at, FORM, (name) => headerName(at, name, FORM)),
  build: (specs) =>
    filterPerOccurrence(specs, ({ name, percent }, req) => {
      const v = gorHeader(req.headers, name);
      return v === '' || inSample(percent, v);
    }),
};
