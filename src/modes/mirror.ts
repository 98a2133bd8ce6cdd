import type { ConnectionObserver } from '../relay/relay-connection.js';
import type { LocalPath } from '../relay/local-path.js';

/** What the relay modes need from the mirroring side (built in engine/). */
export interface Mirror {
  /** A tee for a new connection, or undefined when nothing is mirrored. */
  observe(connectionId: string): ConnectionObserver | undefined;
  /** Stop, deliver queued copies within `graceMs`, count the rest; prints final stats. */
  close(graceMs: number): Promise<void>;
  /** --admin-path: the admin surface the relay answers on the public port. */
  readonly localPath?: LocalPath;
}

export const NO_MIRROR: Mirror = { observe: () => undefined, close: async () => {} };
