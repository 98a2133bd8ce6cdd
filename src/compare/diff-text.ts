import { clip, type FieldDiff } from './field-diff.js';

/**
 * Text bodies (HTML, CSV, plain text…) are compared by lines: how many lines only one side
 * has (as multisets, so a moved line counts as neither). One field, `body`, kind `lines`.
 */
export function diffText(prod: string, cand: string, path = 'body'): FieldDiff[] {
  if (prod === cand) return [];
  const a = prod.split('\n');
  const b = cand.split('\n');
  const count = new Map<string, number>();
  for (const l of a) count.set(l, (count.get(l) ?? 0) + 1);
  const added: string[] = [];
  for (const l of b) {
    const n = count.get(l);
    if (n) count.set(l, n - 1);
    else added.push(l);
  }
  const removed: string[] = [];
  for (const l of a) {
    const n = count.get(l);
    if (n) {
      count.set(l, n - 1);
      removed.push(l);
    }
  }
  if (added.length === 0 && removed.length === 0) {
    return [{ path, kind: 'lines', production: 'same lines in another order', candidate: 'same lines in another order' }];
  }
  return [
    {
      path,
      kind: 'lines',
      production: clip(`-${removed.length} lines: ${removed.slice(0, 3).join(' ⏎ ')}`),
      candidate: clip(`+${added.length} lines: ${added.slice(0, 3).join(' ⏎ ')}`),
    },
  ];
}
