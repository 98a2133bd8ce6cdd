import { badValue, isToken, type ValueForm } from '../flag-values.js';
import { dropBy, type RuleKind } from './kind.js';

const FORM: ValueForm = { form: 'an HTTP method', example: 'GET' };

/**
 * --http-allow-method METHOD (repeatable): requests whose method is none of these are
 * dropped. gor compares the method bytes exactly (`bytes.Equal`), so matching is
 * case-sensitive — and gor only ever sees upper-case standard methods — so a lower-case
 * value could never match anything: we reject it instead of dropping all traffic.
 */
export const allowMethod: RuleKind<string> = {
  flag: '--http-allow-method',
  parse(value, at) {
    if (!isToken(value)) throw badValue(at, `${JSON.stringify(value)} is not an HTTP method`, FORM);
    if (/[a-z]/.test(value)) {
      throw badValue(
        at,
        `'${value}' would never match: methods are case-sensitive (as in gor); write ${value.toUpperCase()}`,
        FORM,
      );
    }
    return value;
  },
  build(methods) {
    const allowed = new Set(methods);
    const name = `--http-allow-method ${[...allowed].join(' ')}`;
    const drop = dropBy(name);
    return [{ name, apply: (req) => (allowed.has(req.method) ? req : drop) }];
  },
};
