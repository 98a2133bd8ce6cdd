/**
 * THE flag table: one entry per flag with its names, value type, default, help and how it
 * changes the Config. Defaults are written in the flag's own syntax ('5s', '32mb') and parsed
 * by the same code as user input, so `--help` shows exactly what the program uses.
 */
import type { ConfigDraft } from './config.js';
import type { ModifierFlagName } from '../core/modifier-flag.js';
import {
  ValueError,
  durationType,
  intType,
  parseBool,
  parseHttpOutput,
  parseInputFile,
  parseAdminPath,
  parseListen,
  parseUpstream,
  sizeType,
  stringType,
  type ValueType,
} from './values.js';
import { S3_UNSUPPORTED } from './unsupported.js';
import { compareFlagSpecs } from './compare-flags.js';
import { natsFlags } from './nats-flags.js';

export type Group = 'wrapper' | 'compare' | 'http' | 'file' | 'replay' | 'modifiers' | 'middleware' | 'stats' | 'compat' | 'nats' | 'ignored';

export const GROUPS: ReadonlyArray<{ id: Group; title: string }> = [
  { id: 'wrapper', title: 'Wrapper & sidecar' },
  { id: 'http', title: 'Outputs: HTTP' },
  { id: 'compare', title: 'Compare answers (production vs the --output-http destinations)' },
  { id: 'file', title: 'Outputs: file/stdout' },
  { id: 'replay', title: 'Input: file replay' },
  { id: 'nats', title: 'Fleet capture and replay: NATS JetStream (docs/fleet.md)' },
  { id: 'modifiers', title: 'Request modifiers (applied in gor\'s order; values as in gor)' },
  { id: 'middleware', title: 'Middleware' },
  { id: 'stats', title: 'Stats & logging' },
  { id: 'compat', title: 'Accepted from old gor.options files' },
  { id: 'ignored', title: 'gor flags accepted and ignored (a start-up note says so)' },
];

/** What a flag's `apply` may use besides the value. */
export interface ApplyContext {
  /** 'config/gor.options:3' or 'command line'. */
  readonly source: string;
  /** The name as written, with dashes: '--output-http-header'. */
  readonly given: string;
  /** Whether a flag (canonical name) was set explicitly before this one. */
  seen(name: string): boolean;
  /** A one-line note for the start-up log. */
  note(message: string): void;
  /** Records that this (accepted-but-ignored) flag was given: one `at=flag-ignored` line at start. */
  ignore(why: string): void;
}

export interface Alias {
  readonly name: string;
  /** Emit a deprecation note when used (not for aliases every old file has). */
  readonly deprecated: boolean;
}

export interface FlagSpec<T> {
  /** Canonical name, without dashes. */
  name: string;
  aliases?: Alias[];
  type: ValueType<T>;
  /** Shown in help instead of the type name, e.g. 'URL[|N|N%]'. */
  metavar?: string;
  repeatable?: boolean;
  /** In the flag's own syntax; parsed with `type` and applied before any user input. */
  default?: string;
  /** Help text for the default when it is not a literal value, e.g. ':$PORT'. */
  defaultHelp?: string;
  /** The flag may stand alone (`--verbose`) or take a value matching this (`--verbose 2`). */
  optionalValue?: { pattern: RegExp; bare: string };
  /** Only meaningful on the command line (--options-file, --help). */
  argvOnly?: boolean;
  /** A usage example printed on its own line in --help. */
  exampleLine?: string;
  group: Group;
  help: string;
  apply(cfg: ConfigDraft, value: T, ctx: ApplyContext): void;
}

/** A table entry with its value type erased (the table is heterogeneous). */
export interface Flag {
  readonly name: string;
  readonly aliases: readonly Alias[];
  readonly isBool: boolean;
  readonly typeName: string;
  readonly example: string;
  readonly metavar: string;
  readonly repeatable: boolean;
  readonly default: string | undefined;
  readonly defaultHelp: string | undefined;
  readonly optionalValue: { pattern: RegExp; bare: string } | undefined;
  readonly argvOnly: boolean;
  readonly exampleLine: string | undefined;
  readonly group: Group;
  readonly help: string;
  /** Set for accepted-but-ignored gor flags: why it changes nothing here. */
  readonly ignored?: string;
  parse(raw: string): unknown;
  apply(cfg: ConfigDraft, value: unknown, ctx: ApplyContext): void;
}

