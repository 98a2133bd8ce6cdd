import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { RequestMessage, ResponseMessage } from '../core/message.js';
import { RateLimitedLog, type Logger } from '../telemetry/logger.js';
import type { Stats } from '../telemetry/stats.js';
import { diffResponses } from './diff.js';
import type { FieldDiff } from './field-diff.js';
import { IgnoreList, VolatilityLearner, fingerprint } from './noise.js';
import { PendingPairs, type PendingEntry, type PendingLimits } from './pair.js';
import { buildCounts, buildReport } from './report.js';
import { FRAMING_HEADERS, VOLATILE_HEADERS, viewResponse } from './response-view.js';
import { RouteMatcher } from './routes.js';
import { ByteBudget, DestinationAgg, STORE_DEFAULTS, endpointKey, fieldKey, type StoreLimits } from './store.js';
import type { RoutePattern } from './syntax.js';
import type { CompareCount, CompareReport, Comparison, FieldSample } from './types.js';
import { fieldVerdict, type NoiseContext } from './verdict.js';

export interface ComparatorOptions {
  /** Every compared destination (its output name) and its role. */
  readonly destinations: ReadonlyArray<{ readonly name: string; readonly role: 'candidate' | 'control' }>;
  /** 0 < p ≤ 100: the share of request ids compared. */
  readonly samplePercent: number;
  /** Largest body compared (raw and decoded); larger pairs are counted `body_too_large`. */
  readonly maxBodyBytes: number;
  readonly ignore: readonly string[];
  readonly routes: readonly RoutePattern[];
  /** Header names and JSON keys whose values never appear in samples (besides authorization, cookie, set-cookie). */
  readonly redact: readonly string[];
  /** How long a half waits for its partner (default 30 s). */
  readonly pendingTtlMs?: number;
  readonly pending?: Partial<PendingLimits>;
  readonly store?: Partial<StoreLimits>;
  readonly instance?: string;
  /** With middleware, a request reaches the outputs after its production answer is read: keep such answers until the TTL. */
  readonly productionMayLead?: boolean;
}

export const PENDING_DEFAULTS: PendingLimits = { maxEntries: 10_000, maxBytes: 8 * 1024 * 1024, ttlMs: 30_000 };

/** Always redacted in samples. */
const ALWAYS_REDACTED = ['authorization', 'cookie', 'set-cookie', 'proxy-authorization'];

/** Time the comparison work may take per turn of the event loop before it yields to the relay. */
const SLICE_MS = 4;

interface Work {
  readonly entry: PendingEntry;
  readonly dest: string;
  readonly answer: ResponseMessage;
}

/**
 * Pairs production's answers with the compared destinations' and aggregates the differences.
 * Every entry point is cheap and never throws (the tap and the HTTP outputs call it); the
 * decoding and diffing run later, in slices of a few ms, off the relay's turn.
 */
export class Comparator implements Comparison {
  readonly enabled = true;
  readonly #opts: ComparatorOptions;
  readonly #stats: Stats | undefined;
  readonly #log: RateLimitedLog | undefined;
  readonly #routes: RouteMatcher;
  readonly #redact: (key: string) => boolean;
  readonly #threshold: number;
  readonly #limits: StoreLimits;
  readonly #pendingLimits: PendingLimits;
  #pending: PendingPairs;
  #budget: ByteBudget;
  #dests = new Map<string, DestinationAgg>();
  #ctx: NoiseContext;
  #started = new Date();
  readonly #queue: Work[] = [];
  #scheduled = false;
  #sweeper: NodeJS.Timeout | undefined;
  #closed = false;
  #errors = 0;

