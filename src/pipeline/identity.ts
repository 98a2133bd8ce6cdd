import type { Pipeline, RuleResult } from './types.js';
import type { RequestMessage } from '../core/message.js';

/**
 * The pipeline when no modifier flag is given: every request passes unchanged. Kept apart
 * from compile.ts so that a sidecar without modifiers never loads the compiler and its
 * twelve rules (issue 8: each module costs resident memory).
 */
export const IDENTITY_PIPELINE: Pipeline = Object.freeze({
  rules: Object.freeze([]),
  run: (req: RequestMessage): RuleResult => req,
  setsHost: false,
});
