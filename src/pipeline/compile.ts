import { UsageError } from '../core/errors.js';
import { sameName, type RequestMessage } from '../core/message.js';
import { allowHeader } from './rules/allow-header.js';
import { allowMethod } from './rules/allow-method.js';
import { allowUrl } from './rules/allow-url.js';
import { basicAuthFilter } from './rules/basic-auth-filter.js';
import { disallowHeader } from './rules/disallow-header.js';
import { disallowUrl } from './rules/disallow-url.js';
import { headerLimiter } from './rules/header-limiter.js';
import type { RuleKind } from './rules/kind.js';
import { paramLimiter } from './rules/param-limiter.js';
import { rewriteHeader } from './rules/rewrite-header.js';
import { rewriteUrl } from './rules/rewrite-url.js';
import { setHeader, type SetHeaderSpec } from './rules/set-header.js';
import { setParam } from './rules/set-param.js';
import type { ModifierFlag } from '../core/modifier-flag.js';
import { isDropped, type Pipeline, type Rule, type RuleResult } from './types.js';

/**
 * The order rules run in: gor's, from `HTTPModifier.Rewrite` in goreplay's
 * http_modifier.go (1.x). What it implies:
 * - set-header and set-param run before every filter, so filters see the values they set
 *   (`--http-set-header 'Host: x'` then `--http-allow-header 'Host: ^x$'` passes);
 * - filters run on the target as sent; rewrite-url runs after them, rewrite-header last.
 * Filters do not change the request, so their relative order only decides which rule is
 * named in a drop (later gor builds reorder them without changing any outcome).
 */
export const GOR_ORDER: readonly RuleKind<unknown>[] = [
  allowMethod,
  setHeader,
  setParam,
  allowUrl,
  disallowUrl,
  allowHeader,
  disallowHeader,
  basicAuthFilter,
  headerLimiter,
  paramLimiter,
  rewriteUrl,
  rewriteHeader,
];

/** The flags compileModifiers knows, as typed on a command line ('--http-set-header'), in gor's order. */
export const MODIFIER_FLAGS: readonly string[] = GOR_ORDER.map((k) => k.flag);

const KINDS = new Map(GOR_ORDER.map((k) => [k.flag, k]));

/**
 * Turns gor's `--http-*` modifier flags into an ordered list of rules, validating every
 * value up front (errors name the source, the flag, what is wrong and an example).
 * Flags may come in any order; rules always run in GOR_ORDER, occurrences of one flag in
 * the order given.
 */
export function compileModifiers(flags: readonly ModifierFlag[]): Pipeline {
  const specs = new Map<RuleKind<unknown>, unknown[]>();
  for (const f of flags) {
    // One spelling, core's (no dashes); messages and rule names show the flag as typed.
    const flag = `--${f.flag}`;
    const kind = KINDS.get(flag);
    if (!kind) {
      throw new UsageError(
        'TD_UNKNOWN_FLAG',
        `${f.source}: ${flag}: not one of gor's --http-* modifier flags`,
        `modifier flags are ${MODIFIER_FLAGS.join(', ')}`,
      );
    }
    // Errors name the flag as the user wrote it (an old alias such as --output-http-header).
    const parsed = kind.parse(f.value, { flag: f.given ?? flag, source: f.source });
    const list = specs.get(kind);
    if (list) list.push(parsed);
    else specs.set(kind, [parsed]);
  }

  const rules: readonly Rule[] = Object.freeze(
    GOR_ORDER.flatMap((kind) => {
      const list = specs.get(kind);
      return list ? kind.build(list) : [];
    }),
  );
  const setHeaders = (specs.get(setHeader as RuleKind<unknown>) ?? []) as SetHeaderSpec[];

  return {
    rules,
    setsHost: setHeaders.some((s) => sameName(s.name, 'Host')),
    run(req: RequestMessage): RuleResult {
      let msg = req;
      for (const rule of rules) {
        const result = rule.apply(msg);
        if (isDropped(result)) return result;
        msg = result;
      }
      return msg;
    },
  };
}
