import type { DiffKind, FieldSample } from './types.js';
import type { FieldDiff } from './field-diff.js';
import { Reservoir, RESERVOIR_BYTES } from './latency.js';

/**
 * The bounded aggregates of comparison: per destination, per endpoint, per field. Memory is
 * estimated as things are added and capped by one byte budget shared by every destination
 * (default 4 MiB); endpoints past the cap are pooled under one overflow endpoint, fields past
 * their cap are counted, samples past the budget are dropped and counted.
 */

export interface StoreLimits {
  /** The byte budget of the aggregates and samples (not of pending halves, see pair.ts). */
  readonly maxBytes: number;
  readonly maxEndpoints: number;
  readonly maxFieldsPerEndpoint: number;
  readonly samplesPerField: number;
  /** Distinct sets of differing fields remembered per endpoint (to recount `different` when verdicts change). */
  readonly maxSignatures: number;
}

export const STORE_DEFAULTS: StoreLimits = {
  maxBytes: 4 * 1024 * 1024,
  maxEndpoints: 100,
  maxFieldsPerEndpoint: 64,
  samplesPerField: 3,
  maxSignatures: 128,
};

export const OVERFLOW_ROUTE = '/*';
export const OVERFLOW_METHOD = 'OTHER';

export class ByteBudget {
  used = 0;
  samplesDropped = 0;
  constructor(readonly max: number) {}
  take(n: number): boolean {
    if (this.used + n > this.max) return false;
    this.used += n;
    return true;
  }
  /** For things that must be counted even over budget (the pair counters themselves). */
  force(n: number): void {
    this.used += n;
  }
}

export function fieldKey(path: string, kind: DiffKind): string {
  return kind + ' ' + path;
}

export class FieldAgg {
  different = 0;
  readonly samples: FieldSample[] = [];
  constructor(
    readonly path: string,
    readonly kind: DiffKind,
  ) {}
}

export class EndpointAgg {
  compared = 0;
  readonly statuses = new Map<number, Map<number, number>>();
  readonly fields = new Map<string, FieldAgg>();
  /** Pairs that differed at each path (any kind): the control rule's rate. */
  readonly byPath = new Map<string, number>();
  fieldsOverflow = 0;
  /** Set of differing field keys (joined by \n; '' = identical) → pairs. */
  readonly signatures = new Map<string, number>();
  /** Pairs with differences whose signature was not kept: counted as different. */
  signaturesOverflow = 0;
  readonly production = new Reservoir();
  readonly candidate = new Reservoir();
  readonly delta = new Reservoir();
  constructor(
    readonly method: string,
    readonly route: string,
  ) {}
  get key(): string {
    return endpointKey(this.method, this.route);
  }
}

export function endpointKey(method: string, route: string): string {
  return method + ' ' + route;
}

export interface PairOutcome {
  readonly id: string;
  readonly method: string;
  readonly route: string;
  readonly target: string;
  readonly productionStatus: number;
  readonly candidateStatus: number;
  readonly diffs: readonly FieldDiff[];
  readonly productionMs: number;
  readonly candidateMs: number;
}

const ENDPOINT_BYTES = 3 * RESERVOIR_BYTES + 1024;

export class DestinationAgg {
  compared = 0;
  readonly unpaired = new Map<string, number>();
  readonly anomalies = new Map<string, number>();
  readonly endpoints = new Map<string, EndpointAgg>();
  overflow: EndpointAgg | undefined;
  endpointsOverflow = 0;

  constructor(
    readonly url: string,
    readonly role: 'candidate' | 'control',
    readonly budget: ByteBudget,
    readonly limits: StoreLimits,
  ) {}

  countUnpaired(reason: string, n = 1): void {
    this.unpaired.set(reason, (this.unpaired.get(reason) ?? 0) + n);
  }

  countAnomaly(what: string): void {
    this.anomalies.set(what, (this.anomalies.get(what) ?? 0) + 1);
  }

  endpoint(method: string, route: string): EndpointAgg {
    const key = endpointKey(method, route);
    const known = this.endpoints.get(key);
    if (known) return known;
    if (this.endpoints.size < this.limits.maxEndpoints && this.budget.take(ENDPOINT_BYTES + key.length * 2)) {
      const e = new EndpointAgg(method, route);
      this.endpoints.set(key, e);
      return e;
    }
    this.endpointsOverflow++;
    if (!this.overflow) {
      this.budget.force(ENDPOINT_BYTES);
      this.overflow = new EndpointAgg(OVERFLOW_METHOD, OVERFLOW_ROUTE);
    }
    return this.overflow;
  }

  /** Lookup only (the control rule reads the control's endpoint without creating it). */
  find(method: string, route: string): EndpointAgg | undefined {
    return this.endpoints.get(endpointKey(method, route));
  }

  record(o: PairOutcome, redactedSample: (d: FieldDiff) => FieldSample): EndpointAgg {
    this.compared++;
    const e = this.endpoint(o.method, o.route);
    e.compared++;
    let row = e.statuses.get(o.productionStatus);
    if (!row) e.statuses.set(o.productionStatus, (row = new Map()));
    row.set(o.candidateStatus, (row.get(o.candidateStatus) ?? 0) + 1);
    e.production.add(o.productionMs);
    e.candidate.add(o.candidateMs);
    e.delta.add(o.candidateMs - o.productionMs);
    const keys: string[] = [];
    const paths = new Set<string>();
    for (const d of o.diffs) {
      const k = fieldKey(d.path, d.kind);
      keys.push(k);
      paths.add(d.path);
      let f = e.fields.get(k);
      if (!f) {
        if (e.fields.size < this.limits.maxFieldsPerEndpoint && this.budget.take(200 + k.length * 2)) e.fields.set(k, (f = new FieldAgg(d.path, d.kind)));
        else {
          e.fieldsOverflow++;
          continue;
        }
      }
      f.different++;
      if (f.samples.length < this.limits.samplesPerField) {
        const s = redactedSample(d);
        const cost = 100 + 2 * (s.production.length + s.candidate.length + s.target.length + s.id.length);
        if (this.budget.take(cost)) f.samples.push(s);
        else this.budget.samplesDropped++;
      }
    }
    for (const p of paths) if (e.byPath.has(p) || e.byPath.size < this.limits.maxFieldsPerEndpoint * 2) e.byPath.set(p, (e.byPath.get(p) ?? 0) + 1);
    const sig = keys.sort().join('\n');
    const n = e.signatures.get(sig);
    if (n !== undefined) e.signatures.set(sig, n + 1);
    else if (e.signatures.size < this.limits.maxSignatures && this.budget.take(64 + sig.length * 2)) e.signatures.set(sig, 1);
    else if (sig !== '') e.signaturesOverflow++;
    return e;
  }
}
