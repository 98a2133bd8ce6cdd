import type { RateLimit } from '../core/output.js';
import type { ListenAddress, Upstream } from '../core/addresses.js';
import type { ModifierFlag } from '../core/modifier-flag.js';
import { baseNatsSettings, type NatsSettings } from '../nats/settings.js';

/**
 * The whole configuration while it is being read (the flags write into it), as plain typed
 * data with every default applied; resolveMode then makes it a `Config`. Built once at
 * start-up by `parseInvocation` from the options file, the command line and the environment;
 * runtime code never sees a raw flag string (except the modifier flags, compiled elsewhere).
 *
 * Defaults live in ONE place, the flag table (`flags.ts`), so `--help` and behaviour agree.
 */
export interface ConfigDraft {
  /** false when TRAFFIC_DUPLICATOR_ENABLED is false|0|no|off (the kill switch): wrap mode runs the command directly on $PORT, sidecar mode relays without mirroring. */
  enabled: boolean;
  /** wrap mode: the app command and its arguments (empty otherwise). */
  command: string[];
  /** Where to accept client connections. Always set in wrap and sidecar mode. host '::' = all interfaces, dual-stack. */
  listen?: ListenAddress;
  /** sidecar mode: the app we relay to. (In wrap mode the supervisor picks the child's private port.) */
  upstream?: Upstream;

  /** One per --output-http, in the order given (options file first, then command line). */
  httpOutputs: HttpDestination[];
  outputHttp: OutputHttpSettings;
  /** --compare*: online comparison of production's answers with the HTTP destinations' (src/compare). */
  compare: CompareSettings;

  /** One per --output-file. */
  fileOutputs: Array<{ pathTemplate: string }>;
  outputFile: OutputFileSettings;

  outputStdout: boolean;
  outputNull: boolean;
  /** Round-robin each message to one output instead of copying it to all (gor's --split-output). */
  splitOutput: boolean;

  /** replay mode: one per --input-file. */
  inputFiles: InputFile[];
  inputFileLoop: boolean;
  /** Cap on the pause between two replayed requests. */
  inputFileMaxWaitMs?: number;
  inputFileDryRun: boolean;

  /** The middleware command line (split without a shell by its runner). */
  middleware?: string;

  /** --output-nats (publish) and --input-nats (replay): fleet capture on NATS JetStream. */
  nats: NatsSettings;

  /** Every request-modifier flag, canonical name, in the order given. Compiled by the pipeline. */
  modifierFlags: ModifierFlag[];
  /** Keep the client's Host header instead of the destination's (gor's --http-original-host). */
  originalHost: boolean;

  /** Largest request body that is mirrored (gor's --copy-buffer-size); larger ones are dropped, never truncated. */
  copyBufferBytes: number;
  /** Stop after this long (testing / bounded captures). */
  exitAfterMs?: number;
  /** How often the stats line is logged. */
  statsIntervalMs: number;
  /** 0 = normal, 1 = debug, 2+ = trace. */
  verbose: number;
  /** Log only warnings and errors. */
  quiet: boolean;
  /** On SIGTERM: how long to flush queued copies and let the app finish. */
  shutdownGraceMs: number;

  /** --admin-listen: where the admin page/API/metrics are served (no auth unless adminToken is set). */
  adminListen?: ListenAddress;
  /** --admin-path: the same surface on the public port under this path (requires adminToken). */
  adminPath?: string;
  /** env TRAFFIC_DUPLICATOR_ADMIN_TOKEN: guards both admin surfaces when set. */
  adminToken?: string;

  /** Options files that were read, as named by the user (for the start-up log). */
  sources: string[];
  /** One-line notes for the start-up log: deprecated aliases, the kill switch. */
  notes: string[];
  /** Accepted-but-ignored gor flags that were given, once each: logged as `at=flag-ignored`. */
  ignoredFlags: IgnoredFlag[];
}

export interface IgnoredFlag {
  /** As written, with dashes: '--output-http-redirects'. */
  flag: string;
  /** 'config/gor.options:3' or 'command line'. */
  source: string;
  why: string;
}

/** The fields only some modes have; resolveMode fills them, and `Config` says which mode has which. */
type ModeFields = 'mode' | 'command' | 'publicPort' | 'listen' | 'upstream';
type CommonConfig = Omit<ConfigDraft, ModeFields>;