/** For flag blocks kept in their own file (nats-flags.ts). */
export type FlagSpecOf<T> = FlagSpec<T>;

// A function declaration (hoisted), so nats-flags.ts can call it while this module evaluates.
function flag<T>(spec: FlagSpec<T>): Flag {
  return {
    name: spec.name,
    aliases: spec.aliases ?? [],
    isBool: spec.type === boolType,
    typeName: spec.type.name,
    example: spec.type.example,
    metavar: spec.metavar ?? (spec.type.name === 'int' ? 'N' : spec.type.name.toUpperCase()),
    repeatable: spec.repeatable ?? false,
    default: spec.default,
    defaultHelp: spec.defaultHelp,
    optionalValue: spec.optionalValue,
    argvOnly: spec.argvOnly ?? false,
    exampleLine: spec.exampleLine,
    group: spec.group,
    help: spec.help,
    parse: (raw) => spec.type.parse(raw),
    apply: (cfg, value, ctx) => spec.apply(cfg, value as T, ctx),
  };
}

const boolType: ValueType<boolean> = { name: 'bool', example: 'true', parse: parseBool };

const noS3 = (raw: string): void => {
  if (/^s3:\/\//i.test(raw.trim())) {
    throw new ValueError(`S3 is not supported: ${S3_UNSUPPORTED.why}`, S3_UNSUPPORTED.instead, 'TD_UNSUPPORTED_FLAG');
  }
};

function modifier(name: ModifierFlagName, help: string, example: string, aliases: Alias[] = []): Flag {
  return flag({
    name,
    aliases,
    type: stringType(example),
    metavar: 'VALUE',
    repeatable: true,
    group: 'modifiers',
    help,
    exampleLine: `--${name} ${example}`,
    apply: (cfg, value, ctx) => cfg.modifierFlags.push({ flag: name, value, source: ctx.source, given: ctx.given }),
  });
}

const deprecated = (name: string): Alias => ({ name, deprecated: true });

/**
 * A gor flag we accept (so a migrated gor.options file still starts) but that changes
 * nothing here: using it prints one `at=flag-ignored` line with `why`, never silence.
 */
function ignoredFlag<T>(name: string, type: ValueType<T>, metavar: string, why: string): Flag {
  return { ...flag({ name, type, metavar, group: 'ignored', help: `Ignored: ${why}.`, apply: (_cfg, _v, ctx) => ctx.ignore(why) }), ignored: why };
}

/** Also what `--output-http-workers 0` (gor's "unlimited") means here. */
const DEFAULT_WORKERS = '64';

