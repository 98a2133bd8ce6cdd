/**
 * The comparison report: the JSON shape tools read (`--compare-report FILE.json`, the admin
 * API's `/api/report`) and the HTML report and live page render. Field names are snake_case
 * where the issue fixed them (`latency_ms`), so they are stable for scripts.
 * docs/compare.md documents every field.
 */

/** How a field differs between production's answer and a candidate's. */
export type DiffKind =
  | 'changed' // same type, another value (status, a header, a JSON scalar, a text body)
  | 'type_changed' // JSON: e.g. a number became a string
  | 'missing' // in production's answer, not in the candidate's
  | 'extra' // in the candidate's answer, not in production's
  | 'array_length' // a JSON array has another number of elements
  | 'reordered' // a JSON array has the same elements in another order
  | 'lines' // a text body differs by lines (see `lines_added`/`lines_removed` in samples)
  | 'hash'; // a binary body differs (compared by hash)

/** difference: a real one; noise: differs as often for the control or production itself; ignored: --compare-ignore. */
export type Verdict = 'difference' | 'noise' | 'ignored';

/** Why a pair could not be compared. Counted, never guessed. */
export type UnpairedReason = string; // 'timeout' | 'expired' | 'body_too_large' | 'dropped:<reason>' | 'error:<kind>' | 'undecodable' …

export interface FieldSample {
  /** The request id (the tap's; the same in .gor files and logs). */
  readonly id: string;
  readonly method: string;
  /** The request target as sent, query included. */
  readonly target: string;
  /** Production's value at this path, as JSON text or text (redacted, truncated). */
  readonly production: string;
  /** The candidate's (or the control's, for a control destination) value. */
  readonly candidate: string;
}

export interface FieldReport {
  /** `status`, `header.<lowercase-name>`, `body` (non-JSON), `body.a.b`, `body.items[*].price`. */
  readonly path: string;
  readonly kind: DiffKind;
  /** Pairs in which this field differed. */
  readonly different: number;
  /** How many of those are explained by noise (the control differed too, or production itself varies). */
  readonly noise: number;
  readonly verdict: Verdict;
  /** Why this verdict, in words (e.g. "control differs in 48% of pairs"). */
  readonly reason?: string;
  readonly samples: readonly FieldSample[];
}

export interface Percentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  /** How many observations the percentiles are computed from (the reservoir holds at most 512). */
  readonly count: number;
}

export interface EndpointReport {
  readonly method: string;
  /** Route template: `/users/:id`, or the --compare-route pattern that matched. */
  readonly route: string;
  readonly compared: number;
  /** Pairs with at least one field whose verdict is `difference`. */
  readonly different: number;
  /** Production's status → the candidate's status → count. */
  readonly statuses: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly fields: readonly FieldReport[];
  /** Differing fields not kept because the endpoint's field cap (64) or the store budget was reached. */
  readonly fields_overflow: number;
  readonly latency_ms: {
    readonly production: Percentiles;
    readonly candidate: Percentiles;
    /** Candidate minus production, per pair (positive: the candidate is slower). */
    readonly delta: Percentiles;
  };
}

export interface DestinationReport {
  readonly url: string;
  readonly role: 'candidate' | 'control';
  readonly compared: number;
  readonly different: number;
  /** Pairs that could not complete, by reason. */
  readonly unpaired: Readonly<Record<UnpairedReason, number>>;
  /** Odd answers that were still compared, by kind: `invalid_json` (said JSON, was not), `not_utf8` (said text, was not). */
  readonly anomalies: Readonly<Record<string, number>>;
  /** Sorted by difference rate, highest first. */
  readonly endpoints: readonly EndpointReport[];
  /** Pairs of endpoints past the endpoint cap, pooled under `OTHER /*` (see docs/compare.md). */
  readonly endpoints_overflow: number;
}

export interface CompareReport {
  /** Which process this is: $DYNO on Heroku, else host:pid. With several dynos, each reports its own. */
  readonly instance: string;
  /** ISO 8601 times. */
  readonly started: string;
  readonly updated: string;
  /** The share of requests compared (--compare-sample), 0–100. */
  readonly sample_percent: number;
  readonly destinations: readonly DestinationReport[];
  /**
   * The bounded store: its byte estimate and cap, samples not kept because of it, halves
   * still waiting for their partner, and exceptions in comparison code (logged; never reach the relay).
   */
  readonly store: { readonly bytes: number; readonly max_bytes: number; readonly samples_dropped: number; readonly pending: number; readonly errors: number };
}

/** Prometheus-facing counts, one row per destination and endpoint (bounded: the endpoint cap). */
export interface CompareCount {
  readonly destination: string;
  readonly role: 'candidate' | 'control';
  readonly method: string;
  readonly route: string;
  readonly compared: number;
  readonly different: number;
}

/** What the admin surface (live page, /api/report, /metrics, control API) uses. */
export interface Comparison {
  readonly enabled: boolean;
  /** A snapshot: safe to serialize or render; later comparisons don't mutate it. */
  report(): CompareReport;
  /** The compared/different counts per destination and endpoint (cheaper than report()). */
  counts(): CompareCount[];
  /** Forget everything compared so far (runtime control "reset comparison state"). */
  reset(): void;
}
