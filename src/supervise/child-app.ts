import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { SYSTEM_CLOCK, type Clock } from '../core/clock.js';
import type { Logger } from '../telemetry/logger.js';
import { probeLoopback } from './ports.js';

export type ChildState = 'starting' | 'ready' | 'stopping' | 'exited';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The status we exit with: the app's code, or 128 + signal number as a shell would report. */
  status: number;
}

export interface ChildAppOptions {
  command: readonly string[];
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** Injected for tests, as concurrently does. */
  spawnFn?: typeof spawn;
  /** How signals are sent (process.kill); a test with a fake spawn must not signal real pids. */
  kill?: (pid: number, sig: NodeJS.Signals) => void;
  /** Grace timers and readiness polling (tests advance a fake one). */
  clock?: Clock;
  /** One readiness check of the private port: the loopback host that answered, if any. */
  probe?: (port: number) => Promise<string | undefined>;
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGUSR1: 10, SIGUSR2: 12 };

export function exitStatusOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal ? (SIGNAL_NUMBERS[signal] ?? 1) : 1);
}

/**
 * The app as a child process in its own process group, so a signal reaches everything it
 * started (`bundle exec` → puma → workers) and nothing outlives us.
 */
export class ChildApp {
  #state: ChildState = 'starting';
  readonly #child: ChildProcess;
  readonly #log: Logger;
  readonly #kill: (pid: number, sig: NodeJS.Signals) => void;
  readonly #clock: Clock;
  readonly #probe: (port: number) => Promise<string | undefined>;
  readonly exited: Promise<ExitInfo>;

  constructor(options: ChildAppOptions) {
    this.#log = options.log;
    this.#kill = options.kill ?? ((pid, sig) => process.kill(pid, sig));
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#probe = options.probe ?? probeLoopback;
    const [file, ...args] = options.command;
    if (!file) throw new Error('no command to run');
    const spawnOptions: SpawnOptions = {
      env: options.env,
      stdio: 'inherit',
      // Own process group: we signal -pid, reaching the whole tree.
      detached: true,
    };
    this.#child = (options.spawnFn ?? spawn)(file, args, spawnOptions);
    this.exited = new Promise((resolve) => {
      this.#child.once('error', (err: NodeJS.ErrnoException) => {
        this.#state = 'exited';
        this.#log.error('app-spawn-failed', { command: file, code: err.code, message: err.message });
        resolve({ code: 127, signal: null, status: err.code === 'ENOENT' ? 127 : 126 });
      });
      this.#child.once('exit', (code, signal) => {
        this.#state = 'exited';
        resolve({ code, signal, status: exitStatusOf(code, signal) });
      });
    });
    // If we exit for any reason while the app still runs, take its group with us.
    process.once('exit', () => this.#killGroup('SIGKILL'));
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get state(): ChildState {
    return this.#state;
  }

  /**
   * Polls the private port until the app accepts TCP connections. Resolves with the
   * loopback host that answered, or undefined if the app exited first.
   */
  async waitUntilListening(port: number, pollMs = 100, onSlow?: (elapsedMs: number) => void): Promise<string | undefined> {
    const start = this.#clock.now();
    let nextNotice = 10_000;
    let exited = false;
    void this.exited.then(() => (exited = true));
    while (!exited) {
      const host = await this.#probe(port);
      if (host) {
        if (this.#state === 'starting') this.#state = 'ready';
        return host;
      }
      const elapsed = this.#clock.now() - start;
      if (elapsed >= nextNotice) {
        onSlow?.(elapsed);
        nextNotice += 10_000;
      }
      await this.#clock.sleep(pollMs);
    }
    return undefined;
  }

  /** Sends a signal to the app's whole process group. */
  signal(sig: NodeJS.Signals): void {
    if (sig === 'SIGTERM' || sig === 'SIGINT') this.#state = this.#state === 'exited' ? 'exited' : 'stopping';
    this.#killGroup(sig);
  }

  /** SIGTERM (or `sig`), then SIGKILL if the app is still there after `graceMs`. */
  async stop(sig: NodeJS.Signals, graceMs: number): Promise<ExitInfo> {
    this.signal(sig);
    const timer = this.#clock.setTimeout(() => {
      this.#log.warn('app-kill', { reason: 'grace period over', grace_ms: graceMs });
      this.#killGroup('SIGKILL');
    }, graceMs);
    const info = await this.exited;
    this.#clock.clearTimeout(timer);
    return info;
  }

  #killGroup(sig: NodeJS.Signals): void {
    const pid = this.#child.pid;
    if (pid === undefined) return;
    try {
      this.#kill(-pid, sig);
    } catch {
      // The group is already gone; try the leader alone in case it left its group.
      try {
        if (this.#state !== 'exited') this.#kill(pid, sig);
      } catch {
        /* gone */
      }
    }
  }
}
