import { EventEmitter } from 'node:events';
import type { spawn, SpawnOptions } from 'node:child_process';
import { ChildApp, type ChildAppOptions } from '../../src/supervise/child-app.js';
import type { ControlDeps, Relay } from '../../src/modes/control.js';
import type { ListeningAddress, RelayServerOptions } from '../../src/relay/relay-server.js';
import { FakeClock } from './fake-clock.js';
import { createMemoryLogger as memoryLog } from '../../src/telemetry/logger.js';

/**
 * Fakes for the control plane's unit tests: a spawned app that is only an EventEmitter with
 * a pid, a signal recorder standing in for process.kill (so no real pid is ever signalled),
 * a relay that records what it is told, and a signal source to deliver SIGTERM/SIGINT.
 * Everything that happens is appended to one `events` list, to check the order.
 */

/** How the fake app answers a signal sent to its group. */
export type SignalBehaviour = 'exit' | 'ignore';

export class FakeChild extends EventEmitter {
  readonly pid: number;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  constructor(
    pid: number,
    readonly file: string,
    readonly args: readonly string[],
    /** The options spawn was given (env, stdio, detached). */
    readonly spawnOptions: SpawnOptions,
  ) {
    super();
    this.pid = pid;
  }
  /** The app exits by itself (or as the reaction to a signal). */
  exit(code: number | null, signal: NodeJS.Signals | null = null): void {
    if (this.exitCode !== null || this.signalCode !== null) return;
    this.exitCode = code;
    this.signalCode = signal;
    this.emit('exit', code, signal);
  }
}

export interface FakeControl {
  clock: FakeClock;
  /** SIGTERM/SIGINT to the wrapper: `signals.emit('SIGTERM', 'SIGTERM')`. */
  signals: EventEmitter;
  children: FakeChild[];
  relays: FakeRelay[];
  /** Every process.kill the app received, e.g. [-4242, 'SIGTERM']. */
  kills: Array<[number, NodeJS.Signals]>;
  events: string[];
  /** The deps to pass as `control`. */
  deps: Partial<ControlDeps>;
  /** The one spawn function (for ChildApp on its own). */
  spawnFn: typeof spawn;
  /** ChildApp options that make it use these fakes. */
  appOptions(command?: readonly string[]): ChildAppOptions;
}

export interface FakeControlOptions {
  /** What the app does on SIGTERM/SIGINT (SIGKILL always ends it). Default 'exit', killed by the signal. */
  onStop?: SignalBehaviour;
  /** Whether the app's port answers (the readiness probe); default true. */
  listening?: boolean;
  /** The relay's listen() fails with this code (e.g. 'EADDRINUSE'). */
  bindError?: string;
  /** The relay still has connections when asked to wait for idle. */
  busyRelay?: boolean;
  /**
   * The command exits on SIGTERM/SIGINT at once, but a server it started in its group keeps
   * running this many (fake) ms more, unless SIGKILLed: `npm start`, a shell without exec.
   */
  serverOutlivesCommandMs?: number;
  privatePort?: number;
  log?: ChildAppOptions['log'];
}

export function fakeControl(options: FakeControlOptions = {}): FakeControl {
  const clock = new FakeClock();
  const signals = new EventEmitter();
  const children: FakeChild[] = [];
  const relays: FakeRelay[] = [];
  const kills: Array<[number, NodeJS.Signals]> = [];
  const events: string[] = [];
  let nextPid = 4242;

  const spawnFn = ((file: string, args: readonly string[], opts: SpawnOptions) => {
    const child = new FakeChild(nextPid++, file, args, opts);
    children.push(child);
    events.push(`spawn ${[file, ...args].join(' ')}`);
    return child;
  }) as unknown as typeof spawn;

  /** When the server outliving its command (serverOutlivesCommandMs) exits, per command pid. */
  const serverUntil = new Map<number, number>();
  const groupAlive = (child: FakeChild) =>
    (child.exitCode === null && child.signalCode === null) || (serverUntil.get(child.pid) ?? -1) > clock.now();
  const kill = (pid: number, sig: NodeJS.Signals | 0) => {
    const child = children.find((c) => c.pid === Math.abs(pid));
    if (!child || !groupAlive(child)) {
      throw Object.assign(new Error('kill ESRCH'), { code: 'ESRCH' });
    }
    if (sig === 0) return; // only asks whether the group is there
    if (sig === 'SIGKILL') serverUntil.delete(child.pid);
    else if (options.serverOutlivesCommandMs !== undefined && !serverUntil.has(child.pid)) {
      serverUntil.set(child.pid, clock.now() + options.serverOutlivesCommandMs);
    }
    kills.push([pid, sig]);
    events.push(`app ${sig}`);
    if (sig === 'SIGKILL' || (options.onStop ?? 'exit') === 'exit') {
      // As a shell reports a death by signal; exits on the next turn, as a real process would.
      queueMicrotask(() => child.exit(null, sig));
    }
  };

  const probe = async () => ((options.listening ?? true) ? '127.0.0.1' : undefined);
  const appOptions = (command: readonly string[] = ['app', '--port', '5000']): ChildAppOptions => ({
    command,
    env: {},
    log: options.log ?? memoryLog(),
    spawnFn,
    kill,
    clock,
    probe,
  });

  const deps: Partial<ControlDeps> = {
    clock,
    signals,
    pickPort: async () => options.privatePort ?? 40001,
    startApp: (o) => new ChildApp({ ...o, spawnFn, kill, clock, probe }),
    createRelay: (o) => {
      const relay = new FakeRelay(o, events, options);
      relays.push(relay);
      return relay;
    },
  };
  return { clock, signals, children, relays, kills, events, deps, spawnFn, appOptions };
}

export class FakeRelay implements Relay {
  readonly calls: string[] = [];
  constructor(
    readonly options: RelayServerOptions,
    readonly events: string[],
    readonly behaviour: FakeControlOptions,
  ) {}
  async listen(): Promise<ListeningAddress> {
    this.events.push('relay listen');
    if (this.behaviour.bindError) throw Object.assign(new Error(`listen ${this.behaviour.bindError}`), { code: this.behaviour.bindError });
    return { address: '::', family: 'IPv6', port: this.options.listen.port, sockets: 1 };
  }
  stopAccepting(): void {
    this.events.push('relay stop-accepting');
  }
  async waitForIdle(ms: number): Promise<boolean> {
    this.events.push(`relay wait-for-idle ${ms}`);
    return !this.behaviour.busyRelay;
  }
  destroy(): void {
    this.events.push('relay destroy');
  }
}
