/**
 * Opens the NATS side of a run before anything is spawned or bound, so bad NATS input (refused
 * credentials, a missing stream, an unreachable broker for a replayer) exits 2 with nothing
 * started. The clients are loaded only when a NATS flag is given.
 */
import { formatUsageError, type Config } from '../config/index.js';
import { EXIT_USAGE, UsageError } from '../core/errors.js';
import { createLogger } from '../telemetry/logger.js';
import { PROCESS, TAP } from '../telemetry/stats.js';
import type { Logger } from '../telemetry/logger.js';
import type { MirrorEngine } from '../engine/mirror-engine.js';
import type { NatsPublisher } from '../outputs/nats-output.js';
import type { NatsInput } from '../inputs/nats-input.js';

export interface OpenedNats {
  publisher?: NatsPublisher;
  /** --input-nats: binds the opened input to the engine it feeds. */
  input?: (engine: MirrorEngine) => NatsInput;
}

export async function openNats(config: Config, log: Logger, env: NodeJS.ProcessEnv): Promise<OpenedNats> {
  const out: OpenedNats = {};
  if (!config.enabled) return out;
  if (config.nats.output.connection) {
    const { openNatsPublisher } = await import('../outputs/nats-output.js');
    out.publisher = await openNatsPublisher(config.nats.output, { log, env });
  }
  if (config.nats.input.connection && config.mode === 'replay') {
    const { openNatsInput } = await import('../inputs/nats-input.js');
    let engine: MirrorEngine | undefined;
    try {
      const input = await openNatsInput(config.nats.input, {
        emit: (msg) => engine!.input(msg),
        get stats() {
          return engine!.stats;
        },
        log,
        // Recorded answers (--output-nats-responses) for whoever uses them: a file, stdout,
        // the middleware, --compare (as for a file replay). Asked once the engine exists.
        get includeResponses() {
          return engine!.usesResponses;
        },
        outstanding: () => outputsOutstanding(engine!),
      });
      out.input = (e) => {
        engine = e;
        return input;
      };
    } catch (err) {
      out.publisher?.abort();
      await out.publisher?.nc?.close().catch(() => {});
      throw err;
    }
  }
  return out;
}

type ToolIo = { stdout: (t: string) => void; stderr: (t: string) => void };

/** A subcommand: `--help`/`-h` prints its help; a UsageError is printed in the usual format and exits 2. */
async function runToolCli(argv: string[], io: ToolIo, help: string, run: () => Promise<number>): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout(help);
    return 0;
  }
  try {
    return await run();
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(formatUsageError(err) + '\n');
      return EXIT_USAGE;
    }
    throw err;
  }
}

/** `traffic-duplicator nats-export|nats-import ...`: the tools, with their own small options. */
export async function runNatsToolCli(tool: 'nats-export' | 'nats-import', argv: string[], io: ToolIo): Promise<number> {
  const { runNatsTool, NATS_TOOLS_HELP } = await import('../tools/nats-tools.js');
  return runToolCli(argv, io, NATS_TOOLS_HELP, () => runNatsTool(tool, argv, createLogger()));
}

/** `traffic-duplicator report --input-nats ...`: the fleet's comparison report (tools/fleet-report.ts). */
export async function runFleetReportCli(argv: string[], io: ToolIo): Promise<number> {
  const { runFleetReport, FLEET_REPORT_HELP } = await import('../tools/fleet-report.js');
  return runToolCli(argv, io, FLEET_REPORT_HELP, () => runFleetReport(argv, io, createLogger()));
}

/** Copies the outputs were offered and have not settled yet (mirrored, dropped or failed). */
function outputsOutstanding(engine: MirrorEngine): number {
  let n = 0;
  for (const dest of engine.stats.destinations()) {
    if (dest === PROCESS || dest === TAP) continue;
    const e = engine.stats.entry(dest);
    let settled = e.mirrored;
    for (const v of Object.values(e.dropped)) settled += v ?? 0;
    for (const v of Object.values(e.errors)) settled += v;
    n += Math.max(0, e.seen - settled);
  }
  return n;
}
