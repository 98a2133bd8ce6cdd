import type { Logger } from '../telemetry/logger.js';
import { controlDeps, type ControlDeps } from './control.js';
import { onStopSignal } from './shutdown.js';

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
  const uninstall = onStopSignal((sig) => void app.stop(sig, graceMs), control.signals);
  const info = await app.exited;
  uninstall();
  return info.status;
}
