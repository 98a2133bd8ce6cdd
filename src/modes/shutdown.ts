/** The signals that mean "shut down gracefully" (Heroku sends SIGTERM, a terminal SIGINT). */
export const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** Where stop signals come from: the process, or a test's EventEmitter. */
export type SignalSource = Pick<NodeJS.EventEmitter, 'on' | 'off'>;

/**
 * Installs one handler for SIGTERM/SIGINT that runs `onStop` once; a second signal while
 * stopping is ignored (the grace timers already bound the shutdown). Returns an uninstaller.
 */
export function onStopSignal(onStop: (sig: StopSignal) => void, proc: SignalSource = process): () => void {
  let fired = false;
  const handler = (sig: StopSignal) => {
    if (fired) return;
    fired = true;
    onStop(sig);
  };
  for (const s of STOP_SIGNALS) proc.on(s, handler);
  return () => {
    for (const s of STOP_SIGNALS) proc.off(s, handler);
  };
}

/**
 * Splits the shutdown budget: most of it for the app to finish in-flight requests, a
 * bounded slice for flushing shadow queues afterwards. Heroku sends SIGKILL 30 s after
 * SIGTERM; the default budget (25 s) leaves a margin.
 */
export function splitGrace(totalMs: number): { appMs: number; flushMs: number } {
  const flushMs = Math.min(5000, Math.max(200, Math.floor(totalMs / 5)));
  return { appMs: Math.max(0, totalMs - flushMs), flushMs };
}
