/**
 * NATS JetStream settings, as plain data built by the flag table (config/nats-flags.ts).
 * Kept apart from config.ts so the NATS block stays one self-contained piece.
 */

/** How to reach the broker: servers plus the credentials and TLS material the flags name. */
export interface NatsConnectionSettings {
  /** The flag that named the servers, with dashes ('--output-nats'): every error names it. */
  readonly flag: string;
  /** host:port or nats://, tls://, ws:// URLs with credentials removed (they are below). */
  readonly servers: string[];
  /** From the URL: `nats://user:pass@host` or `nats://token@host`. */
  readonly user?: string;
  readonly pass?: string;
  readonly token?: string;
  /** A tls:// URL was given. */
  readonly tlsScheme?: boolean;
}

/** Credentials and TLS material from files (flags may come in any order, so kept apart from the URL). */
export interface NatsAuthFiles {
  /** A `.creds` file (JWT + NKEY seed), as the nats CLI and Synadia Cloud give. */
  credsFile?: string;
  /** A file holding an NKEY seed (`SU...`). */
  nkeyFile?: string;
  tlsCaFile?: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
}

export interface NatsOutputSettings {
  connection?: NatsConnectionSettings;
  auth: NatsAuthFiles;
  stream: string;
  /** Default `traffic.<instance>`. */
  subject?: string;
  /** Also publish the app's responses (type 2 records), for comparison or a fuller capture. */
  responses: boolean;
  /** Create the stream if it is missing (otherwise a missing stream is a start-up error). */
  create: boolean;
  /** For --output-nats-create: 0 = unlimited. */
  maxAgeMs: number;
  maxBytes: number;
  replicas: number;
  /** Published but not yet acknowledged copies; beyond it copies are dropped `broker_slow`. */
  maxPending: number;
  /** Bytes of those copies. */
  maxPendingBytes: number;
  /** How long one publish may wait for the broker's ack before it is retried or counted. */
  timeoutMs: number;
}

/** Where a new durable consumer starts. Ignored when the consumer exists already. */
export type NatsStartPoint =
  | { readonly kind: 'all' }
  | { readonly kind: 'new' }
  | { readonly kind: 'sequence'; readonly seq: number }
  | { readonly kind: 'time'; readonly at: Date };

/** Rate control of the replay: the original timing at a speed, or a fixed rate per replayer. */
export type NatsReplayRate = { readonly kind: 'speed'; readonly percent: number } | { readonly kind: 'per-second'; readonly n: number };

export interface NatsInputSettings {
  connection?: NatsConnectionSettings;
  auth: NatsAuthFiles;
  stream: string;
  /** The durable name every replayer of the fleet shares. */
  consumer: string;
  rate: NatsReplayRate;
  start: NatsStartPoint;
  /** Exit once the stream's end (as it was at start-up) has been replayed. */
  stopAtEnd: boolean;
  /** How long the broker waits for our ack before it gives the record to another replayer. */
  ackWaitMs: number;
  /** Records fetched per pull request. */
  batch: number;
}

export interface NatsSettings {
  output: NatsOutputSettings;
  input: NatsInputSettings;
}

/** The parts not set by flag defaults (those live in the flag table). */
export function baseNatsSettings(): NatsSettings {
  return {
    output: { auth: {}, stream: '', responses: false, create: false, maxAgeMs: 0, maxBytes: 0, replicas: 0, maxPending: 0, maxPendingBytes: 0, timeoutMs: 0 },
    input: { auth: {}, stream: '', consumer: '', rate: { kind: 'speed', percent: 100 }, start: { kind: 'all' }, stopAtEnd: false, ackWaitMs: 0, batch: 0 },
  };
}
