import type { Config } from '../config/index.js';
import type { Message } from '../core/message.js';
import type { Logger } from '../telemetry/logger.js';
import { Stats, PROCESS, CPU_PERCENT, EVENT_LOOP_BUSY_PERCENT } from '../telemetry/stats.js';
import { startStatsReporter } from '../telemetry/reporter.js';
import { createDebugLog } from '../telemetry/debug-log.js';
import type { Pipeline } from '../pipeline/types.js';
import { IDENTITY_PIPELINE } from '../pipeline/identity.js';
import { FanOut } from '../outputs/fan-out.js';
import { createTap } from '../inputs/tap.js';
import { splitCommandLine } from '../gor/command-line.js';
import type { Mirror } from '../core/mirror.js';
import { Router } from './router.js';
import { createOutputs, loadOutputModules, middlewareOptions, type OutputModules } from './outputs.js';
import { DestinationGate } from './destination-gate.js';
import { adminConfigured } from '../admin/configured.js';
import type { AdminSurface } from '../admin/index.js';
import type { Comparison } from '../compare/index.js';
import type { CompareWiring } from '../compare/wiring.js';
import type { NatsPublisher } from '../outputs/nats-output.js';
import type { SummaryPublisher } from '../nats/compare-summary.js';

/**
 * Everything that can reject the configuration, done before anything starts (so bad
 * input exits 2 with nothing spawned or bound): splitting the middleware command here,
 * compiling the modifier regexes in loadOptionalParts.
 */
export interface MirrorPlan {
  readonly config: Config;
  /** The identity until loadOptionalParts compiled the modifier flags (only when some are given). */
  readonly pipeline: Pipeline;
  /** The outputs' modules the configuration needs beyond HTTP (file, stdout, NATS), loaded by loadOptionalParts. */
  readonly outputModules?: OutputModules;
  /** Comparison summaries on NATS, loaded only with --compare and --output-nats together. */
  readonly natsSummary?: typeof import('../nats/compare-summary.js');
  /** gor's middleware protocol, loaded only with --middleware. */
  readonly middleware?: typeof import('../gor/middleware.js');
  /** The comparison module, loaded by loadOptionalParts only when --compare is on. */
  readonly compare?: typeof import('../compare/wiring.js');
  /** The admin surface (node:http, node:crypto, prom-client), loaded only when an admin flag is set. */
  readonly admin?: typeof import('../admin/index.js');
}

export function planMirror(config: Config): MirrorPlan {
  // A middleware command that cannot be split is the user's to fix: say so now, not after the app booted.
  if (config.middleware !== undefined) splitCommandLine(config.middleware);
  return { config, pipeline: IDENTITY_PIPELINE };
}

/**
 * Loads the modules of optional features the configuration turns on (nothing of them loads
 * otherwise: issue 8, every module costs resident memory in the app's dyno), async and
 * before anything starts, so the hot path stays synchronous. Compiling the modifiers may
 * throw a UsageError: still before anything is spawned or bound.
 */
export async function loadOptionalParts(plan: MirrorPlan): Promise<MirrorPlan> {
  const { config } = plan;
  const pipeline = config.modifierFlags.length > 0 ? (await import('../pipeline/compile.js')).compileModifiers(config.modifierFlags) : plan.pipeline;
  const compare = config.compare.enabled && config.enabled ? await import('../compare/wiring.js') : undefined;
  const admin = adminConfigured(config) ? await import('../admin/index.js') : undefined;
  const middleware = config.middleware !== undefined ? await import('../gor/middleware.js') : undefined;
  const natsSummary = compare && config.nats.output.connection ? await import('../nats/compare-summary.js') : undefined;
  const outputModules = await loadOutputModules(config);
  return {
    ...plan,
    pipeline,
    outputModules,
    ...(compare ? { compare } : {}),
    ...(admin ? { admin } : {}),
    ...(middleware ? { middleware } : {}),
    ...(natsSummary ? { natsSummary } : {}),
  };
}

export interface MirrorEngine extends Mirror {
  readonly stats: Stats;
  /** How many outputs copies go to (0 = relay only). */
  readonly outputCount: number;
  /** --compare: the report and counts (for the admin surface); undefined when off. */
  readonly comparison?: Comparison;
  /**
   * Whether answers are used: kept by a file, stdout, NATS or the middleware, or compared.
   * A replay then reads the recorded ones (types 2 and 3) instead of skipping them.
   */
  readonly usesResponses: boolean;
}

/**
 * Wires the mirroring side: tap → (middleware) → modifiers → fan-out → outputs, plus the
 * periodic stats line. All of it sits off the primary path; see ARCHITECTURE.md.
 */
