import type { Config } from '../config/index.js';
import type { Message } from '../core/message.js';
import type { Logger } from '../telemetry/logger.js';
import { Stats, PROCESS } from '../telemetry/stats.js';
import { startStatsReporter } from '../telemetry/reporter.js';
import { compileModifiers, type Pipeline } from '../pipeline/index.js';
import { FanOut } from '../outputs/fan-out.js';
import { createTap } from '../inputs/tap.js';
import { createMiddleware } from '../gor/middleware.js';
import { splitCommandLine } from '../gor/command-line.js';
import type { Mirror } from '../modes/mirror.js';
import { Router } from './router.js';
import { createOutputs, middlewareOptions } from './outputs.js';
import { DestinationGate } from './destination-gate.js';
import { adminConfigured, startAdmin, type AdminSurface } from '../admin/index.js';

/**
 * Everything that can reject the configuration, done before anything starts (so bad
 * input exits 2 with nothing spawned or bound): compiling the modifier regexes, splitting
 * the middleware command.
 */
export interface MirrorPlan {
  readonly config: Config;
  readonly pipeline: Pipeline;
}

export function planMirror(config: Config): MirrorPlan {
  // A middleware command that cannot be split is the user's to fix: say so now, not after the app booted.
  if (config.middleware !== undefined) splitCommandLine(config.middleware);
  return { config, pipeline: compileModifiers(config.modifierFlags) };
}

export interface MirrorEngine extends Mirror {
  readonly stats: Stats;
  /** Entry for messages that don't come from the tap (file replay). */
  readonly input: (msg: Message) => void;
  /** How many outputs copies go to (0 = relay only). */
  readonly outputCount: number;
}

/**
 * Wires the mirroring side: tap → (middleware) → modifiers → fan-out → outputs, plus the
 * periodic stats line. All of it sits off the primary path; see ARCHITECTURE.md.
 */
export function startMirror(plan: MirrorPlan, deps: { log: Logger; stats?: Stats }): MirrorEngine {
  const { config, pipeline } = plan;
  const { log } = deps;
  const stats = deps.stats ?? new Stats();

  let middleware: FanOut | undefined;
  const outputs = createOutputs(config, {
    stats,
    log,
    pipelineSetsHost: pipeline.setsHost,
    // Shadow responses (gor type 3) go to the middleware when there is one, else to the
    // other outputs (a file or stdout output records them).
    onShadowResponse: (resp) => (middleware ? middleware.offer(resp) : fanOut.offer(resp)),
  });
  // Runtime control (admin): a gate in front of each output; without an admin surface the
  // outputs are used as they are, so nothing of it runs.
  const admin = adminConfigured(config);
  const gates = admin ? outputs.map((o) => new DestinationGate(o, { stats })) : [];
  const fanOut = new FanOut(admin ? gates : outputs, { stats, log }, { split: config.splitOutput });
  const router = new Router(pipeline, fanOut, { stats, log });

  if (config.middleware) {
    // Behind a fan-out of one, like every output: its refusals are counted and logged the same way.
    const child = createMiddleware(middlewareOptions(config, config.middleware), { stats, log, onMessage: (msg) => router.route(msg) });
    middleware = new FanOut([child], { stats, log });
  }
  const input = middleware ? (msg: Message) => middleware!.offer(msg) : (msg: Message) => router.route(msg);

  // Responses are copied only when someone keeps them: files/stdout record them, the
  // middleware protocol carries them. HTTP shadows never need the app's responses.
  const captureResponses = Boolean(middleware) || config.fileOutputs.length > 0 || config.outputStdout;
  const tap = outputs.length > 0 ? createTap({ maxBodyBytes: config.copyBufferBytes, captureResponses, emit: input, stats, log }) : undefined;

  // Our own memory, beside the queues that explain it: on Heroku the app and we share the
  // dyno's quota (R14), so the stats line says what we take.
  const mb = (n: number) => Math.round(n / 1048576);
  stats.gauge(PROCESS, 'memory.rss_mb', () => mb(process.memoryUsage.rss()));
  stats.gauge(PROCESS, 'memory.heap_used_mb', () => mb(process.memoryUsage().heapUsed));
  stats.gauge(PROCESS, 'memory.external_mb', () => mb(process.memoryUsage().external));
  const reporter = outputs.length > 0 ? startStatsReporter(stats, log, config.statsIntervalMs) : undefined;
  let closed = false;
  // `comparison`: compare's `Comparison` (src/compare/) once --compare is wired here; the
  // admin surface reads its report() and reset() and works without it (counters only).
  const adminSurface: AdminSurface | undefined = admin ? startAdmin({ config, stats, gates, comparison: undefined, log }) : undefined;

  return {
    localPath: adminSurface?.localPath,
    stats,
    input,
    outputCount: outputs.length,
    observe: (id) => (closed ? undefined : tap?.open(id)),
    async close(graceMs) {
      if (closed) return;
      closed = true;
      const deadline = Date.now() + graceMs;
      // Middleware first: what it still echoes back must reach the outputs before they close.
      await middleware?.close(Math.max(0, Math.floor(graceMs / 2)));
      await fanOut.close(Math.max(0, deadline - Date.now()));
      reporter?.stop(true);
      await adminSurface?.close();
    },
  };
}
