import { createHash } from 'node:crypto';
import { flattenJson } from './diff-json.js';
import type { ResponseView } from './response-view.js';

/**
 * Noise: differences that are not the candidate's doing. Three sources, each shown as
 * noise in the report, never hidden:
 *  (a) a control destination (production's version again): Diffy's rule, see controlVerdict;
 *  (b) without a control, production itself: identical requests whose production answers
 *      differ in a field make that field volatile (VolatilityLearner);
 *  (c) --compare-ignore paths (IgnoreList).
 */

/** (c) A path ignores itself and everything below it: `body.meta` covers `body.meta.generated_at`. */
export class IgnoreList {
  readonly #paths: readonly string[];
  constructor(paths: readonly string[]) {
    this.#paths = paths;
  }
  matches(path: string): boolean {
    for (const p of this.#paths) {
      if (path === p || path.startsWith(p + '.') || path.startsWith(p + '[')) return true;
    }
    return false;
  }
}

/** Defaults of the control rule (Diffy's "relative" and "absolute" thresholds, as fractions). */
export const CONTROL_THRESHOLDS = { relative: 0.2, absolute: 0.03 } as const;

/**
 * (a) A field is a real difference only where the candidate differs from production
 * significantly more often than the control does: by more than `absolute` (3 points) AND
 * by more than `relative` (20 %) of the control's rate. Rates are per compared pair of the
 * endpoint. Otherwise the candidate differs no more than production's own version: noise.
 */
export function controlVerdict(candidateRate: number, controlRate: number, t = CONTROL_THRESHOLDS): 'difference' | 'noise' {
  const excess = candidateRate - controlRate;
  return excess > t.absolute && candidateRate > controlRate * (1 + t.relative) ? 'difference' : 'noise';
}

/** The fields of one answer, path → a short fingerprint of the value. */
export function fingerprint(view: ResponseView): Map<string, string> {
  const out = new Map<string, string>();
  out.set('status', String(view.status));
  for (const [k, v] of view.headers) out.set(`header.${k}`, v);
  const b = view.body;
  if (b.kind === 'json') for (const [k, v] of flattenJson(b.value)) out.set(k, v);
  else if (b.kind === 'text') out.set('body', b.text.length > 256 ? `${b.text.length}:${hash32(b.text)}` : b.text);
  else if (b.kind === 'binary') out.set('body', b.hash);
  else out.set('body', '');
  return out;
}

function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * (b) Learns volatile fields from production: for each distinct request (method, target,
 * body hash) it remembers, in a bounded LRU, a hash of production's last answer and, when
 * it was taken, that answer's field fingerprint. Every field that differs between two
 * answers to the same request is volatile for that endpoint: its differences are noise.
 *
 * Cost: an answer identical to the previous one for its request costs a hash and nothing
 * more; fingerprints (a walk of the whole body) are taken for every answer while an endpoint
 * has been observed fewer than LEARN_FULLY times, then for one answer in LEARN_EVERY.
 */
const LEARN_FULLY = 200;
const LEARN_EVERY = 8;
/**
 * Endpoints whose volatile fields are kept, the least recently marked forgotten first. The
 * endpoints come from request targets, which anyone can vary (letters-only paths never
 * become `:id`): every map here is bounded by count and keyed by a fixed-size digest, never
 * by the target itself (up to 64 KiB).
 */
const MAX_VOLATILE_ENDPOINTS = 2_000;
/** And by bytes (the field paths, ~2 bytes a character): past it, the oldest endpoints go. */
const MAX_VOLATILE_BYTES = 4 * 1024 * 1024;
const MAX_OBSERVED_ENDPOINTS = 10_000;

/** A 27-character key for a map, whatever the length of what it stands for. */
function keyOf(text: string): string {
  return createHash('sha1').update(text).digest('base64');
}

interface Seen {
  readonly hash: string;
  readonly fp: Map<string, string> | undefined;
}

export class VolatilityLearner {
  readonly #last = new Map<string, Seen>();
  readonly #volatile = new Map<string, Set<string>>();
  #volatileBytes = 0;
  readonly #observed = new Map<string, number>();
  readonly #maxRequests: number;
  readonly #maxPerEndpoint: number;

  constructor(opts: { maxRequests?: number; maxPathsPerEndpoint?: number } = {}) {
    this.#maxRequests = opts.maxRequests ?? 512;
    this.#maxPerEndpoint = opts.maxPathsPerEndpoint ?? 256;
  }

  /** `hash` identifies the whole answer; `fingerprint` is called only when its fields are needed. */
  observe(endpoint: string, requestKey: string, hash: string, fingerprint: () => Map<string, string>): void {
    const key = keyOf(endpoint + '\u0000' + requestKey);
    const prev = this.#last.get(key);
    this.#last.delete(key);
    if (prev && prev.hash === hash) {
      this.#last.set(key, prev);
      return;
    }
    const ek = keyOf(endpoint);
    const n = (this.#observed.get(ek) ?? 0) + 1;
    if (this.#observed.size < MAX_OBSERVED_ENDPOINTS || this.#observed.has(ek)) this.#observed.set(ek, n);
    const fp = n <= LEARN_FULLY || n % LEARN_EVERY === 0 ? fingerprint() : undefined;
    this.#last.set(key, { hash, fp });
    if (this.#last.size > this.#maxRequests) this.#last.delete(this.#last.keys().next().value!);
    if (!prev?.fp || !fp) return;
    for (const [path, v] of fp) if (prev.fp.get(path) !== v) this.#mark(ek, path);
    for (const path of prev.fp.keys()) if (!fp.has(path)) this.#mark(ek, path);
  }

  #mark(ek: string, path: string): void {
    let s = this.#volatile.get(ek);
    if (s) this.#volatile.delete(ek); // most recently marked last
    else s = new Set();
    this.#volatile.set(ek, s);
    if (s.size < this.#maxPerEndpoint && !s.has(path)) {
      s.add(path);
      this.#volatileBytes += 64 + 2 * path.length;
    }
    while (this.#volatile.size > MAX_VOLATILE_ENDPOINTS || (this.#volatileBytes > MAX_VOLATILE_BYTES && this.#volatile.size > 1)) {
      const [oldest, paths] = this.#volatile.entries().next().value!;
      this.#volatile.delete(oldest);
      for (const p of paths) this.#volatileBytes -= 64 + 2 * p.length;
    }
  }

  /** How many endpoints have volatile fields remembered (bounded by MAX_VOLATILE_ENDPOINTS). */
  get volatileEndpoints(): number {
    return this.#volatile.size;
  }

  /** Is a difference at `path` explained by production's own variation? Array-level kinds also look below. */
  isVolatile(endpoint: string, path: string, kind: string): boolean {
    const s = this.#volatile.get(keyOf(endpoint));
    if (!s) return false;
    if (s.has(path)) return true;
    if (kind === 'reordered' || kind === 'lines' || kind === 'hash') {
      for (const p of s) if (p.startsWith(path + '[') || p.startsWith(path + '.')) return true;
    }
    return false;
  }

  reset(): void {
    this.#last.clear();
    this.#volatile.clear();
    this.#volatileBytes = 0;
    this.#observed.clear();
  }
}
