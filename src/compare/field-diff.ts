import type { DiffKind } from './types.js';

/** One difference found in one pair, before it is aggregated. Values are short display strings. */
export interface FieldDiff {
  readonly path: string;
  readonly kind: DiffKind;
  readonly production: string;
  readonly candidate: string;
}

/** Most differences recorded per pair: a completely different answer must not cost unbounded work. */
export const MAX_DIFFS_PER_PAIR = 100;

/** Longest value kept for a sample (characters). */
export const MAX_SAMPLE_CHARS = 300;

export function clip(s: string): string {
  return s.length > MAX_SAMPLE_CHARS ? s.slice(0, MAX_SAMPLE_CHARS) + '…' : s;
}
