import type { Message } from '../core/message.js';
import type { DropReason, Output } from '../core/output.js';
import { RateLimitedLog, type Logger } from '../telemetry/logger.js';
import type { Stats } from '../telemetry/stats.js';
import { errorText } from './error-text.js';
import { NO_DEBUG, type DebugLog } from '../telemetry/debug-log.js';

/** Drops the user asked for (`URL|N`, `URL|N%`): expected, so logged at info, not as warnings. */
const CONFIGURED_DROPS: ReadonlySet<DropReason> = new Set<DropReason>(['rate_limited', 'sampled_out', 'filtered']);

export interface FanOutOptions {
  /** gor --split-output: each message goes to ONE output, round-robin, instead of to all. */
  split?: boolean;
}

/**
 * Offers each message to every output that wants it. Never blocks and never throws:
 * each output has its own bounded queue, so a slow one only fills its own (unlike gor's
 * serial emitter, where one blocked output stalls all). Every refusal is counted under
 * the output's name with its reason and logged at most once a second per reason.
 */
export class FanOut {
  readonly outputs: readonly Output[];
  readonly #stats: Stats;
  readonly #rlog: RateLimitedLog;
  readonly #split: boolean;
  readonly #debug: DebugLog;
  #next = 0;

  constructor(outputs: Output[], deps: { stats: Stats; log: Logger; debug?: DebugLog }, options: FanOutOptions = {}) {
    this.outputs = Object.freeze([...outputs]);
    this.#stats = deps.stats;
    this.#debug = deps.debug ?? NO_DEBUG;
    this.#rlog = new RateLimitedLog(deps.log);
    this.#split = options.split ?? false;
  }

  offer(msg: Message): void {
    if (!this.#split) {
      for (const out of this.outputs) this.#offerTo(out, msg);
      return;
    }
    // Round-robin over the outputs that want this message (gor: outputs[i++ % n]).
    const n = this.outputs.length;
    for (let k = 0; k < n; k++) {
      const i = (this.#next + k) % n;
      const out = this.outputs[i]!;
      if (!this.#wants(out, msg)) continue;
      this.#next = (i + 1) % n;
      this.#offerTo(out, msg, true);
      return;
    }
  }

  /** Closes every output in parallel; each flushes within `graceMs` and counts its leftovers. */
  async close(graceMs: number): Promise<void> {
    await Promise.all(
      this.outputs.map(async (out) => {
        try {
          await out.close(graceMs);
        } catch (err) {
          this.#stats.error(out.name, 'close_error');
          this.#rlog.warn(`close:${out.name}`, 'mirror-error', { dest: out.name, kind: 'close_error', message: errorText(err) });
        }
      }),
    );
  }

  #wants(out: Output, msg: Message): boolean {
    try {
      return out.wants(msg);
    } catch (err) {
      this.#mirrorError(out, err);
      return false;
    }
  }

  #offerTo(out: Output, msg: Message, wanted = false): void {
    try {
      if (!wanted && !out.wants(msg)) return;
      const r = out.offer(msg);
      if (!r.accepted) this.#drop(out.name, r.reason, msg);
    } catch (err) {
      // An exception in mirroring code costs this copy, never the caller (the relay).
      this.#mirrorError(out, err);
    }
  }

  #drop(dest: string, reason: DropReason, msg: Message): void {
    this.#stats.dropped(dest, reason);
    const level = CONFIGURED_DROPS.has(reason) ? 'info' : 'warn';
    this.#rlog[level](`drop:${dest}:${reason}`, 'mirror-drop', { dest, reason });
    if (this.#debug.enabled && msg.type === 'request') this.#debug.copy({ dest, method: msg.method, target: msg.target, drop: reason });
  }

  #mirrorError(out: Output, err: unknown): void {
    try {
      this.#stats.error(out.name, 'mirror_error');
      this.#stats.dropped(out.name, 'mirror_error');
      this.#rlog.warn(`error:${out.name}`, 'mirror-error', { dest: out.name, kind: 'mirror_error', message: errorText(err) });
    } catch {
      // Even a broken name getter must not reach the relay.
    }
  }
}
