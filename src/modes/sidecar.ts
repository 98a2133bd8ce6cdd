import type { Logger } from '../telemetry/logger.js';
import type { ListenAddress, Upstream } from '../core/addresses.js';
import type { Mirror } from '../core/mirror.js';
import { describeUpstream } from '../relay/upstream.js';
import { controlDeps, type ControlDeps } from './control.js';
import { onStopSignal, splitGrace } from './shutdown.js';

export interface SidecarOptions {
  listen: ListenAddress;
  upstream: Upstream;
  log: Logger;
  shutdownGraceMs: number;
  mirror: Mirror;
  /** Replaced by the unit tests of the shutdown sequence. */
  control?: Partial<ControlDeps>;
}

/** Containers/Kubernetes: same engine, no child process; the app runs in its own container. */
export async function runSidecar(options: SidecarOptions): Promise<number> {
  const { log, mirror } = options;
  const control = controlDeps(options.control);
  const relay = control.createRelay({ listen: options.listen, upstream: options.upstream, log, observe: (id) => mirror.observe(id), localPath: mirror.localPath });
  try {
    const addr = await relay.listen();
    log.info('listening', { port: addr.port, address: addr.address, sockets: addr.sockets, upstream: describeUpstream(options.upstream) });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    log.error('bind-failed', { port: options.listen.port, code: e.code, message: e.message });
    await mirror.close(0);
    return 1;
  }
  // Installed until we return: a second signal while draining is ignored, not fatal.
  let uninstallSignals = () => {};
  const sig = await new Promise<NodeJS.Signals>((resolve) => {
    uninstallSignals = onStopSignal(resolve, control.signals);
  });
  const { appMs, flushMs } = splitGrace(options.shutdownGraceMs);
  log.info('shutdown', { signal: sig, grace_ms: options.shutdownGraceMs });
  relay.stopAccepting();
  // In a pod the app is stopped separately; give in-flight connections the app's share.
  if (!(await relay.waitForIdle(appMs))) relay.destroy();
  await mirror.close(flushMs);
  uninstallSignals();
  log.info('exit', { status: 0 });
  return 0;
}