export function startMirror(plan: MirrorPlan, deps: { log: Logger; stats?: Stats; natsPublisher?: NatsPublisher }): MirrorEngine {
  const { config, pipeline } = plan;
  const { log } = deps;
  const stats = deps.stats ?? new Stats();
  const debug = createDebugLog(log, config.verbose);

  let middleware: FanOut | undefined;
  const compare: CompareWiring | undefined = plan.compare?.createCompareWiring(config, { stats, log, productionMayLead: Boolean(config.middleware) });
  const outputs = createOutputs(config, {
    compare,
    stats,
    log,
    debug,
    pipelineSetsHost: pipeline.setsHost,
    natsPublisher: deps.natsPublisher,
    modules: plan.outputModules ?? {},
    // Shadow responses (gor type 3) go to the middleware when there is one, else to the
    // other outputs (a file or stdout output records them).
    onShadowResponse: (resp) => (middleware ? middleware.offer(resp) : fanOut.offer(resp)),
  });
  // Runtime control (admin): a gate in front of each output; without an admin surface the
  // outputs are used as they are, so nothing of it runs.
  const admin = plan.admin;
  const gates = admin ? outputs.map((o) => new DestinationGate(o, { stats })) : [];
  const fanOut = new FanOut(admin ? gates : outputs, { stats, log, debug }, { split: config.splitOutput });
  const router = new Router(pipeline, fanOut, { stats, log, debug });

  if (config.middleware) {
    if (!plan.middleware) throw new Error('startMirror: --middleware without its module (call loadOptionalParts first)');
    // Behind a fan-out of one, like every output: its refusals are counted and logged the same way.
    const child = plan.middleware.createMiddleware(middlewareOptions(config, config.middleware), { stats, log, onMessage: (msg) => router.route(msg) });
    middleware = new FanOut([child], { stats, log });
  }
  const route = middleware ? (msg: Message) => middleware!.offer(msg) : (msg: Message) => router.route(msg);

  // Responses are copied only when someone keeps them: files/stdout record them, the
  // middleware protocol carries them, comparison compares them. HTTP shadows never need them.
  const keepResponses = Boolean(middleware) || config.fileOutputs.length > 0 || config.outputStdout || (deps.natsPublisher !== undefined && config.nats.output.responses);
  const captureResponses = keepResponses || compare !== undefined;
  // Answers go on to the outputs when one keeps them, recorded ones in a replay too, as gor's
  // do: a file output keeps them (a capture read and written again keeps its type 2 records),
  // the middleware reads them. HTTP destinations never take them (wants()), and an answer
  // whose request a modifier filtered is dropped with it (the router).
  const input = compare
    ? (msg: Message) => {
        if (msg.type === 'response') {
          compare.production(msg);
          if (!keepResponses) return;
        }
        route(msg);
      }
    : route;
  const tap = outputs.length > 0 ? createTap({ maxBodyBytes: config.copyBufferBytes, captureResponses, emit: input, stats, log }) : undefined;

  // Our own memory, beside the queues that explain it: on Heroku the app and we share the
  // dyno's quota (R14), so the stats line says what we take.
  const mb = (n: number) => Math.round(n / 1048576);
  stats.gauge(PROCESS, 'memory.rss_mb', () => mb(process.memoryUsage.rss()));
  stats.gauge(PROCESS, 'memory.heap_used_mb', () => mb(process.memoryUsage().heapUsed));
  stats.gauge(PROCESS, 'memory.external_mb', () => mb(process.memoryUsage().external));
  // And our CPU, and how busy our event loop is (a loop near 100% is what adds latency to
  // production's requests): the share of the interval, from running totals node keeps anyway.
  stats.busy(PROCESS, CPU_PERCENT, () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  });
  stats.busy(PROCESS, EVENT_LOOP_BUSY_PERCENT, () => performance.eventLoopUtilization().active);
  const reporter = outputs.length > 0 ? startStatsReporter(stats, log, config.statsIntervalMs) : undefined;
  compare?.startReporting(config.statsIntervalMs);
  // The fleet view: with --output-nats too, the report goes to the stream as well (docs/fleet.md).
  const summaries: SummaryPublisher | undefined =
    compare && deps.natsPublisher && plan.natsSummary ? plan.natsSummary.startSummaryPublisher(deps.natsPublisher, () => compare.comparison.report(), config.statsIntervalMs, log) : undefined;
  let closed = false;
  // The admin surface reads compare's report(), counts() and reset(); without --compare, counters only.
  const adminSurface: AdminSurface | undefined = admin?.startAdmin({ config, stats, gates, comparison: compare?.comparison, log });

  return {
    localPath: adminSurface?.localPath,
    stats,
    input,
    outputCount: outputs.length,
    usesResponses: captureResponses,
    ...(compare ? { comparison: compare.comparison } : {}),
    observe: (id) => (closed ? undefined : tap?.open(id)),
    async close(graceMs) {
      if (closed) return;
      closed = true;
      const deadline = Date.now() + graceMs;
      // Copies still waiting for their answer (inputs/tap.ts, HOLD_MS) go to the outputs first.
      tap?.flush();
      // Middleware first: what it still echoes back must reach the outputs before they close.
      await middleware?.close(Math.max(0, Math.floor(graceMs / 2)));
      await fanOut.close(Math.max(0, deadline - Date.now()));
      // After the outputs: the answers they still received are compared before the final report.
      compare?.close();
      if (summaries) {
        let final;
        try {
          final = compare!.comparison.report();
        } catch {
          final = undefined;
        }
        await summaries.final(final, deadline - Date.now());
      }
      reporter?.stop(true);
      await adminSurface?.close();
    },
  };
}
