/**
 * Entry points of the config module: turn argv + the options file + the environment into an
 * Invocation (help, version, or a fully validated Config), or throw a UsageError that the CLI
 * prints with formatUsageError and exits 2 — before anything is started.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import type { ListenAddress } from '../core/addresses.js';
import { baseConfig, type Config, type ConfigDraft } from './config.js';
import { FLAG_BY_NAME } from './flags.js';
import { helpText } from './help.js';
import { applyDefaults, applyOccurrences, scanWords, splitFlagWord, type FlagOccurrence } from './parse.js';
import { tokenizeOptions } from './tokenize.js';
import { checkCompare } from './compare-flags.js';

export type { Config, HttpDestination, IgnoredFlag, InputFile, PassthroughConfig, ReplayConfig, SidecarConfig, WrapConfig } from './config.js';
export { FLAGS, GROUPS, type Flag } from './flags.js';
export { helpText } from './help.js';

export type Invocation = { kind: 'help'; text: string } | { kind: 'version' } | { kind: 'run'; config: Config };

export interface ParseDeps {
  /** Returns the file's text, or undefined if it does not exist. Default: fs.readFileSync. */
  readFile?: (path: string) => string | undefined;
  /** Directory the options file path is relative to. Default: process.cwd(). */
  cwd?: string;
}

export const DEFAULT_OPTIONS_FILE = 'config/gor.options';
export const ENV_OPTIONS_FILE = 'TRAFFIC_DUPLICATOR_OPTIONS_FILE';
export const ENV_ENABLED = 'TRAFFIC_DUPLICATOR_ENABLED';
export const ENV_ADMIN_TOKEN = 'TRAFFIC_DUPLICATOR_ADMIN_TOKEN';

/** `traffic-duplicator [flags] [-- command...]`. */
export function parseInvocation(argv: string[], env: NodeJS.ProcessEnv, deps: ParseDeps = {}): Invocation {
  const early = earlyExit(argv);
  if (early) return early;
  const scanned = scanWords(
    argv.map((text) => ({ text })),
    { kind: 'argv' },
  );
  const explicitFile = [...scanned.occurrences].reverse().find((o) => o.flag.name === 'options-file')?.raw;
  return { kind: 'run', config: build(scanned.occurrences, scanned.command, env, deps, explicitFile) };
}

/**
 * `start-traffic-duplicator APP COMMAND...` (the Procfile form): every argument is the app's
 * command; options come from the options file (or env) only. The one exception: a lone
 * `--help`/`-h`/`--version` prints help/version, as no app command starts that way.
 */
