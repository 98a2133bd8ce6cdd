import type { Logger } from '../telemetry/logger.js';
import { controlDeps, type ControlDeps } from './control.js';
import { forwardSignals, onStopSignal } from './shutdown.js';
import type { ExitInfo } from '../supervise/child-app.js';

/**
 * The kill switch (TRAFFIC_DUPLICATOR_ENABLED=false): run the command exactly as given,
 * PORT untouched, no relay. Node can't exec(), so we forward signals and the exit status.
 */
export async function runPassthrough(
  command: readonly string[],
  env: NodeJS.ProcessEnv,
  log: Logger,
  graceMs: number,
  overrides: Partial<ControlDeps> = {},
): Promise<number> {
  const control = controlDeps(overrides);
  log.info('disabled', { reason: 'TRAFFIC_DUPLICATOR_ENABLED is off', command: command.join(' ') });
  const app = control.startApp({ command, env, log });
  // A stop waits for the app's whole group (its command may exit before its server does);
  // when we return, the process exits and the group is SIGKILLed.
  let stopping: Promise<ExitInfo> | undefined;
  const uninstallStop = onStopSignal((sig) => (stopping = app.stop(sig, graceMs)), control.signals);
  const uninstallForward = forwardSignals((sig) => app.signal(sig), control.signals);
  const exited = await app.exited;
  const info = stopping ? await stopping : exited;
  uninstallStop();
  uninstallForward();
  return info.status;
}
