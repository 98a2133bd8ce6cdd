import type { RequestMessage } from '../core/message.js';
import type { DropReason } from '../core/output.js';

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

/** Where a flag value came from, for error messages and rule names: the flag as typed on a command line ('--http-set-header'). */
export interface FlagAt {
  readonly flag: string;
  readonly source: string;
}
