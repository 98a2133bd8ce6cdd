import { PLAIN_KEY } from './syntax.js';
import { clip, MAX_DIFFS_PER_PAIR, type FieldDiff } from './field-diff.js';

/**
 * Structural JSON diff: changed value, type changed, missing field, extra field, array
 * length, and the same elements in another order. Array elements are compared position by
 * position and reported under an aggregated path (`body.items[*].price`), so a route's
 * thousand items make one field, not a thousand.
 */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export type Redact = (key: string) => boolean;

export function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

export function childPath(path: string, key: string): string {
  return PLAIN_KEY.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** JSON text of a value with redacted keys masked, clipped for a sample. */
export function show(v: unknown, redact: Redact, key?: string): string {
  if (v === undefined) return '(absent)';
  if (key !== undefined && redact(key)) return '"[redacted]"';
  return clip(JSON.stringify(v, (k, val) => (k !== '' && redact(k) ? '[redacted]' : val)) ?? 'undefined');
}

/**
 * A short digest of a value's canonical form (object keys sorted), to compare elements
 * regardless of key order. Memoized per object for one diff: every array level that differs
 * asks about its elements, and with the texts themselves a deeply nested answer cost a full
 * pass per level (seconds of the relay's event loop for one 1 MB pair). Short leaves are
 * kept as text; the rest is two 32-bit hashes and the length, so a false "equal" needs a
 * 64-bit collision.
 */
type Digests = WeakMap<object, string>;

/** How many digests were asked for (memoized or not), over the process: the tests bound the work of a diff by it. */
export const digestWork = { computed: 0 };

function digest(v: unknown, memo: Digests): string {
  digestWork.computed++;
  if (v === null || typeof v !== 'object') {
    const text = JSON.stringify(v);
    return text.length <= 32 ? text : hashText(text);
  }
  const hit = memo.get(v);
  if (hit !== undefined) return hit;
  let text: string;
  if (Array.isArray(v)) text = '[' + v.map((x) => digest(x, memo)).join(',') + ']';
  else {
    const o = v as Record<string, unknown>;
    text = '{' + Object.keys(o).sort().map((k) => digest(k, memo) + ':' + digest(o[k], memo)).join(',') + '}';
  }
  const d = hashText(text);
  memo.set(v, d);
  return d;
}

function hashText(s: string): string {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 13;
  }
  return '#' + (a >>> 0).toString(36) + '.' + (b >>> 0).toString(36) + '.' + s.length.toString(36);
}

export function diffJson(prod: unknown, cand: unknown, redact: Redact, root = 'body'): FieldDiff[] {
  const out: FieldDiff[] = [];
  const seen = new Set<string>();
  const add = (d: FieldDiff) => {
    const k = d.kind + ' ' + d.path;
    if (seen.has(k) || out.length >= MAX_DIFFS_PER_PAIR) return;
    seen.add(k);
    out.push(d);
  };
  walk(prod as Json, cand as Json, root, undefined, redact, add, 0, new WeakMap());
  return out;
}

const MAX_DEPTH = 64;
/**
 * Longer arrays that differ are not checked for being the same elements in another order
 * (their differences are reported position by position): the check digests every element,
 * about 0.7 ms per thousand on the relay's event loop.
 */
const MAX_REORDER_CHECK = 10_000;

function walk(a: Json, b: Json, path: string, key: string | undefined, redact: Redact, add: (d: FieldDiff) => void, depth: number, memo: Digests): void {
  const ta = jsonType(a);
  const tb = jsonType(b);
  if (ta !== tb) {
    add({ path, kind: 'type_changed', production: show(a, redact, key), candidate: show(b, redact, key) });
    return;
  }
  if (depth > MAX_DEPTH) {
    if (digest(a, memo) !== digest(b, memo)) add({ path, kind: 'changed', production: '(too deep)', candidate: '(too deep)' });
    return;
  }
  if (ta === 'array') {
    const xa = a as Json[];
    const xb = b as Json[];
    const each = path + '[*]'; // once, not per element: a path is long deep down
    if (xa.length !== xb.length) {
      add({ path, kind: 'array_length', production: String(xa.length), candidate: String(xb.length) });
      const n = Math.min(xa.length, xb.length);
      for (let i = 0; i < n; i++) walk(xa[i]!, xb[i]!, each, key, redact, add, depth + 1, memo);
      return;
    }
    // Position by position first (cheap when equal, the common case); only an array that
    // differs is checked for being the same elements in another order.
    const inner: FieldDiff[] = [];
    const collect = (d: FieldDiff) => inner.push(d);
    for (let i = 0; i < xa.length; i++) walk(xa[i]!, xb[i]!, each, key, redact, collect, depth + 1, memo);
    if (inner.length === 0) return;
    if (xa.length > 1 && xa.length <= MAX_REORDER_CHECK && isReordered(xa, xb, memo)) {
      add({ path, kind: 'reordered', production: show(xa, redact, key), candidate: show(xb, redact, key) });
      return;
    }
    for (const d of inner) add(d);
    return;
  }
  if (ta === 'object') {
    const oa = a as Record<string, Json>;
    const ob = b as Record<string, Json>;
    for (const k of Object.keys(oa)) {
      const p = childPath(path, k);
      if (!Object.hasOwn(ob, k)) add({ path: p, kind: 'missing', production: show(oa[k], redact, k), candidate: '(absent)' });
      else walk(oa[k]!, ob[k]!, p, k, redact, add, depth + 1, memo);
    }
    for (const k of Object.keys(ob)) {
      if (!Object.hasOwn(oa, k)) add({ path: childPath(path, k), kind: 'extra', production: '(absent)', candidate: show(ob[k], redact, k) });
    }
    return;
  }
  if (a !== b) add({ path, kind: 'changed', production: show(a, redact, key), candidate: show(b, redact, key) });
}

/** Same elements (as a multiset), in another order (the caller knows they are not equal position by position). */
function isReordered(a: Json[], b: Json[], memo: Digests): boolean {
  const ca = a.map((x) => digest(x, memo));
  const cb = b.map((x) => digest(x, memo));
  const count = new Map<string, number>();
  for (const x of ca) count.set(x, (count.get(x) ?? 0) + 1);
  for (const x of cb) {
    const n = count.get(x);
    if (!n) return false;
    count.set(x, n - 1);
  }
  return true;
}

/**
 * Every leaf of a JSON value as path → canonical text, with array elements aggregated under
 * `[*]` (their texts joined in order) and each array's length recorded at its own path.
 * Used to learn which fields vary between production's own answers (noise rule b).
 */
export function flattenJson(v: unknown, root = 'body', limit = 256): Map<string, string> {
  const out = new Map<string, string>();
  const put = (p: string, s: string) => {
    const prev = out.get(p);
    if (prev !== undefined) out.set(p, prev.length < 4096 ? prev + '\u0000' + s : prev);
    else if (out.size < limit) out.set(p, s);
  };
  const rec = (x: unknown, p: string, depth: number) => {
    if (depth > MAX_DEPTH) return;
    if (Array.isArray(x)) {
      put(p, `#len:${x.length}`);
      for (const e of x) rec(e, p + '[*]', depth + 1);
    } else if (x !== null && typeof x === 'object') {
      put(p, '#object');
      for (const [k, e] of Object.entries(x)) rec(e, childPath(p, k), depth + 1);
    } else put(p, JSON.stringify(x));
  };
  rec(v, root, 0);
  return out;
}
