import type { RequestMessage } from '../../core/message.js';
import { ruleName } from '../flag-values.js';
import type { Dropped, FlagAt, Rule } from '../types.js';

/**
 * One gor modifier flag: how its value parses (at startup, failing with an example) and
 * how its parsed occurrences become rules. `build` gets every occurrence in the order
 * given, and returns one rule per occurrence where gor checks each on its own, or one rule
 * for all of them where gor combines them (any-of allow lists, first-match rewrites).
 */
export interface RuleKind<Spec> {
  readonly flag: string;
  parse(value: string, at: FlagAt): Spec;
  build(specs: readonly Spec[]): Rule[];
}

/** A rule's drop result, allocated once. */
export function dropBy(rule: string): Dropped {
  return Object.freeze({ dropped: 'filtered', rule });
}

/** The flag occurrence a spec came from, kept for rule names. */
export interface Occurrence {
  readonly at: FlagAt;
  readonly value: string;
}

/**
 * One filter rule per flag occurrence, as gor checks each occurrence on its own: the
 * request is kept when `keeps` says so, and otherwise dropped in that occurrence's name.
 */
export function filterPerOccurrence<S extends Occurrence>(specs: readonly S[], keeps: (spec: S, req: RequestMessage) => boolean): Rule[] {
  return specs.map((spec) => {
    const drop = dropBy(ruleName(spec.at, spec.value));
    return { name: drop.rule, apply: (req) => (keeps(spec, req) ? req : drop) };
  });
}
