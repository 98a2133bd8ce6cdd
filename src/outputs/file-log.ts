import type { Fields, Logger } from '../telemetry/logger.js';

/**
 * Error lines at most once per `intervalMs` per key, with the count held back — a full disk
 * fails every write, and one line a second is enough to say so. (telemetry's RateLimitedLog
 * only writes warnings; disk errors are errors.)
 */
export class RateLimitedErrorLog {
  readonly #last = new Map<string, { at: number; suppressed: number }>();
  constructor(
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    private readonly intervalMs = 1000,
  ) {}

  error(key: string, at: string, fields: Fields): void {
    const t = this.now();
    const prev = this.#last.get(key);
    if (prev && t - prev.at < this.intervalMs) {
      prev.suppressed++;
      return;
    }
    this.#last.set(key, { at: t, suppressed: 0 });
    this.log.error(at, { ...fields, suppressed_since_last: prev?.suppressed || undefined });
  }
}
