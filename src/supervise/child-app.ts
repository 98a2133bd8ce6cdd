import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
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
  /** How signals are sent (process.kill; 0 asks whether the target exists); a test with a fake spawn must not signal real pids. */
  kill?: (pid: number, sig: NodeJS.Signals | 0) => void;
  /** Whether a process group still has a live process (default: /proc on Linux; with an injected `kill`, signal 0). */
  groupAlive?: (pgid: number) => boolean;
  /** Grace timers and readiness polling (tests advance a fake one). */
  clock?: Clock;
  /** One readiness check of the private port: the loopback host that answered, if any. */
  probe?: (port: number) => Promise<string | undefined>;
}

export function exitStatusOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  // As a shell reports it: 139 for a SIGSEGV, 134 for a SIGABRT, so a crash shows as one.
  return 128 + ((signal ? constants.signals[signal] : undefined) ?? 1);
}

/** While stopping, how often we look whether the app's group still has a process. */
const GROUP_POLL_MS = 50;

/**
 * Whether process group `pgid` has a process that is not a zombie. kill(-pgid, 0) is not
 * enough: it succeeds for zombies too, and when a member's parent (a shell that was killed)
 * is gone, it is reparented to PID 1, which may be us (a container without an init) and
 * Node reaps only its own children, so we would wait out the whole grace. On Linux /proc
 * says which are live; elsewhere signal 0 is all there is.
 */
export function groupHasLiveProcess(pgid: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return signalReaches(-pgid);
  }
  for (const entry of entries) {
    if (entry.charCodeAt(0) < 0x30 || entry.charCodeAt(0) > 0x39) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid pgrp …: comm may hold spaces and parentheses, so read after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] !== 'Z' && Number(fields[2]) === pgid) return true;
  }
  return false;
}

function signalReaches(target: number, kill: (pid: number, sig: 0) => void = (p, s) => process.kill(p, s)): boolean {
  try {
    kill(target, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The app as a child process in its own process group, so a signal reaches everything it
 * started (`bundle exec` → puma → workers) and nothing outlives us.
 */
export class ChildApp {
  #state: ChildState = 'starting';
  readonly #child: ChildProcess;
  readonly #log: Logger;
  readonly #kill: (pid: number, sig: NodeJS.Signals | 0) => void;
  readonly #clock: Clock;
  readonly #probe: (port: number) => Promise<string | undefined>;
  readonly #groupAliveOf: (pgid: number) => boolean;
  readonly exited: Promise<ExitInfo>;

  constructor(options: ChildAppOptions) {
    this.#log = options.log;
    this.#kill = options.kill ?? ((pid, sig) => process.kill(pid, sig));
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#probe = options.probe ?? probeLoopback;
    this.#groupAliveOf = options.groupAlive ?? (options.kill ? (pgid) => signalReaches(-pgid, this.#kill) : groupHasLiveProcess);
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
        const status = err.code === 'ENOENT' ? 127 : 126;
        resolve({ code: status, signal: null, status });
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

  /**
   * SIGTERM (or `sig`) to the group, then SIGKILL if anything of it is still there after
   * `graceMs`. Resolves with the command's own exit once its whole group is gone: the
   * command may exit first (`npm start`, a shell script without exec, `sh -c 'a && b'`)
   * while the server it started is still finishing its requests, which we keep relaying.
   */
  async stop(sig: NodeJS.Signals, graceMs: number): Promise<ExitInfo> {
    this.signal(sig);
    let graceOver = false;
    const timer = this.#clock.setTimeout(() => {
      graceOver = true;
      this.#log.warn('app-kill', { reason: 'grace period over', grace_ms: graceMs });
      this.#killGroup('SIGKILL');
    }, graceMs);
    const info = await this.exited;
    while (!graceOver && this.#groupAlive()) await this.#clock.sleep(GROUP_POLL_MS);
    this.#clock.clearTimeout(timer);
    return info;
  }

  /** Whether a process of the app's group is still alive (its leader may have gone first). */
  #groupAlive(): boolean {
    const pid = this.#child.pid;
    return pid !== undefined && this.#groupAliveOf(pid);
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