  constructor(opts: ComparatorOptions, deps: { stats?: Stats; log?: Logger } = {}) {
    this.#opts = opts;
    this.#stats = deps.stats;
    this.#log = deps.log ? new RateLimitedLog(deps.log) : undefined;
    this.#routes = new RouteMatcher(opts.routes);
    const redacted = new Set([...ALWAYS_REDACTED, ...opts.redact.map((r) => r.toLowerCase())]);
    this.#redact = (k) => redacted.has(k.toLowerCase());
    this.#threshold = Math.round((opts.samplePercent / 100) * 0x1_0000_0000);
    this.#limits = { ...STORE_DEFAULTS, ...opts.store };
    this.#pendingLimits = { ...PENDING_DEFAULTS, ...(opts.pendingTtlMs ? { ttlMs: opts.pendingTtlMs } : {}), ...opts.pending };
    this.#pending = new PendingPairs(this.#pendingLimits);
    this.#budget = new ByteBudget(this.#limits.maxBytes);
    this.#ctx = this.#fresh();
    this.#sweeper = setInterval(() => this.#guard('sweep', () => this.#expire(performance.now())), Math.min(1000, this.#pendingLimits.ttlMs / 2));
    this.#sweeper.unref();
  }

  #fresh(): NoiseContext {
    this.#dests = new Map(this.#opts.destinations.map((d) => [d.name, new DestinationAgg(d.name, d.role, this.#budget, this.#limits)]));
    const control = this.#opts.destinations.find((d) => d.role === 'control');
    return { ignore: new IgnoreList(this.#opts.ignore), learner: new VolatilityLearner(), control: control ? this.#dests.get(control.name) : undefined };
  }

  /** Is this request compared? Decided from its id alone, so every destination (and a restart of the sweep) agrees. */
  sampled(id: string): boolean {
    if (this.#threshold >= 0x1_0000_0000) return true;
    let h = 0x811c9dc5;
    for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
    return h >>> 0 < this.#threshold;
  }

  isCompared(dest: string): boolean {
    return this.#dests.has(dest);
  }

  /** A copy of a sampled request was accepted by `dest`'s output: its answer is awaited. */
  expect(dest: string, req: RequestMessage): void {
    this.#guard('expect', () => {
      if (this.#closed || !this.#dests.has(dest)) return;
      const e = this.#pending.open(req.id, performance.now());
      if (!e) return this.#unpaired(dest, 'store_full');
      e.request ??= {
        id: req.id,
        method: req.method,
        target: req.target,
        route: this.#routes.route(req.target),
        requestKey: `${req.method} ${req.target} ${req.body.length === 0 ? '' : createHash('sha1').update(req.body).digest('base64')}`,
      };
      if (!e.waiting.has(dest)) e.waiting.set(dest, null);
    });
  }

  /** A copy of a sampled request was not sent to `dest` (dropped at its output): counted, nothing awaited. */
  notSent(dest: string, reason: string): void {
    this.#guard('not-sent', () => this.#unpaired(dest, `dropped:${reason}`));
  }

  /** Production's answer (from the tap, or a .gor file's type 2 record). */
  production(resp: ResponseMessage): void {
    this.#guard('production', () => {
      if (this.#closed || resp.type !== 'response' || !this.sampled(resp.id)) return;
      // Without middleware a request is routed (and awaited) before its answer is read: an
      // answer nobody awaits (filtered, not sent) is not held.
      const e = this.#opts.productionMayLead ? this.#pending.open(resp.id, performance.now()) : this.#pending.get(resp.id);
      if (!e || e.production) return;
      // The size as received: reading `body` would decode a chunked body here, on the relay's turn.
      if (!this.#pending.hold(e, heldBytes(resp))) {
        for (const dest of e.waiting.keys()) this.#unpaired(dest, 'store_full');
        this.#pending.delete(e);
        return;
      }
      e.production = resp;
      for (const [dest, answer] of e.waiting) if (answer) this.#ready(e, dest, answer);
      // Every destination may have settled already (a copy that failed before production's
      // answer was read): then nothing else would release it before the TTL, and its bytes
      // would count against the pending cap (store_full for pairs that could complete).
      // Unless the request is still to come (middleware: production may lead).
      if (e.request) this.#maybeDone(e);
    });
  }

