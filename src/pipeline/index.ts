/**
 * pipeline/: gor's `--http-*` request modifiers, compiled once into an ordered list of
 * small rules (one file each under rules/), run as `(msg) => msg | dropped`.
 * A rule returns the same message object when it changes nothing, a new one when it does
 * (messages are shared by every output), or `{ dropped: 'filtered', rule }`.
 */
export type { RuleResult, Rule, Pipeline, Dropped } from './types.js';
export { isDropped } from './types.js';
export { compileModifiers, MODIFIER_FLAGS, GOR_ORDER } from './compile.js';