export const FLAGS: readonly Flag[] = [
  // ---- Wrapper & sidecar ----
  flag({
    name: 'listen',
    type: { name: 'addr', example: "':8080'", parse: parseListen },
    metavar: '[HOST]:PORT',
    defaultHelp: ':$PORT',
    group: 'wrapper',
    help: "Accept client connections here. ':8080' listens on all interfaces (IPv4 and IPv6); '127.0.0.1:8080', '[::1]:8080' and '8080' work too.",
    apply: (cfg, v) => (cfg.listen = v),
  }),
  flag({
    name: 'upstream',
    type: { name: 'addr', example: "'http://127.0.0.1:3000'", parse: parseUpstream },
    metavar: 'ADDR',
    group: 'wrapper',
    help: "Sidecar mode: relay connections to this running app: 'http://127.0.0.1:3000', '127.0.0.1:3000' or 'unix:/run/app.sock'.",
    apply: (cfg, v) => (cfg.upstream = v),
  }),
  flag({
    name: 'options-file',
    type: stringType('config/gor.options'),
    metavar: 'PATH',
    defaultHelp: 'config/gor.options',
    argvOnly: true,
    group: 'wrapper',
    help: 'Read gor-style options from this file first (command-line flags win). Also env TRAFFIC_DUPLICATOR_OPTIONS_FILE.',
    apply: () => {},
  }),
  flag({
    name: 'copy-buffer-size',
    type: sizeType,
    default: '5mb',
    group: 'wrapper',
    help: 'Largest request body that is mirrored; a larger request still reaches the app, its copy is dropped (never truncated).',
    apply: (cfg, v) => (cfg.copyBufferBytes = v),
  }),
  flag({
    name: 'shutdown-grace',
    type: durationType,
    default: '25s',
    group: 'wrapper',
    help: "On SIGTERM, time to let the app finish and flush queued copies (inside Heroku's 30s).",
    apply: (cfg, v) => (cfg.shutdownGraceMs = v),
  }),
  flag({
    name: 'exit-after',
    type: durationType,
    defaultHelp: 'never',
    group: 'wrapper',
    help: 'Stop after this long, e.g. for a bounded capture.',
    apply: (cfg, v) => (cfg.exitAfterMs = v),
  }),
  flag({
    name: 'help',
    type: boolType,
    argvOnly: true,
    group: 'wrapper',
    help: 'Show this help.',
    apply: () => {},
  }),
  flag({
    name: 'version',
    type: boolType,
    argvOnly: true,
    group: 'wrapper',
    help: 'Print the version.',
    apply: () => {},
  }),

  // ---- Outputs: HTTP ----
  flag({
    name: 'output-http',
    type: { name: 'url', example: "'https://shadow.example.com|10%'", parse: parseHttpOutput },
    metavar: 'URL[|N|N%]',
    repeatable: true,
    group: 'http',
    help: "Mirror requests to this HTTP(S) destination. 'URL|10' caps it at 10 requests/s, 'URL|10%' sends a random 10%, 'URL|0%' nothing (switched off). A bare host means http://.",
    apply: (cfg, v) => cfg.httpOutputs.push(v),
  }),
  flag({
    name: 'output-http-queue-len',
    type: intType({ min: 1, example: '1000' }),
    default: '1000',
    group: 'http',
    help: 'Copies waiting per destination; when full, new copies are dropped and counted.',
    apply: (cfg, v) => (cfg.outputHttp.queueLen = v),
  }),
  flag({
    name: 'output-http-max-queue-bytes',
    type: sizeType,
    default: '16mb',
    group: 'http',
    help: 'Byte budget of each destination queue (bodies included); over it, copies are dropped.',
    apply: (cfg, v) => (cfg.outputHttp.maxQueueBytes = v),
  }),
  flag({
    name: 'output-http-workers',
    type: intType({ min: 0, example: '64' }),
    default: DEFAULT_WORKERS,
    group: 'http',
    help: "Concurrent requests per destination. 0 means the default: unlike gor, concurrency is always bounded.",
    apply: (cfg, v) => (cfg.outputHttp.workers = v === 0 ? Number(DEFAULT_WORKERS) : v),
  }),
  flag({
    name: 'output-http-timeout',
    type: durationType,
    default: '5s',
    group: 'http',
    help: 'Timeout of each shadow request, from connecting to the last response byte.',
    apply: (cfg, v) => {
      if (v === 0) throw new ValueError('0 would fail every request', 'use a positive duration, e.g. 5s');
      cfg.outputHttp.timeoutMs = v;
    },
  }),
  flag({
    name: 'output-http-skip-verify',
    type: boolType,
    group: 'http',
    help: "Don't verify TLS certificates of https destinations. A shadow signed by your own CA can stay verified: trust the CA with NODE_EXTRA_CA_CERTS=/path/to/ca.pem.",
    apply: (cfg, v) => (cfg.outputHttp.skipVerify = v),
  }),
  flag({
    name: 'output-http-track-response',
    type: boolType,
    group: 'http',
    help: 'Hand shadow responses to the other outputs (file, stdout, middleware).',
    apply: (cfg, v) => (cfg.outputHttp.trackResponses = v),
  }),
  flag({
    name: 'output-http-response-buffer',
    type: sizeType,
    default: '100kb',
    group: 'http',
    help: 'Shadow response bytes kept for --output-http-track-response; the rest is read and discarded.',
    apply: (cfg, v) => (cfg.outputHttp.responseBufferBytes = v),
  }),
  flag({
    name: 'http-original-host',
    type: boolType,
    group: 'http',
    help: "Keep the client's Host header instead of the destination's.",
    apply: (cfg, v) => (cfg.originalHost = v),
  }),

  // ---- Outputs: file/stdout ----
  flag({
    name: 'output-file',
    type: {
      name: 'path',
      example: "'requests-%Y%m%d.gor'",
      parse: (raw) => {
        noS3(raw);
        return stringType("'requests-%Y%m%d.gor'").parse(raw);
      },
    },
    metavar: 'PATH',
    repeatable: true,
    group: 'file',
    help: "Write copies to a .gor file. The path may use gor's %Y %m %d %H %M %S %NS %r %t and a .gz suffix.",
    apply: (cfg, v) => cfg.fileOutputs.push({ pathTemplate: v }),
  }),
  flag({
    name: 'output-file-append',
    type: boolType,
    group: 'file',
    help: 'Append to the file instead of starting numbered chunks.',
    apply: (cfg, v) => (cfg.outputFile.append = v),
  }),
  flag({
    name: 'output-file-size-limit',
    type: sizeType,
    default: '32mb',
    group: 'file',
    help: 'Start a new chunk when the file reaches this size (0: no limit).',
    apply: (cfg, v) => (cfg.outputFile.sizeLimitBytes = v),
  }),
  flag({
    name: 'output-file-max-size-limit',
    type: sizeType,
    default: '1tb',
    group: 'file',
    help: 'Stop writing to this output once it has written this much in all chunks (0: no limit); later copies are dropped as size_limit.',
    apply: (cfg, v) => (cfg.outputFile.maxSizeBytes = v),
  }),
  flag({
    name: 'output-file-queue-limit',
    type: intType({ min: 0, example: '256' }),
    default: '256',
    group: 'file',
    help: 'Records per chunk: start a new chunk after this many, as gor does (0: no limit; ignored with --output-file-append).',
    apply: (cfg, v) => (cfg.outputFile.queueLimit = v),
  }),
  flag({
    name: 'output-file-flush-interval',
    type: durationType,
    default: '1s',
    group: 'file',
    help: 'Flush buffered writes at least this often.',
    apply: (cfg, v) => {
      if (v === 0) throw new ValueError('0 would flush in a busy loop', 'use a positive duration, e.g. 1s');
      cfg.outputFile.flushIntervalMs = v;
    },
  }),
  flag({
    name: 'output-stdout',
    aliases: [deprecated('output-dummy')],
    type: boolType,
    group: 'file',
    help: 'Print copies to stdout (for a quick look).',
    apply: (cfg, v) => (cfg.outputStdout = v),
  }),
  flag({
    name: 'output-null',
    type: boolType,
    group: 'file',
    help: 'Discard copies (to measure the tap alone).',
    apply: (cfg, v) => (cfg.outputNull = v),
  }),
  flag({
    name: 'split-output',
    type: boolType,
    group: 'file',
    help: 'Send each copy to ONE output, round-robin, instead of to all of them.',
    apply: (cfg, v) => (cfg.splitOutput = v),
  }),

  // ---- Input: file replay ----
  flag({
    name: 'input-file',
    type: {
      name: 'path',
      example: "'requests.gor|200%'",
      parse: (raw) => {
        noS3(raw);
        return parseInputFile(raw);
      },
    },
    metavar: 'PATH[|N%]',
    repeatable: true,
    group: 'replay',
    help: "Replay mode: send the requests of a .gor capture (glob patterns work) to the outputs. 'file.gor|200%' replays at twice the recorded speed.",
    apply: (cfg, v) => cfg.inputFiles.push(v),
  }),
  flag({
    name: 'input-file-loop',
    type: boolType,
    group: 'replay',
    help: 'Start again from the beginning when the files end.',
    apply: (cfg, v) => (cfg.inputFileLoop = v),
  }),
  flag({
    name: 'input-file-max-wait',
    type: durationType,
    defaultHelp: 'no cap',
    group: 'replay',
    help: 'Longest pause between two replayed requests (skips quiet periods).',
    apply: (cfg, v) => (cfg.inputFileMaxWaitMs = v),
  }),
  flag({
    name: 'input-file-dry-run',
    type: boolType,
    group: 'replay',
    help: 'Read the files and report what would be replayed, without sending anything.',
    apply: (cfg, v) => (cfg.inputFileDryRun = v),
  }),

  // ---- Request modifiers ----
  modifier('http-allow-method', 'Mirror only requests with this method (repeat for several).', 'GET', [deprecated('output-http-method')]),
  modifier('http-allow-url', 'Mirror only requests whose URL matches this regexp.', "'^/api/'", [deprecated('output-http-url-regexp')]),
  modifier('http-disallow-url', "Don't mirror requests whose URL matches this regexp.", "'^/admin'"),
  modifier('http-allow-header', 'Mirror only requests whose header matches NAME:REGEXP.', "'api-version:^v1'", [deprecated('output-http-header-filter')]),
  modifier('http-disallow-header', "Don't mirror requests whose header matches NAME:REGEXP.", "'User-Agent: Replayed by Gor'"),
  modifier('http-basic-auth-filter', 'Mirror only requests whose decoded Basic auth matches this regexp.', "'^customer[0-9].*'"),
  modifier('http-header-limiter', 'Mirror a consistent fraction of requests by the hash of a header.', "'user-id:25%'", [deprecated('output-http-header-hash-filter')]),
  modifier('http-param-limiter', 'Mirror a consistent fraction of requests by the hash of a query parameter.', "'user_id:25%'"),
  modifier('http-rewrite-url', 'Rewrite the URL: REGEXP:REPLACEMENT.', "'/v1/user/([^/]+)/ping:/v2/user/$1/ping'", [deprecated('output-http-rewrite-url')]),
  modifier('http-rewrite-header', 'Rewrite a header: NAME: REGEXP,REPLACEMENT.', "'Host: (.*).example.com,$1.beta.example.com'"),
  modifier('http-set-header', 'Set a header on every copy.', "'Host: shadow.example.com'", [{ name: 'output-http-header', deprecated: false }]),
  modifier('http-set-param', 'Set a query parameter on every copy.', "'api_key=1'"),

  // ---- Middleware ----
  flag({
    name: 'middleware',
    type: stringType("'ruby bin/scrub.rb'"),
    metavar: 'COMMAND',
    group: 'middleware',
    help: "Pipe copies through this program (gor's middleware protocol: hex-encoded lines on stdin/stdout). Run without a shell.",
    apply: (cfg, v) => (cfg.middleware = v),
  }),

  // ---- Stats & logging ----
  flag({
    name: 'stats',
    aliases: [{ name: 'output-http-stats', deprecated: false }],
    type: boolType,
    group: 'stats',
    help: 'Log the stats line every 5s instead of every minute (unless --stats-interval is given).',
    apply: (cfg, v, ctx) => {
      if (!ctx.seen('stats-interval') && !ctx.seen('output-http-stats-ms')) cfg.statsIntervalMs = v ? 5000 : 60_000;
    },
  }),
  // ---- Admin surface (src/admin/): page, /api/report, /metrics, control ----
  flag({
    name: 'admin-listen',
    type: { name: 'addr', example: "'127.0.0.1:9090'", parse: parseListen },
    metavar: '[HOST]:PORT',
    group: 'stats',
    help:
      "Serve the admin page, /api/report, /metrics and the control API on this address, e.g. '127.0.0.1:9090'. " +
      'NO AUTH unless TRAFFIC_DUPLICATOR_ADMIN_TOKEN is set (then every request needs it, GET and POST): bind it to loopback or a private network.',
    apply: (cfg, v) => (cfg.adminListen = v),
  }),
  flag({
    name: 'admin-path',
    type: { name: 'path', example: '/__traffic-duplicator', parse: parseAdminPath },
    metavar: 'PATH',
    group: 'stats',
    help:
      'Serve the same admin surface on the public port under this path (Heroku routes only $PORT). Needs TRAFFIC_DUPLICATOR_ADMIN_TOKEN; ' +
      'without the right token it answers 404. Requests under this path are answered by us, never relayed to the app nor mirrored.',
    apply: (cfg, v) => (cfg.adminPath = v),
  }),
  flag({
    name: 'stats-interval',
    type: durationType,
    default: '1m',
    group: 'stats',
    help: 'How often to log the stats line (counts, drops by reason, queue depths).',
    apply: (cfg, v) => {
      if (v === 0) throw new ValueError('0 would log continuously', 'use a positive duration, e.g. 10s');
      cfg.statsIntervalMs = v;
    },
  }),
  flag({
    name: 'verbose',
    type: intType({ min: 0, max: 9, example: '1' }),
    metavar: '[LEVEL]',
    default: '0',
    optionalValue: { pattern: /^\d+$/, bare: '1' },
    group: 'stats',
    help: 'Debug logging: one line per copy (destination, method, target, status and latency, or why it was dropped), at most 100 a second. --verbose alone means 1; higher levels log the same.',
    apply: (cfg, v) => (cfg.verbose = v),
  }),
  flag({
    name: 'quiet',
    type: boolType,
    group: 'stats',
    help: 'Log only warnings and errors.',
    apply: (cfg, v) => (cfg.quiet = v),
  }),

  // ---- Accepted from old gor.options files ----
  flag({
    name: 'output-http-stats-ms',
    type: intType({ min: 1, example: '5000' }),
    metavar: 'MS',
    group: 'compat',
    help: 'gor spelling of --stats-interval, in milliseconds.',
    apply: (cfg, v) => (cfg.statsIntervalMs = v),
  }),
  flag({
    name: 'output-http-debug',
    type: boolType,
    group: 'compat',
    help: 'Same as --verbose 1 (one debug line per copy).',
    apply: (cfg, v, ctx) => {
      if (v) cfg.verbose = Math.max(cfg.verbose, 1);
      ctx.note(`${ctx.source}: ${ctx.given} is deprecated; use --verbose`);
    },
  }),
  flag({
    name: 'debug',
    type: boolType,
    group: 'compat',
    help: "Old gor's debug switch: same as --verbose 1.",
    apply: (cfg, v, ctx) => {
      if (v) cfg.verbose = Math.max(cfg.verbose, 1);
      ctx.note(`${ctx.source}: ${ctx.given} is deprecated; use --verbose`);
    },
  }),
  // ---- Compare (src/compare; flag specs in compare-flags.ts) ----
  ...compareFlagSpecs(boolType).map((spec) => flag(spec)),

  // ---- NATS JetStream (fleet capture and replay) ----
  ...natsFlags(flag, boolType),
  // ---- gor flags accepted and ignored ----
  ignoredFlag('input-http', stringType("':8080'"), 'ADDR', 'traffic-duplicator receives requests on $PORT (or --listen) already'),
  ignoredFlag('output-http-workers-min', intType({ min: 0, example: '1' }), 'N', 'workers are a fixed pool of --output-http-workers'),
  ignoredFlag('output-http-worker-timeout', durationType, 'DURATION', 'idle connections are managed by the connection pool'),
  ignoredFlag('input-file-read-depth', intType({ min: 0, example: '100' }), 'N', 'replay reads ahead as needed'),
  ignoredFlag(
    'output-http-redirects',
    intType({ min: 0, max: 20, example: '2' }),
    'N',
    "shadow requests never follow redirects (gor's default): a 3xx answer counts as delivered",
  ),
];

