import { createLogger, type Logger } from '../../src/telemetry/logger.js';

export { mulberry32 as rng } from '../helpers/prng.js';

/** A logger that keeps lines (including info) for assertions. */
export function memoryLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return Object.assign(createLogger({ write: (l) => lines.push(l) }), { lines });
}

/** Waits for `cond` by polling; fails (not times out silently) after `limitMs`. Never asserts on elapsed time. */
export async function until(cond: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > limitMs) throw new Error(`gave up waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
