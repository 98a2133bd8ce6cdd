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
 * Signals passed on to the app's process group and otherwise left alone. Without a handler
 * Node dies of them, and the app, in its own process group (so neither a closing terminal
 * nor a container runtime reaches it), would be left running without us in front of it. The
 * app decides what they mean, as it would alone (Puma and nginx reopen logs on SIGHUP, nginx
 * stops gracefully on SIGQUIT); if it exits, we exit with its status.
 */
export const FORWARDED_SIGNALS = ['SIGHUP', 'SIGQUIT', 'SIGUSR2'] as const;

/** Installs handlers that pass FORWARDED_SIGNALS to `forward`. Returns an uninstaller. */
export function forwardSignals(forward: (sig: NodeJS.Signals) => void, proc: SignalSource = process): () => void {
  const handler = (sig: NodeJS.Signals) => forward(sig);
  for (const s of FORWARDED_SIGNALS) proc.on(s, handler);
  return () => {
    for (const s of FORWARDED_SIGNALS) proc.off(s, handler);
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
