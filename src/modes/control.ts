import { ChildApp, type ChildAppOptions } from '../supervise/child-app.js';
import { pickFreePort } from '../supervise/ports.js';
import { RelayServer, type RelayServerOptions } from '../relay/relay-server.js';
import { SYSTEM_CLOCK, type Clock } from '../core/clock.js';
import type { SignalSource } from './shutdown.js';

/** What a mode does to the relay it runs (RelayServer, or a test's fake). */
export type Relay = Pick<RelayServer, 'listen' | 'stopAccepting' | 'waitForIdle' | 'destroy'>;

/**
 * The seams of the control plane: where time, signals, the app process, the relay and the
 * private port come from. Production uses the real ones; the unit tests of the shutdown
 * sequence replace them, so grace periods and SIGKILL escalation run without sleeping.
 */
export interface ControlDeps {
  clock: Clock;
  /** SIGTERM/SIGINT arrive here (the process). */
  signals: SignalSource;
  startApp(options: ChildAppOptions): ChildApp;
  createRelay(options: RelayServerOptions): Relay;
  /** A free loopback port for the app. */
  pickPort(): Promise<number>;
}

export const REAL_CONTROL: ControlDeps = {
  clock: SYSTEM_CLOCK,
  signals: process,
  startApp: (options) => new ChildApp(options),
  createRelay: (options) => new RelayServer(options),
  pickPort: () => pickFreePort(),
};

export function controlDeps(overrides: Partial<ControlDeps> = {}): ControlDeps {
  return { ...REAL_CONTROL, ...overrides };
}
