import { badValue, goTrimSpace, splitOnce, type ValueForm } from '../flag-values.js';
import type { FlagAt } from '../types.js';
import type { Occurrence } from './kind.js';

export interface LimiterSpec extends Occurrence {
  readonly name: string;
  readonly percent: number;
}

/**
 * 'name: N%' as gor's HTTPHashFilters.Set: split on the first ':', name untrimmed, value
 * trimmed; `N%` is parsed like Go's strconv.ParseInt(s, 0, 0) (so `0x1e%` is 30 and `010%`
 * is 8, as in gor), and the deprecated `num/den` form gives trunc(num/den*100).
 * gor ignored parse errors (a typo meant 0%: drop everything that has the header); we
 * reject them, and percentages outside 0..100.
 */
export function parseLimiter(value: string, at: FlagAt, form: ValueForm, checkName: (name: string) => string): LimiterSpec {
  const [name, rawPercent] = splitOnce(at, value, ':', form);
  const v = goTrimSpace(rawPercent);
  let percent: number | undefined;
  if (v.includes('%')) {
    percent = goParseIntBase0(v.slice(0, -1));
  } else if (v.includes('/')) {
    const parts = v.split('/');
    const num = parts.length === 2 ? goParseUint10(parts[0]!) : undefined;
    const den = parts.length === 2 ? goParseUint10(parts[1]!) : undefined;
    if (num !== undefined && den !== undefined && den > 0) percent = Math.trunc((num / den) * 100);
  } else {
    throw badValue(at, `${JSON.stringify(v)} is not a percentage (it needs a '%')`, form);
  }
  if (percent === undefined) throw badValue(at, `${JSON.stringify(v)} is not a number of percent`, form);
  if (percent < 0 || percent > 100) throw badValue(at, `${percent}% is not between 0% and 100%`, form);
  return { at, value, name: checkName(name), percent };
}

/** Go's ParseInt with base 0, without `_` separators; undefined where Go returns an error. */
function goParseIntBase0(s: string): number | undefined {
  const m = /^([+-]?)(?:0[xX]([0-9a-fA-F]+)|0[bB]([01]+)|0[oO]?([0-7]+)|([1-9][0-9]*|0))$/.exec(s);
  if (!m) return undefined;
  const [, sign, hex, bin, oct, dec] = m;
  const n = hex ? parseInt(hex, 16) : bin ? parseInt(bin, 2) : oct ? parseInt(oct, 8) : Number(dec);
  return sign === '-' ? -n : n;
}

function goParseUint10(s: string): number | undefined {
  return /^[0-9]+$/.test(s) ? Number(s) : undefined;
}