/** Every name and alias → its flag. */
// ---- Output bounds gor has no flag for ----
/**
 * The queue bounds and timings of the outputs that no flag sets, kept here beside the flag
 * defaults so that every output default has one home (outputs take them all as required
 * options; engine/outputs.ts passes them).
 */
export const OUTPUT_INTERNALS = {
  /** Records waiting for the disk. */
  fileQueue: { maxItems: 100_000, maxBytes: 64 * 1024 * 1024 },
  /** Records waiting for a slow reader of stdout. */
  stdoutQueue: { maxItems: 10_000, maxBytes: 16 * 1024 * 1024 },
  /** --output-null delivers every turn; the bound only caps one burst. */
  nullQueue: { maxItems: 10_000, maxBytes: 64 * 1024 * 1024 },
  middleware: {
    /** Lines waiting for the child's stdin (gor's channel holds 1000). */
    queue: { maxItems: 1000, maxBytes: 32 * 1024 * 1024 },
    /** A message not echoed within this time is counted `middleware_dropped`. */
    pendingTimeoutMs: 10_000,
    maxPending: 10_000,
    /** Restart backoff after the child exits: doubled per consecutive crash. */
    restartDelayMs: 100,
    maxRestartDelayMs: 30_000,
  },
} as const;

export const FLAG_BY_NAME: ReadonlyMap<string, { flag: Flag; alias?: Alias }> = (() => {
  const m = new Map<string, { flag: Flag; alias?: Alias }>();
  for (const f of FLAGS) {
    if (m.has(f.name)) throw new Error(`duplicate flag ${f.name}`);
    m.set(f.name, { flag: f });
    for (const a of f.aliases) {
      if (m.has(a.name)) throw new Error(`duplicate flag ${a.name}`);
      m.set(a.name, { flag: f, alias: a });
    }
  }
  m.set('h', { flag: FLAGS.find((f) => f.name === 'help')! });
  return m;
})();
