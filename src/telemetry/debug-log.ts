import type { DropReason } from '../core/output.js';
import { logfmt, type Logger } from './logger.js';

/** What happened to one copy, for one destination. */
export interface CopyEvent {
  /** The output's name (`dest=` in the stats line), or 'tap' before the fan-out. */
  dest: string;
  method?: string;
  target?: string;
  /** The shadow's status code, for a delivered HTTP copy. */
  status?: number;
  latencyMs?: number;
  /** Why the copy was not delivered. */
  drop?: DropReason;
  /** The kind of a failed delivery (timeout, connect_refused, …). */
  error?: string;
}

/**
 * `--verbose` (and gor's `--debug` / `--output-http-debug`): one logfmt line per copy, e.g.
 *   source=traffic-duplicator at=copy level=debug dest=http://shadow method=GET target=/a status=200 latency_ms=3.2
 * Off (the default) it costs one boolean check per call site. On, it is still bounded:
 * at most `perSecond` lines a second, and the next line says how many were held back,
 * so debugging a busy dyno cannot flood its log drain.
 */
export interface DebugLog {
  readonly enabled: boolean;
  copy(event: CopyEvent): void;
}

export const NO_DEBUG: DebugLog = Object.freeze({ enabled: false, copy: () => {} });

export const DEBUG_LINES_PER_SECOND = 100;

export function createDebugLog(
  log: Logger,
  verbose: number,
  options: { perSecond?: number; now?: () => number } = {},
): DebugLog {
  if (verbose < 1) return NO_DEBUG;
  const perSecond = options.perSecond ?? DEBUG_LINES_PER_SECOND;
  const now = options.now ?? Date.now;
  let windowStart = -Infinity;
  let inWindow = 0;
  let suppressed = 0;
  return {
    enabled: true,
    copy(e) {
      try {
        const t = now();
        if (t - windowStart >= 1000) {
          windowStart = t;
          inWindow = 0;
        }
        if (inWindow >= perSecond) {
          suppressed++;
          return;
        }
        inWindow++;
        const held = suppressed || undefined;
        suppressed = 0;
        log.line(
          logfmt({
            at: 'copy',
            level: 'debug',
            dest: e.dest,
            method: e.method,
            target: e.target,
            status: e.status,
            latency_ms: e.latencyMs === undefined ? undefined : e.latencyMs.toFixed(1),
            drop: e.drop,
            error: e.error,
            suppressed_since_last: held,
          }),
        );
      } catch {
        // Debug output must never cost a copy, let alone a primary request.
      }
    },
  };
}
