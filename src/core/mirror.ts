import type { Message } from './message.js';
// The one type core/ takes from elsewhere: what the admin surface hands the relay.
import type { LocalPath } from '../relay/local-path.js';

/** What the relay tells the tee about a connection. Calls must be cheap and must not throw. */
export interface ConnectionObserver {
  fromClient(chunk: Buffer): void;
  fromApp(chunk: Buffer): void;
  close(): void;
}

/**
 * What the modes need from the mirroring side, built in engine/. Modes and engine both
 * depend on this interface, never on each other.
 */
export interface Mirror {
  /** A tee for a new connection, or undefined when nothing is mirrored. */
  observe(connectionId: string): ConnectionObserver | undefined;
  /** Entry for messages that don't come from a connection (file replay). */
  input(msg: Message): void;
  /** Stop, deliver queued copies within `graceMs`, count the rest; prints final stats. */
  close(graceMs: number): Promise<void>;
  /** --admin-path: the admin surface the relay answers on the public port. */
  readonly localPath?: LocalPath;
}

/** Relaying only (the kill switch in sidecar mode): nothing is observed, nothing is sent. */
export const NO_MIRROR: Mirror = { observe: () => undefined, input: () => {}, close: async () => {} };