  /** A compared destination's answer (the HTTP output's onResponse). */
  answer(dest: string, resp: ResponseMessage): void {
    this.#guard('answer', () => {
      const e = this.#pending.get(resp.id);
      if (!e || e.waiting.get(dest) !== null) return;
      if (resp.body.length > this.#opts.maxBodyBytes) {
        e.waiting.delete(dest);
        this.#unpaired(dest, 'body_too_large');
        return this.#maybeDone(e);
      }
      if (!this.#pending.hold(e, resp.body.length)) {
        e.waiting.delete(dest);
        this.#unpaired(dest, 'store_full');
        return this.#maybeDone(e);
      }
      e.waiting.set(dest, resp);
      if (e.production) this.#ready(e, dest, resp);
    });
  }

  /** A copy to `dest` failed (timeout, refused, reset…): the pair cannot complete. */
  failed(dest: string, id: string, kind: string): void {
    this.#guard('failed', () => {
      const e = this.#pending.get(id);
      if (!e || e.waiting.get(dest) !== null) return;
      e.waiting.delete(dest);
      this.#unpaired(dest, kind === 'timeout' ? 'timeout' : kind === 'shutdown' ? 'dropped:shutdown' : `error:${kind}`);
      this.#maybeDone(e);
    });
  }

  #ready(e: PendingEntry, dest: string, answer: ResponseMessage): void {
    e.waiting.delete(dest);
    e.queued++;
    this.#queue.push({ entry: e, dest, answer });
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#drain());
    }
  }

  #drain(): void {
    this.#scheduled = false;
    const until = performance.now() + SLICE_MS;
    while (this.#queue.length > 0 && performance.now() < until) {
      const w = this.#queue.shift()!;
      w.entry.queued--;
      this.#guard('compare', () => this.#compare(w));
      this.#pending.release(w.entry, w.answer.body.length);
      this.#maybeDone(w.entry);
    }
    if (this.#queue.length > 0) {
      this.#scheduled = true;
      setImmediate(() => this.#drain());
    }
  }

  #maybeDone(e: PendingEntry): void {
    if (e.production && e.waiting.size === 0 && e.queued === 0) this.#pending.delete(e);
  }

  /** Production's view, built once per entry and shared by every destination. */
  readonly #views = new WeakMap<PendingEntry, ReturnType<typeof viewResponse>>();

  #compare(w: Work): void {
    const { entry, dest, answer } = w;
    const agg = this.#dests.get(dest);
    const prod = entry.production;
    const req = entry.request;
    if (!agg || !prod || !req) return;
    let pv = this.#views.get(entry);
    if (!pv) {
      pv = viewResponse(prod.status, prod.headers, prod.body, this.#opts.maxBodyBytes);
      this.#views.set(entry, pv);
      if (pv.ok) {
        const view = pv.view;
        this.#ctx.learner.observe(endpointKey(req.method, req.route), req.requestKey, answerHash(prod), () => fingerprint(view));
      }
    }
    if (!pv.ok) return this.#unpaired(dest, `production_${pv.reason}`);
    const cv = viewResponse(answer.status, answer.headers, answer.body, this.#opts.maxBodyBytes);
    if (!cv.ok) return this.#unpaired(dest, cv.reason);
    if (cv.view.anomaly) agg.countAnomaly(cv.view.anomaly);
    const diffs = diffResponses(pv.view, cv.view, this.#redact);
    const e = agg.record(
      {
        id: req.id,
        method: req.method,
        route: req.route,
        target: req.target,
        productionStatus: prod.status,
        candidateStatus: answer.status,
        diffs,
        productionMs: Number(prod.latencyNs) / 1e6,
        candidateMs: Number(answer.latencyNs) / 1e6,
      },
      (d) => this.#sample(req.id, req.method, req.target, d),
    );
    this.#stats?.count(dest, 'compare.compared');
    // The stats line counts a pair as different by the verdicts known when it was compared;
    // the report recounts with what is known when it is written (see docs/compare.md).
    // With a control, a field's verdict weighs how often it differs: ask with its count so
    // far (this pair included), as the report does, not as if it had differed once.
    const differs = (d: FieldDiff) => fieldVerdict(this.#ctx, agg, e, d.path, d.kind, e.fields.get(fieldKey(d.path, d.kind))?.different ?? 1).verdict === 'difference';
    if (diffs.some(differs)) this.#stats?.count(dest, 'compare.different');
  }

  #sample(id: string, method: string, target: string, d: FieldDiff): FieldSample {
    return { id, method, target: redactQuery(target, this.#redact), production: d.production, candidate: d.candidate };
  }

  #unpaired(dest: string, reason: string): void {
    const agg = this.#dests.get(dest);
    if (!agg) return;
    agg.countUnpaired(reason);
    this.#stats?.count(dest, `compare.unpaired.${reason.replace(/[^a-z0-9_]/gi, '_')}`);
  }

  #expire(now: number): void {
    for (const e of this.#pending.expire(now)) this.#giveUp(e, 'expired');
  }

  /** Counts what an entry still waits for: its destinations' answers, or production's. */
  #giveUp(e: PendingEntry, reason: 'expired' | 'shutdown'): void {
    for (const [dest, answer] of e.waiting) {
      if (reason === 'shutdown') this.#unpaired(dest, 'dropped:shutdown');
      else this.#unpaired(dest, answer ? 'no_production_response' : 'expired');
    }
    e.waiting.clear();
  }

  report(): CompareReport {
    return buildReport([...this.#dests.values()], this.#ctx, {
      instance: this.#opts.instance ?? process.env.DYNO ?? `${hostname()}:${process.pid}`,
      started: this.#started,
      samplePercent: this.#opts.samplePercent,
      store: { bytes: this.#budget.used, max_bytes: this.#budget.max, samples_dropped: this.#budget.samplesDropped, pending: this.#pending.size, errors: this.#errors },
    });
  }

  counts(): CompareCount[] {
    return buildCounts([...this.#dests.values()], this.#ctx);
  }

  reset(): void {
    this.#guard('reset', () => {
      this.#queue.length = 0;
      this.#pending.clear();
      this.#budget = new ByteBudget(this.#limits.maxBytes);
      this.#ctx = this.#fresh();
      this.#started = new Date();
    });
  }

  /** Compares what is ready, counts what is still pending as shut down, and stops the sweep. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#guard('close', () => {
      while (this.#queue.length > 0) {
        const w = this.#queue.shift()!;
        this.#guard('compare', () => this.#compare(w));
      }
      for (const e of this.#pending.clear()) this.#giveUp(e, 'shutdown');
    });
  }

  /** Comparison code must never throw into the tap or an output: count it, log it, go on. */
  #guard(where: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      try {
        this.#errors++;
        this.#log?.warn(`compare:${where}`, 'compare-error', { where, message: err instanceof Error ? err.message : String(err) });
      } catch {
        /* never */
      }
    }
  }
}

