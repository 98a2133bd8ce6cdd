import { readFileSync } from 'node:fs';
import { parseInvocation, parseStartInvocation, formatUsageError, type Config } from '../config/index.js';
import { UsageError, EXIT_USAGE } from '../core/errors.js';
import { createLogger, type Logger } from '../telemetry/logger.js';
import { loadOptionalParts, planMirror, startMirror, type MirrorEngine } from '../engine/mirror-engine.js';
import { checkNoSelfLoop } from '../engine/self-loop.js';
import type { runWrapped } from '../modes/wrap.js';
import type { runSidecar } from '../modes/sidecar.js';
import type { runReplay } from '../modes/replay.js';
import type { runPassthrough } from '../modes/passthrough.js';
import { NO_MIRROR } from '../core/mirror.js';
import { splitGrace } from '../modes/shutdown.js';
import { openNats, runFleetReportCli, runNatsToolCli, type OpenedNats } from './nats.js';

export type Entry = 'traffic-duplicator' | 'start-traffic-duplicator';

export function packageVersion(): string {
  try {
    // Two levels up from both src/cli and dist/cli.
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export interface RunDeps {
  env?: NodeJS.ProcessEnv;
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
  /** Where log lines go (default: stderr). */
  log?: Logger;
  /** The modes and the engine, replaced by tests of the mode selection. */
  modes?: Partial<Modes>;
}

/** What run() dispatches to: one entry per mode, and the mirroring engine. */
export interface Modes {
  runWrapped: typeof runWrapped;
  runSidecar: typeof runSidecar;
  runReplay: typeof runReplay;
  runPassthrough: typeof runPassthrough;
  startMirror: typeof startMirror;
}

// Each mode's module loads only when its mode runs (issue 8: a sidecar loads no child-process
// supervision, a wrapper no .gor reader; every module costs resident memory).
const REAL_MODES: Modes = {
  runWrapped: async (options) => (await import('../modes/wrap.js')).runWrapped(options),
  runSidecar: async (options) => (await import('../modes/sidecar.js')).runSidecar(options),
  runReplay: async (options) => (await import('../modes/replay.js')).runReplay(options),
  runPassthrough: async (...args) => (await import('../modes/passthrough.js')).runPassthrough(...args),
  startMirror,
};

/** Parses, validates, and runs the chosen mode. Resolves with the process exit status. */
export async function run(entry: Entry, argv: string[], deps: RunDeps = {}): Promise<number> {
  const env = deps.env ?? process.env;
  const stdout = deps.stdout ?? ((t: string) => void process.stdout.write(t));
  const stderr = deps.stderr ?? ((t: string) => void process.stderr.write(t));
  const modes: Modes = { ...REAL_MODES, ...deps.modes };

  if (entry === 'traffic-duplicator' && (argv[0] === 'nats-export' || argv[0] === 'nats-import')) return runNatsToolCli(argv[0], argv.slice(1), { stdout, stderr });
  if (entry === 'traffic-duplicator' && argv[0] === 'report') return runFleetReportCli(argv.slice(1), { stdout, stderr });

  let config: Config;
  let log: Logger;
  let engine: MirrorEngine | undefined;
  let nats: OpenedNats = {};
  // Every check a user can fail happens here, before the app is spawned or a port bound:
  // a UsageError from parsing, the modifiers, the input files or an output's construction
  // is printed in the usual format and exits 2.
  try {
    const invocation = entry === 'start-traffic-duplicator' ? parseStartInvocation(argv, env) : parseInvocation(argv, env);
    if (invocation.kind === 'help') {
      stdout(invocation.text.endsWith('\n') ? invocation.text : invocation.text + '\n');
      return 0;
    }
    if (invocation.kind === 'version') {
      stdout(`traffic-duplicator ${packageVersion()}\n`);
      return 0;
    }
    config = invocation.config;
    // Lazy parts (--compare's engine) are loaded only when configured.
    const plan = await loadOptionalParts(planMirror(config));
    if (config.mode === 'wrap' || config.mode === 'sidecar') checkNoSelfLoop(config.listen, config.httpOutputs);
    // A missing file or a glob that matches nothing is known now, not after `at=mirroring`.
    if (config.inputFiles.length > 0) {
      const { expandFilePattern } = await import('../inputs/file-input-glob.js');
      for (const f of config.inputFiles) await expandFilePattern(f.pattern);
    }

    log = deps.log ?? createLogger({ quiet: config.quiet });
    for (const note of config.notes) log.info('note', { msg: note });
    for (const i of config.ignoredFlags) log.info('flag-ignored', { flag: i.flag, from: i.source, why: i.why });
    // Built before the app boots (wrap mode), so an output that cannot be built stops us
    // here and HTTP outputs can open connections while the app starts.
    const mirrorOn = config.enabled || config.mode === 'replay';
    // NATS is reached (stream checked, consumer found) before anything is spawned or bound.
    if (mirrorOn) nats = await openNats(config, log, env);
    if (mirrorOn) engine = modes.startMirror(plan, { log, natsPublisher: nats.publisher });
  } catch (err) {
    if (err instanceof UsageError) {
      stderr(formatUsageError(err) + '\n');
      return EXIT_USAGE;
    }
    throw err;
  }

  if (config.exitAfterMs !== undefined) scheduleExitAfter(config.exitAfterMs, log);
  if (engine) {
    if (engine.outputCount === 0 && config.mode !== 'replay') {
      log.warn('no-outputs', { msg: 'no --output-* configured: relaying only, nothing is mirrored', options_files: config.sources.join(',') || 'none' });
    } else {
      log.info('mirroring', describeOutputs(config));
    }
  }

  switch (config.mode) {
    case 'passthrough':
      return modes.runPassthrough(config.command, env, log, config.shutdownGraceMs);
    case 'wrap':
      return modes.runWrapped({
        command: config.command,
        publicPort: config.listen.port,
        publicHost: config.listen.host,
        env,
        log,
        shutdownGraceMs: config.shutdownGraceMs,
        mirror: engine ?? NO_MIRROR,
      });
    case 'sidecar':
      return modes.runSidecar({
        listen: config.listen,
        upstream: config.upstream,
        log,
        shutdownGraceMs: config.shutdownGraceMs,
        mirror: engine ?? NO_MIRROR,
      });
    case 'replay': {
      // mirrorOn is always true in replay mode: the engine is there.
      const mirror = engine!;
      if (nats.input) return (await import('../modes/nats-replay.js')).runNatsReplay({ input: nats.input(mirror), mirror, log, flushMs: splitGrace(config.shutdownGraceMs).flushMs });
      return modes.runReplay({
        input: {
          files: config.inputFiles,
          loop: config.inputFileLoop,
          maxWaitMs: config.inputFileMaxWaitMs,
          dryRun: config.inputFileDryRun,
          // Recorded answers (types 2 and 3) for whoever uses them: a file, stdout, NATS, the
          // middleware, --compare. Otherwise they are skipped (and counted) unparsed.
          includeResponses: mirror.usesResponses,
        },
        mirror,
        stats: mirror.stats,
        log,
        flushMs: splitGrace(config.shutdownGraceMs).flushMs,
      });
    }
  }
}

function describeOutputs(config: Config): Record<string, string | number> {
  return {
    http: config.httpOutputs.map((o) => o.url + (o.limit ? `|${o.limit.n}${o.limit.kind === 'percent' ? '%' : ''}` : '')).join(',') || undefined,
    files: config.fileOutputs.map((f) => f.pathTemplate).join(',') || undefined,
    stdout: config.outputStdout ? 1 : undefined,
    nats: config.nats.output.connection ? `${config.nats.output.connection.servers.join(',')}/${config.nats.output.stream}` : undefined,
    middleware: config.middleware,
    modifiers: config.modifierFlags.length || undefined,
  } as Record<string, string | number>;
}

/** gor's --exit-after: a graceful stop after the given time, as if SIGTERM had arrived. */
function scheduleExitAfter(ms: number, log: Logger): void {
  const timer = setTimeout(() => {
    log.info('exit-after', { after_ms: ms });
    process.kill(process.pid, 'SIGTERM');
  }, ms);
  timer.unref();
}