export function parseStartInvocation(argv: string[], env: NodeJS.ProcessEnv, deps: ParseDeps = {}): Invocation {
  if (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h')) return { kind: 'help', text: helpText() };
  if (argv.length === 1 && argv[0] === '--version') return { kind: 'version' };
  if (argv.length === 0) {
    throw new UsageError(
      'TD_BAD_USAGE',
      'start-traffic-duplicator needs the command that starts your app',
      'e.g. in the Procfile: web: start-traffic-duplicator bundle exec rails s -p $PORT',
    );
  }
  if (argv[0]!.startsWith('-')) {
    // `start-traffic-duplicator --output-http URL rails s` would otherwise try to run a
    // program called --output-http (spawn ENOENT, exit 127) with no word about why.
    throw new UsageError(
      'TD_BAD_USAGE',
      `start-traffic-duplicator takes only your app's command, not flags (got ${argv[0]})`,
      `put flags in ${DEFAULT_OPTIONS_FILE} (or the file named by ${ENV_OPTIONS_FILE}), or use: traffic-duplicator ${argv[0]} ... -- APP COMMAND`,
    );
  }
  try {
    return { kind: 'run', config: build([], argv, env, deps, undefined) };
  } catch (err) {
    if (err instanceof UsageError && err.code === 'TD_MISSING_PORT') {
      // This entry point has no --listen flag: say what fits it.
      throw new UsageError(
        'TD_MISSING_PORT',
        'start-traffic-duplicator serves your app on $PORT, and PORT is not set',
        `on Heroku PORT is always set; elsewhere run it as PORT=8080 start-traffic-duplicator ${argv.join(' ')}`,
      );
    }
    throw err;
  }
}

/** "traffic-duplicator: error: …\n  hint: …\n  see: traffic-duplicator --help". */
export function formatUsageError(err: UsageError): string {
  const lines = [`traffic-duplicator: error: ${err.message}`];
  if (err.hint) lines.push(`  hint: ${err.hint}`);
  lines.push('  see: traffic-duplicator --help');
  return lines.join('\n');
}

/** --help / -h / --version anywhere among the flags answer at once, even if the rest is broken. */
function earlyExit(argv: string[]): Invocation | undefined {
  for (let i = 0; i < argv.length; i++) {
    const w = splitFlagWord(argv[i]!);
    if (argv[i] === '--') return undefined;
    if (!w) continue; // a value (perhaps of a flag we don't know), or a stray word
    if (w.value === undefined && (w.name === 'h' || w.name === 'help')) return { kind: 'help', text: helpText() };
    if (w.value === undefined && w.name === 'version') return { kind: 'version' };
    const f = FLAG_BY_NAME.get(w.name)?.flag;
    if (f && !f.isBool && !f.optionalValue && w.value === undefined) i++; // skip its value
  }
  return undefined;
}

function build(argvOccurrences: FlagOccurrence[], command: string[] | undefined, env: NodeJS.ProcessEnv, deps: ParseDeps, explicitFile: string | undefined): Config {
  const enabled = parseEnabled(env);
  const once = (readOptionsFile: boolean) => buildOnce({ argvOccurrences, command, env, deps, explicitFile, readOptionsFile, enabled });
  if (enabled) return once(true);
  // Kill switch on: a broken options file must not keep the app from starting.
  try {
    return once(true);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    const cfg = once(false);
    cfg.notes.push(`options file not used because mirroring is off: ${err.message}`);
    return cfg;
  }
}

function buildOnce(o: {
  argvOccurrences: FlagOccurrence[];
  command: string[] | undefined;
  env: NodeJS.ProcessEnv;
  deps: ParseDeps;
  explicitFile: string | undefined;
  readOptionsFile: boolean;
  enabled: boolean;
}): Config {
  const cfg = baseConfig();
  cfg.enabled = o.enabled;
  if (!o.enabled) cfg.notes.push(`mirroring is off (${ENV_ENABLED}=${o.env[ENV_ENABLED]}): wrap mode runs the command unchanged, sidecar mode relays only`);
  applyDefaults(cfg);
  const fileOccurrences = o.readOptionsFile ? loadOptionsFile(cfg, o.env, o.deps, o.explicitFile) : [];
  applyOccurrences(cfg, [...fileOccurrences, ...o.argvOccurrences]);
  const config = resolveMode(cfg, o.command, o.env);
  resolveAdmin(config, o.env);
  checkCompare(config);
  return config;
}

function loadOptionsFile(cfg: ConfigDraft, env: NodeJS.ProcessEnv, deps: ParseDeps, explicitFile: string | undefined): FlagOccurrence[] {
  const fromEnv = env[ENV_OPTIONS_FILE];
  const named = explicitFile ?? (fromEnv ? fromEnv : undefined);
  const path = named ?? DEFAULT_OPTIONS_FILE;
  const absolute = resolve(deps.cwd ?? process.cwd(), path);
  let text: string | undefined;
  try {
    text = (deps.readFile ?? readIfExists)(absolute);
  } catch (err) {
    throw new UsageError('TD_OPTIONS_FILE', `cannot read options file ${path}: ${(err as Error).message}`, 'check the path and its permissions');
  }
  if (text === undefined) {
    if (named === undefined) return [];
    const how = explicitFile !== undefined ? '--options-file' : ENV_OPTIONS_FILE;
    throw new UsageError('TD_OPTIONS_FILE', `options file ${path} (from ${how}) does not exist (looked in ${absolute})`, `fix the path, or unset ${how} to use ${DEFAULT_OPTIONS_FILE} if it exists`);
  }
  const { tokens, unsetByLine } = tokenizeOptions(text, env, path);
  cfg.sources.push(path);
  return scanWords(tokens, { kind: 'file', path, unsetByLine }).occurrences;
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function parseEnabled(env: NodeJS.ProcessEnv): boolean {
  const raw = env[ENV_ENABLED];
  if (raw === undefined) return true;
  const v = raw.trim().toLowerCase();
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  if (['', 'true', '1', 'yes', 'on'].includes(v)) return true;
  throw new UsageError('TD_BAD_VALUE', `environment: ${ENV_ENABLED}="${raw}" is not on or off`, `use ${ENV_ENABLED}=false to turn mirroring off, or unset it`);
}

function envPort(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.PORT;
  if (raw === undefined || raw.trim() === '') return undefined;
  if (!/^\d{1,5}$/.test(raw.trim()) || Number(raw) < 1 || Number(raw) > 65535) {
    throw new UsageError('TD_BAD_VALUE', `environment: PORT="${raw}" is not a port`, 'PORT must be a number from 1 to 65535, e.g. PORT=8080');
  }
  return Number(raw);
}

function listenFromEnv(env: NodeJS.ProcessEnv, mode: string): ListenAddress {
  const port = envPort(env);
  if (port === undefined) {
    throw new UsageError(
      'TD_MISSING_PORT',
      `${mode} mode needs a port to listen on: PORT is not set and --listen was not given`,
      'on Heroku PORT is always set; elsewhere set PORT=8080 or pass --listen :8080',
    );
  }
  return { host: '::', port };
}

const NOTHING_TO_DO =
  'wrap your app: traffic-duplicator [flags] -- bundle exec rails s; or relay to a running app: --upstream http://127.0.0.1:3000 --listen :8080; or replay a capture: --input-file requests.gor --output-http URL';

/** Decides the mode from what was given, and checks that the mode has what it needs. */
function resolveMode(cfg: ConfigDraft, command: string[] | undefined, env: NodeJS.ProcessEnv): Config {
  const hasOutputs = cfg.httpOutputs.length + cfg.fileOutputs.length > 0 || cfg.outputStdout || cfg.outputNull || cfg.nats.output.connection !== undefined;
  if (cfg.nats.input.connection) return resolveNatsReplay(cfg, command, hasOutputs);
  let config: Config;
  if (command !== undefined) {
    if (command.length === 0) throw new UsageError('TD_BAD_USAGE', 'nothing after --: the app command is missing', 'e.g. traffic-duplicator --output-http https://shadow.example.com -- bundle exec rails s');
    if (cfg.upstream) {
      throw new UsageError('TD_BAD_USAGE', '--upstream and an app command after -- both name the app', 'wrap mode runs the command after -- and relays to it: drop --upstream (or drop the command to relay to a running app)');
    }
    if (cfg.inputFiles.length) {
      throw new UsageError('TD_BAD_USAGE', '--input-file replays a capture and cannot be combined with wrapping an app', 'run the replay separately: traffic-duplicator --input-file FILE --output-http URL');
    }
    const listen = cfg.listen ?? listenFromEnv(env, 'wrap');
    // The kill switch runs the command as given; the PORT check above still applies, as before.
    config = cfg.enabled ? { ...cfg, mode: 'wrap', command, listen } : { ...cfg, mode: 'passthrough', command };
  } else if (cfg.upstream) {
    if (cfg.inputFiles.length) {
      throw new UsageError('TD_BAD_USAGE', '--input-file replays a capture and cannot be combined with --upstream', 'run the replay separately: traffic-duplicator --input-file FILE --output-http URL');
    }
    config = { ...cfg, mode: 'sidecar', upstream: cfg.upstream, listen: cfg.listen ?? listenFromEnv(env, 'sidecar') };
  } else if (cfg.inputFiles.length) {
    if (cfg.listen) throw new UsageError('TD_BAD_USAGE', '--listen has no use when replaying --input-file', 'drop --listen, or add --upstream to relay live traffic instead');
    if (!hasOutputs && !cfg.inputFileDryRun) {
      throw new UsageError('TD_BAD_USAGE', 'replaying --input-file needs somewhere to send the requests', 'add --output-http URL (or --output-stdout, or --input-file-dry-run)');
    }
    return { ...cfg, mode: 'replay' };
  } else if (cfg.listen) {
    throw new UsageError('TD_BAD_USAGE', '--listen needs an app to relay to', 'add --upstream http://127.0.0.1:3000 (sidecar), or put the app command after -- (wrap)');
  } else {
    throw new UsageError('TD_BAD_USAGE', 'nothing to do: no app command, --upstream or --input-file', NOTHING_TO_DO);
  }
  if (!hasOutputs && cfg.enabled) {
    const where = cfg.sources.length ? `in ${cfg.sources.join(', ')} or the command line` : `(no ${DEFAULT_OPTIONS_FILE} found)`;
    cfg.notes.push(`no outputs configured ${where}: relaying only, nothing is mirrored`);
  }
  return config;
}

/** Shortest token we accept: the admin path is on the public internet, so it must not be guessable. */
const MIN_ADMIN_TOKEN_LENGTH = 16;

/** The admin surface: the token comes from the environment only (never a flag, so it stays out of `ps`). */
function resolveAdmin(cfg: Config, env: NodeJS.ProcessEnv): void {
  const token = env[ENV_ADMIN_TOKEN];
  if (token !== undefined && token !== '') {
    if (token.length < MIN_ADMIN_TOKEN_LENGTH) {
      throw new UsageError('TD_BAD_VALUE', `environment: ${ENV_ADMIN_TOKEN} is ${token.length} characters; at least ${MIN_ADMIN_TOKEN_LENGTH} are needed`, 'e.g. heroku config:set TRAFFIC_DUPLICATOR_ADMIN_TOKEN=$(openssl rand -hex 24)');
    }
    cfg.adminToken = token;
  }
  if (cfg.adminPath !== undefined && cfg.adminToken === undefined) {
    throw new UsageError(
      'TD_BAD_USAGE',
      `--admin-path ${cfg.adminPath} serves the admin surface on the public port and needs ${ENV_ADMIN_TOKEN} to be set`,
      `set it, e.g. heroku config:set ${ENV_ADMIN_TOKEN}=$(openssl rand -hex 24), or use --admin-listen 127.0.0.1:9090 instead`,
    );
  }
  if (cfg.adminPath !== undefined && cfg.mode === 'replay') {
    throw new UsageError('TD_BAD_USAGE', '--admin-path needs a public port, and replaying --input-file has none', 'use --admin-listen 127.0.0.1:9090 instead');
  }
}

/** --input-nats: replay mode like --input-file, reading from the stream instead of files. */
function resolveNatsReplay(cfg: ConfigDraft, command: string[] | undefined, hasOutputs: boolean): Config {
  const other = command !== undefined ? 'an app command after --' : cfg.upstream ? '--upstream' : cfg.listen ? '--listen' : cfg.inputFiles.length ? '--input-file' : undefined;
  if (other) {
    throw new UsageError('TD_BAD_USAGE', `--input-nats replays the stream and cannot be combined with ${other}`, 'run the replayer as its own process: traffic-duplicator --input-nats URL --output-http URL');
  }
  if (!hasOutputs) throw new UsageError('TD_BAD_USAGE', 'replaying --input-nats needs somewhere to send the requests', 'add --output-http URL (or --output-file, --output-stdout)');
  return { ...cfg, mode: 'replay' };
}
