import type { RequestMessage } from '../core/message.js';
import type { DropReason } from '../core/output.js';

/** One modifier flag as the config layer read it. */
export interface ModifierFlag {
  /** Canonical gor name, e.g. '--http-set-header' (or 'http-set-header', as config/ spells it). */
  flag: string;
  /** The raw value, exactly as given. */
  value: string;
  /** Where it came from, e.g. 'config/gor.options:3' or 'command line'. */
  source: string;
  /** The name as the user wrote it, when it was an alias (for error messages). */
  given?: string;
}

export interface Dropped {
  readonly dropped: DropReason;
  /** The rule that dropped the request (its `name`). */
  readonly rule: string;
}

/** The same message object when nothing changed, a new one when a rule changed it, or a drop. */
export type RuleResult = RequestMessage | Dropped;

export interface Rule {
  readonly name: string;
  apply(req: RequestMessage): RuleResult;
}

export interface Pipeline {
  /** In the order they run (gor's). */
  readonly rules: readonly Rule[];
  run(req: RequestMessage): RuleResult;
  /** A `--http-set-header Host: …` was given: the HTTP output then keeps that Host. */
  readonly setsHost: boolean;
}

export function isDropped(result: RuleResult): result is Dropped {
  return 'dropped' in result;
}

/** Where a flag value came from, for error messages and rule names. */
export type FlagAt = Pick<ModifierFlag, 'flag' | 'source'>;
