import type { Message } from './message.js';

/**
 * Why a copy was not delivered. Every drop carries one, is counted under it, and is
 * logged (rate-limited) with it: nothing is lost silently.
 */
export type DropReason =
  | 'queue_full' // the destination's bounded queue was full: we drop the newest copy
  | 'memory_budget' // the mirror's shared byte budget was spent
  | 'rate_limited' // `URL|N` per-second limit
  | 'sampled_out' // `URL|N%` sampling
  | 'body_too_large' // request body over --copy-buffer-size: never truncated
  | 'response_too_large' // production's answer over --copy-buffer-size, where answers are kept (.gor type 2, middleware, --compare): that record is not passed on, never truncated; its request still is
  | 'desync' // the tee could not frame the stream; the connection stops being mirrored
  | 'filtered' // a modifier (allow/disallow/limiter) dropped it
  | 'middleware_dropped' // the middleware did not echo it back
  | 'middleware_unavailable' // the middleware is down or its queue is full
  | 'unsafe_payload' // the payload cannot be stored in this format (e.g. contains gor's separator)
  | 'shutdown' // still queued when the flush deadline ran out
  | 'pipeline_depth' // a client pipelined more unanswered requests on one connection than the tap copies (256)
  | 'destination_down' // the destination's circuit is open after repeated refused/reset/dns/tls failures, or its stream broke (EPIPE)
  | 'size_limit' // the file output has written --output-file-max-size-limit bytes: gor stops writing there
  | 'broker_unavailable' // --output-nats: not connected to the broker (down, or reconnecting)
  | 'broker_slow' // --output-nats: the window of unacknowledged publishes is full
  | 'mirror_error' // an exception in mirroring code (counted as an error too)
  | 'paused'; // an operator paused the destination at runtime (admin control API)

/**
 * Why an accepted copy's delivery failed: `kind=` in logs and `errors.<kind>` in stats.
 * Counted as an error, not a drop, so `seen = mirrored + dropped + errors` stays whole.
 */
export type ErrorKind = 'timeout' | 'connect_refused' | 'reset' | 'dns' | 'tls' | 'other';

/** Backpressure as a value (as in undici's dispatch): an output never blocks and never throws. */
export type OfferResult = { readonly accepted: true } | { readonly accepted: false; readonly reason: DropReason };

export const ACCEPTED: OfferResult = Object.freeze({ accepted: true });
export function dropped(reason: DropReason): OfferResult {
  return { accepted: false, reason };
}

/**
 * A sink for messages: an HTTP destination, a .gor file, stdout, null, or middleware.
 *
 * Counting, so that for every destination `seen = mirrored + dropped + errors` once closed:
 * - the output counts `seen` for every offer it is given;
 * - a refusal is returned from offer() and counted by the caller (the fan-out), never here;
 * - each accepted copy is counted once more by the output: `mirrored`, an `error` (its
 *   delivery failed: timeout, refused, write…), or a drop (e.g. `shutdown` leftovers).
 */
export interface Output {
  /** Used as `dest=` in logs and stats, e.g. the destination URL or file path. */
  readonly name: string;
  /** Which message types this output wants (HTTP outputs: requests only). */
  wants(msg: Message): boolean;
  /** Queue a copy. Must return at once and must not throw. */
  offer(msg: Message): OfferResult;
  /** Stop accepting, deliver what is queued within `graceMs`, count the rest as `shutdown` drops. */
  close(graceMs: number): Promise<void>;
}

/** The per-destination limit of `--output-http 'URL|N'` (per second) or `'URL|N%'` (sampling). */
export type RateLimit = { readonly kind: 'per-second'; readonly n: number } | { readonly kind: 'percent'; readonly n: number };