function heldBytes(r: ResponseMessage): number {
  return r.raw ? r.raw.bodyLength : r.body.length;
}

/** Identifies production's whole answer (status, headers but the volatile ones, body) for the learner. */
function answerHash(r: ResponseMessage): string {
  const h = createHash('sha1').update(String(r.status));
  for (const { name, value } of r.headers) {
    const n = name.toLowerCase();
    if (!VOLATILE_HEADERS.has(n) && !FRAMING_HEADERS.has(n)) h.update(`\n${n}:${value}`);
  }
  return h.update('\n\n').update(r.body).digest('base64');
}

/** Query parameters whose name is redacted keep their name, not their value. */
function redactQuery(target: string, redact: (k: string) => boolean): string {
  const q = target.indexOf('?');
  if (q < 0) return target.length > 300 ? target.slice(0, 300) + '…' : target;
  const parts = target
    .slice(q + 1)
    .split('&')
    .map((kv) => {
      const i = kv.indexOf('=');
      const k = i < 0 ? kv : kv.slice(0, i);
      let name = k;
      try {
        name = decodeURIComponent(k);
      } catch {
        /* as is */
      }
      return i >= 0 && redact(name) ? `${k}=[redacted]` : kv;
    });
  const t = target.slice(0, q + 1) + parts.join('&');
  return t.length > 300 ? t.slice(0, 300) + '…' : t;
}
