import { readFileSync } from 'node:fs';
import { parseInvocation, parseStartInvocation, formatUsageError, type Config } from '../config/index.js';
import { UsageError, EXIT_USAGE } from '../core/errors.js';
import { createLogger, type Logger } from '../telemetry/logger.js';
import { loadOptionalParts, planMirror, startMirror, type MirrorPlan } from '../engine/mirror-engine.js';
import { runWrapped } from '../modes/wrap.js';
import { runSidecar } from '../modes/sidecar.js';
import { runReplay } from '../modes/replay.js';
import { runNatsReplay } from '../modes/nats-replay.js';
import { runPassthrough } from '../modes/passthrough.js';
import { NO_MIRROR } from '../modes/mirror.js';
import { splitGrace } from '../modes/shutdown.js';
import { openNats, runNatsToolCli, type OpenedNats } from './nats.js';

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
}

/** Parses, validates, and runs the chosen mode. Resolves with the process exit status. */
export async function run(entry: Entry, argv: string[], deps: RunDeps = {}): Promise<number> {
  const env = deps.env ?? process.env;
  const stdout = deps.stdout ?? ((t: string) => void process.stdout.write(t));
  const stderr = deps.stderr ?? ((t: string) => void process.stderr.write(t));

  if (entry === 'traffic-duplicator' && (argv[0] === 'nats-export' || argv[0] === 'nats-import')) return runNatsToolCli(argv[0], argv.slice(1), { stdout, stderr });

  let config: Config;
  let plan: MirrorPlan;
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
    plan = planMirror(config);
  } catch (err) {
    if (err instanceof UsageError) {
      stderr(formatUsageError(err) + '\n');
      return EXIT_USAGE;
    }
    throw err;
  }

  plan = await loadOptionalParts(plan);
  const log = createLogger({ quiet: config.quiet });
  for (const note of config.notes) log.info('note', { msg: note });
  // NATS is reached (stream checked, consumer found) before anything is spawned or bound.
  let nats: OpenedNats;
  try {
    nats = await openNats(config, log, env);
  } catch (err) {
    if (err instanceof UsageError) {
      stderr(formatUsageError(err) + '\n');
      return EXIT_USAGE;
    }
    throw err;
  }
  if (config.exitAfterMs !== undefined) scheduleExitAfter(config.exitAfterMs, log);

  if (!config.enabled && config.mode === 'wrap') return runPassthrough(config.command, env, log, config.shutdownGraceMs);
  const mirrorOn = config.enabled;
  const startEngine = () => {
    const engine = startMirror(plan, { log, natsPublisher: nats.publisher });
    if (engine.outputCount === 0 && config.mode !== 'replay') {
      log.warn('no-outputs', { msg: 'no --output-* configured: relaying only, nothing is mirrored', options_files: config.sources.join(',') || 'none' });
    } else {
      log.info('mirroring', describeOutputs(config));
    }
    return engine;
  };

  switch (config.mode) {
    case 'wrap':
      return runWrapped({
        command: config.command,
        publicPort: config.listen!.port,
        publicHost: config.listen!.host,
        env,
        log,
        shutdownGraceMs: config.shutdownGraceMs,
        createMirror: startEngine,
      });
    case 'sidecar':
      return runSidecar({
        listen: config.listen!,
        upstream: config.upstream!,
        log,
        shutdownGraceMs: config.shutdownGraceMs,
        mirror: mirrorOn ? startEngine() : NO_MIRROR,
      });
    case 'replay':
      if (nats.input) {
        const engine = startEngine();
        return runNatsReplay({ input: nats.input(engine), engine, log, flushMs: splitGrace(config.shutdownGraceMs).flushMs });
      }
      return runReplay({
        input: {
          files: config.inputFiles,
          loop: config.inputFileLoop,
          maxWaitMs: config.inputFileMaxWaitMs,
          dryRun: config.inputFileDryRun,
          // --compare compares the recorded answers (type 2) with the destinations'.
          includeResponses: config.compare.enabled,
        },
        engine: startEngine(),
        log,
        flushMs: splitGrace(config.shutdownGraceMs).flushMs,
      });
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
