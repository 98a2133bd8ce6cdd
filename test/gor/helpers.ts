export { mulberry32 as rng } from '../helpers/prng.js';
export { memoryLog } from '../helpers/log.js';

/** Waits for `cond` by polling; fails (not times out silently) after `limitMs`. Never asserts on elapsed time. */
export async function until(cond: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > limitMs) throw new Error(`gave up waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
