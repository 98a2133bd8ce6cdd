/**
 * Waits up to `ms`, or until woken: the waiter puts a wake function in `wakers`, and whoever
 * owns the set calls the functions in it (each removes itself). Resolves true when woken,
 * false when the time ran out. One shape for "sleep, unless stopped" and "until idle, at
 * most this long" (relay shutdown, output close, the NATS replayer's pauses).
 */
export function waitUnlessWoken(ms: number, wakers: Set<() => void>): Promise<boolean> {
  return new Promise((resolve) => {
    const end = (woken: boolean) => {
      clearTimeout(timer);
      wakers.delete(wake);
      resolve(woken);
    };
    const wake = () => end(true);
    const timer = setTimeout(() => end(false), ms);
    wakers.add(wake);
  });
}

/** Calls every wake function in the set (a copy of it: each removes itself as it runs). */
export function wakeAll(wakers: Set<() => void>): void {
  for (const wake of [...wakers]) wake();
}
