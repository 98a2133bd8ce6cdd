import type { Logger } from '../telemetry/logger.js';
import type { ExitInfo } from '../supervise/child-app.js';
import { replacePortInArgv } from '../supervise/argv-port.js';
import type { Mirror } from '../core/mirror.js';
import { controlDeps, type ControlDeps, type Relay } from './control.js';
import { forwardSignals, onStopSignal, splitGrace } from './shutdown.js';

export interface WrapOptions {
  command: readonly string[];
  publicPort: number;
  /** Public bind host; '' = dual-stack. */
  publicHost: string;
  env: NodeJS.ProcessEnv;
  log: Logger;
  shutdownGraceMs: number;
  /**
   * Built by run() before the app is spawned (so its errors exit 2 with nothing started);
   * it sees no traffic until the relay binds, once the app accepts connections.
   */
  mirror: Mirror;
  /** Replaced by the unit tests of the shutdown sequence. */
  control?: Partial<ControlDeps>;
}

/**
 * The Procfile drop-in: run the app on a private port, bind the public port only once
 * the app accepts connections (so boot behaves like the app alone, and Heroku's R10 boot
 * timeout applies to the app as before), relay, mirror, and exit with the app's status.
 */
export async function runWrapped(options: WrapOptions): Promise<number> {
  const { log } = options;
  const control = controlDeps(options.control);
  const privatePort = await control.pickPort();
  const command = replacePortInArgv(options.command, options.publicPort, privatePort);
  const startedAt = control.clock.now();
  log.info('app-start', { command: command.join(' '), private_port: privatePort, public_port: options.publicPort });
  const app = control.startApp({ command, env: { ...options.env, PORT: String(privatePort) }, log });

  let stopping = false;
  const { mirror } = options;
  let relay: Relay | undefined;

  /** Waits up to `ms` for the relay's connections to finish, then cuts what is left. */
  const drainRelay = async (ms: number): Promise<void> => {
    if (relay && !(await relay.waitForIdle(ms))) relay.destroy();
  };

  const shutdown = async (sig: NodeJS.Signals): Promise<ExitInfo> => {
    stopping = true;
    const { appMs, flushMs } = splitGrace(options.shutdownGraceMs);
    log.info('shutdown', { signal: sig, grace_ms: options.shutdownGraceMs });
    relay?.stopAccepting();
    const appDeadline = control.clock.now() + appMs;
    // The app finishes its in-flight requests (as it would alone); we keep relaying them,
    // until its whole process group is gone (ChildApp.stop).
    const exit = await app.stop(sig, appMs);
    // What the app wrote before it exited is still on its way to slow clients: the rest of
    // the app's share of the grace (at least 500 ms) to deliver it.
    await drainRelay(Math.max(500, appDeadline - control.clock.now()));
    await mirror.close(flushMs);
    return exit;
  };

  // Installed until we return: a second SIGTERM/SIGINT while stopping is ignored (the grace
  // timers bound the shutdown), rather than killing us with the default action and
  // orphaning the app's group mid-shutdown.
  let uninstallStop = () => {};
  const stopFromSignal = new Promise<ExitInfo>((resolve) => {
    uninstallStop = onStopSignal((sig) => void shutdown(sig).then(resolve), control.signals);
  });
  const uninstallForward = forwardSignals((sig) => {
    log.info('signal-forwarded', { signal: sig });
    app.signal(sig);
  }, control.signals);
  const uninstallSignals = () => {
    uninstallStop();
    uninstallForward();
  };

  // Every 10 s without a listener: say why we might wait forever. The usual cause is an
  // app that ignores $PORT (and has no port in its command for us to swap).
  const host = await app.waitUntilListening(privatePort, 100, (elapsed) =>
    log.info('waiting-for-app', {
      elapsed_ms: elapsed,
      private_port: privatePort,
      hint: `the app must listen on $PORT, which is ${privatePort} for it (not ${options.publicPort}): read PORT from the environment, or put $PORT in its command`,
    }),
  );

  if (host && !stopping) {
    log.info('app-ready', { elapsed_ms: control.clock.now() - startedAt, upstream: `${host.includes(':') ? `[${host}]` : host}:${privatePort}` });
    relay = control.createRelay({
      listen: { host: options.publicHost, port: options.publicPort },
      upstream: { kind: 'tcp', host, port: privatePort },
      log,
      observe: (id) => mirror.observe(id),
      localPath: mirror.localPath,
    });
    try {
      const addr = await relay.listen();
      log.info('listening', { port: addr.port, address: addr.address, sockets: addr.sockets });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      log.error('bind-failed', {
        port: options.publicPort,
        code: e.code,
        message: e.message,
        hint: e.code === 'EADDRINUSE' ? 'another process already listens on $PORT' : undefined,
      });
      await app.stop('SIGTERM', 5000);
      await mirror.close(0);
      uninstallSignals();
      return 1;
    }
  }

  const appExitedByItself = app.exited.then((info) => ({ kind: 'app-exit' as const, info }));
  const result = await Promise.race([appExitedByItself, stopFromSignal.then((info) => ({ kind: 'signal' as const, info }))]);
  if (result.kind === 'app-exit' && !stopping) {
    const { info } = result;
    log[info.status === 0 ? 'info' : 'error']('app-exit', { code: info.code ?? undefined, signal: info.signal ?? undefined, status: info.status });
    // Answers the app wrote in full before it exited are still on their way to the clients
    // (in our buffers, or a slow client's): deliver them, within the flush share, as the
    // app's own kernel would have without us.
    const { flushMs } = splitGrace(options.shutdownGraceMs);
    relay?.stopAccepting();
    await drainRelay(flushMs);
    await mirror.close(flushMs);
    uninstallSignals();
    return info.status;
  }
  const info = result.kind === 'signal' ? result.info : await stopFromSignal;
  uninstallSignals();
  log.info('exit', { status: info.status });
  return info.status;
}
