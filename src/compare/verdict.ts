import { controlVerdict, type IgnoreList, type VolatilityLearner } from './noise.js';
import type { DestinationAgg, EndpointAgg, FieldAgg } from './store.js';
import type { Verdict } from './types.js';

/** What decides whether a field's differences are real: ignores, the control, production's own variation. */
export interface NoiseContext {
  readonly ignore: IgnoreList;
  readonly learner: VolatilityLearner;
  /** The control destination's aggregates, when --compare-control is given. */
  readonly control: DestinationAgg | undefined;
}

export interface FieldVerdict {
  readonly verdict: Verdict;
  readonly noise: number;
  readonly reason: string;
}

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

export function fieldVerdict(ctx: NoiseContext, dest: DestinationAgg, e: EndpointAgg, path: string, kind: string, different: number): FieldVerdict {
  if (ctx.ignore.matches(path)) return { verdict: 'ignored', noise: 0, reason: '--compare-ignore' };
  if (dest.role === 'candidate' && ctx.control) {
    const ce = ctx.control.find(e.method, e.route);
    if (ce && ce.compared > 0) {
      const rc = different / Math.max(1, e.compared);
      const rn = (ce.byPath.get(path) ?? 0) / ce.compared;
      const v = controlVerdict(rc, rn);
      const noise = v === 'noise' ? different : Math.min(different, Math.round(rn * e.compared));
      return { verdict: v, noise, reason: `candidate differs in ${pct(rc)} of pairs, control in ${pct(rn)}` };
    }
  }
  if (ctx.learner.isVolatile(e.key, path, kind)) return { verdict: 'noise', noise: different, reason: 'production itself varies here for identical requests' };
  return { verdict: 'difference', noise: 0, reason: ctx.control ? 'no control pairs on this endpoint yet' : 'production answers identical requests the same way here' };
}

/** Verdict per field key of an endpoint (a key without a kept field counts as a difference). */
export function endpointVerdicts(ctx: NoiseContext, dest: DestinationAgg, e: EndpointAgg): Map<string, FieldVerdict> {
  const out = new Map<string, FieldVerdict>();
  for (const [k, f] of e.fields) out.set(k, fieldVerdict(ctx, dest, e, f.path, f.kind, f.different));
  return out;
}

/** Pairs with at least one field whose verdict is `difference`, recounted from the kept signatures. */
export function differentPairs(e: EndpointAgg, verdicts: ReadonlyMap<string, FieldVerdict>): number {
  let n = e.signaturesOverflow;
  for (const [sig, count] of e.signatures) {
    if (sig === '') continue;
    if (sig.split('\n').some((k) => (verdicts.get(k)?.verdict ?? 'difference') === 'difference')) n += count;
  }
  return n;
}

export type { FieldAgg };