/** `traffic-duplicator [flags] -- CMD`: run the app on a private port, relay and mirror. */
export type WrapConfig = CommonConfig & { mode: 'wrap'; command: string[]; listen: ListenAddress };
/** The kill switch (TRAFFIC_DUPLICATOR_ENABLED=false) with an app command: run it as given, $PORT untouched. */
export type PassthroughConfig = CommonConfig & { mode: 'passthrough'; command: string[] };
/** `--upstream` (+ `--listen`): relay to an app that runs on its own (relaying only when the kill switch is on). */
export type SidecarConfig = CommonConfig & { mode: 'sidecar'; listen: ListenAddress; upstream: Upstream };
/** `--input-file` only: no relay. */
export type ReplayConfig = CommonConfig & { mode: 'replay' };

/**
 * The configuration a mode runs with: one shape per mode, so code that needs `listen` or
 * `upstream` has it by type, not by `!`.
 */
export type Config = WrapConfig | PassthroughConfig | SidecarConfig | ReplayConfig;

/** One `--output-http` destination (not the output that sends to it: see outputs/http-output.ts). */
export interface HttpDestination {
  /** Normalised absolute URL (http: or https:), without the `|limit` suffix. */
  url: string;
  limit?: RateLimit;
}

export interface OutputHttpSettings {
  /** Copies waiting per destination before new ones are dropped (default 1000). */
  queueLen: number;
  /** Concurrent requests per destination (default 64). */
  workers: number;
  /** Per shadow request, connect to last byte (default 5s). */
  timeoutMs: number;
  /** Don't verify TLS certificates of https destinations. */
  skipVerify: boolean;
  /** Pass shadow responses to the other outputs (file, stdout, middleware). */
  trackResponses: boolean;
  /** Byte budget of each destination's queue (default 16 MiB). */
  maxQueueBytes: number;
  /** Shadow response bytes kept when --output-http-track-response is on; the rest is drained. */
  responseBufferBytes: number;
}

export interface CompareSettings {
  enabled: boolean;
  /** --compare-control: a destination running production's version, used only to measure noise. */
  control?: string;
  /** --compare-ignore field paths (checked syntax). */
  ignore: string[];
  /** --compare-route patterns, in the order given. */
  routes: Array<{ pattern: string; segments: ReadonlyArray<string | null> }>;
  /** --compare-sample: 0 < p ≤ 100. */
  samplePercent: number;
  /** --compare-max-body: largest answer compared (raw and decoded). */
  maxBodyBytes: number;
  /** --compare-report FILE.json | FILE.html */
  reportFile?: string;
  /** --compare-redact: header names / JSON keys never shown in samples. */
  redact: string[];
  /** The --compare-* flags given (as written), to refuse them without --compare. */
  given: string[];
}

export interface OutputFileSettings {
  /** Append to an existing file instead of starting a new chunk. */
  append: boolean;
  /** Start a new chunk when the current file reaches this size (gor default 32 MiB; 0 = none). */
  sizeLimitBytes: number;
  /** Stop writing once the output has written this much in all (gor default 1 TiB; 0 = none). */
  maxSizeBytes: number;
  /** Records per chunk: start a new chunk after this many (gor default 256; 0 = none). */
  queueLimit: number;
  /** Flush buffered writes at least this often (gor default 1s). */
  flushIntervalMs: number;
}

export interface InputFile {
  /** Path or glob pattern (gor expands globs, so does our file input). */
  pattern: string;
  /** Replay speed: 100 = real time, 200 = twice as fast (`'file.gor|200%'`). */
  speedPercent: number;
}

/**
 * The parts of Config that don't come from a flag's default. Flag defaults are applied on top
 * of this by the parser, from the flag table.
 */
export function baseConfig(): ConfigDraft {
  return {
    enabled: true,
    command: [],
    httpOutputs: [],
    outputHttp: {
      queueLen: 0,
      workers: 0,
      timeoutMs: 0,
      skipVerify: false,
      trackResponses: false,
      maxQueueBytes: 0,
      responseBufferBytes: 0,
    },
    compare: { enabled: false, ignore: [], routes: [], samplePercent: 100, maxBodyBytes: 0, redact: [], given: [] },
    fileOutputs: [],
    outputFile: { append: false, flushIntervalMs: 0, sizeLimitBytes: 0, maxSizeBytes: 0, queueLimit: 0 },
    outputStdout: false,
    outputNull: false,
    splitOutput: false,
    inputFiles: [],
    inputFileLoop: false,
    inputFileDryRun: false,
    nats: baseNatsSettings(),
    modifierFlags: [],
    originalHost: false,
    copyBufferBytes: 0,
    statsIntervalMs: 0,
    verbose: 0,
    quiet: false,
    shutdownGraceMs: 0,
    sources: [],
    notes: [],
    ignoredFlags: [],
  };
}
