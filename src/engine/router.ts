import type { Message } from '../core/message.js';
import { isDropped, type Pipeline } from '../pipeline/types.js';
import type { FanOut } from '../outputs/fan-out.js';
import { TAP, type Stats } from '../telemetry/stats.js';
import { RateLimitedLog, type Logger } from '../telemetry/logger.js';
import { NO_DEBUG, type DebugLog } from '../telemetry/debug-log.js';

/** How many filtered request ids we remember, to drop their responses too (bounded). */
const FILTERED_MEMORY = 10_000;

/**
 * Runs each request through the modifier pipeline and hands what survives to the fan-out.
 * Responses follow their request's fate: as in gor's emitter, the original response of a
 * request a filter dropped is dropped too, so a .gor file never holds an orphan response.
 */
export class Router {
  readonly #pipeline: Pipeline;
  readonly #fanOut: FanOut;
  readonly #stats: Stats;
  readonly #log: RateLimitedLog;
  readonly #filtered = new Set<string>();
  readonly #debug: DebugLog;

  constructor(pipeline: Pipeline, fanOut: FanOut, deps: { stats: Stats; log: Logger; debug?: DebugLog }) {
    this.#pipeline = pipeline;
    this.#fanOut = fanOut;
    this.#stats = deps.stats;
    this.#debug = deps.debug ?? NO_DEBUG;
    this.#log = new RateLimitedLog(deps.log, 5000);
  }

  route(msg: Message): void {
    try {
      if (msg.type !== 'request') {
        if (this.#filtered.delete(msg.id)) return;
        this.#fanOut.offer(msg);
        return;
      }
      const result = this.#pipeline.run(msg);
      if (isDropped(result)) {
        this.#stats.dropped(TAP, 'filtered');
        if (this.#debug.enabled) this.#debug.copy({ dest: TAP, method: msg.method, target: msg.target, drop: 'filtered' });
        this.#remember(msg.id);
        return;
      }
      this.#fanOut.offer(result);
    } catch (err) {
      // A modifier bug must cost one copy, never the process or the primary request.
      this.#stats.error(TAP, 'pipeline');
      this.#stats.dropped(TAP, 'mirror_error');
      this.#log.warn('pipeline', 'pipeline-error', { message: (err as Error).message });
    }
  }

  #remember(id: string): void {
    this.#filtered.add(id);
    if (this.#filtered.size > FILTERED_MEMORY) {
      const oldest = this.#filtered.values().next().value;
      if (oldest !== undefined) this.#filtered.delete(oldest);
    }
  }
}
