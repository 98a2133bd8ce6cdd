/**
 * Time as the control plane uses it: reading it, and waiting on it. Injected so that the
 * shutdown sequence (grace periods, SIGKILL escalation) can be tested without sleeping.
 */
export interface Clock {
  now(): number;
  /** Runs `fn` once after `ms`. */
  setTimeout(fn: () => void, ms: number): ClockTimer;
  clearTimeout(timer: ClockTimer): void;
  sleep(ms: number): Promise<void>;
}

/** Opaque: only good for clearTimeout of the clock that made it. */
export type ClockTimer = object;

export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
