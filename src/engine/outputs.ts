import type { Config, HttpDestination } from '../config/index.js';
import { OUTPUT_INTERNALS } from '../config/flags.js';
import type { MiddlewareOptions } from '../gor/middleware.js';
import type { Output, RateLimit } from '../core/output.js';
import type { RequestMessage, ResponseMessage } from '../core/message.js';
import type { Logger } from '../telemetry/logger.js';
import type { Stats } from '../telemetry/stats.js';
import type { DebugLog } from '../telemetry/debug-log.js';
import { createHttpOutput, type HttpOutputOptions } from '../outputs/http-output.js';
import type { FileOutputOptions } from '../outputs/file-output.js';
import { createNullOutput } from '../outputs/null-output.js';
import type { CompareWiring } from '../compare/wiring.js';
import type { NatsPublisher } from '../outputs/nats-output.js';

/**
 * The outputs' modules beyond HTTP, each loaded only when the configuration names it
 * (issue 8: a plain --output-http sidecar loads no .gor codec, no file or stdout writer).
 */
export interface OutputModules {
  readonly file?: typeof import('../outputs/file-output.js');
  readonly stdout?: typeof import('../outputs/stdout-output.js');
  readonly nats?: typeof import('../outputs/nats-output.js');
}

export async function loadOutputModules(config: Config): Promise<OutputModules> {
  return {
    ...(config.fileOutputs.length > 0 ? { file: await import('../outputs/file-output.js') } : {}),
    ...(config.outputStdout ? { stdout: await import('../outputs/stdout-output.js') } : {}),
    ...(config.nats.output.connection ? { nats: await import('../outputs/nats-output.js') } : {}),
  };
}

function loaded<T>(module: T | undefined, name: string): T {
  if (module === undefined) throw new Error(`createOutputs: the ${name} output's module was not loaded (loadOutputModules)`);
  return module;
}

export interface OutputDeps {
  stats: Stats;
  log: Logger;
  /** --verbose: per-copy lines (the HTTP outputs report each settled copy). */
  debug?: DebugLog;
  /** True when a --http-set-header Host: was given: the HTTP outputs then keep that Host. */
  pipelineSetsHost: boolean;
  /** Receives shadow responses (type 3) when --output-http-track-response is on. */
  onShadowResponse?: (resp: ResponseMessage, req: RequestMessage) => void;
  /** --compare: keeps and reports each HTTP destination's answers (src/compare/wiring.ts). */
  compare?: CompareWiring;
  /** --output-nats, connected (or connecting) before anything started: see openNatsPublisher. */
  natsPublisher?: NatsPublisher;
  /** What loadOutputModules loaded for this configuration. */
  modules: OutputModules;
}

function isSwitchedOff(limit: RateLimit | undefined): boolean {
  return limit?.kind === 'percent' && limit.n === 0;
}

/** Connections per HTTP destination opened as soon as the output is built (issue 8, cold start). */
const WARM_CONNECTIONS = 4;

/** Builds every output the configuration names, in a stable order: http, file, stdout, null, nats. */
export function createOutputs(config: Config, deps: OutputDeps): Output[] {
  const { stats, log } = deps;
  const outputs: Output[] = [];
  for (const dest of config.httpOutputs) {
    if (isSwitchedOff(dest.limit)) {
      // gor sends nothing to 'URL|0%'; we say so once and build no connection, queue or counter for it.
      log.info('output-off', { output: dest.url, limit: '0%', note: 'sampling 0% sends nothing to this destination' });
      continue;
    }
    const base = httpOutputOptions(config, dest, deps);
    const cmp = deps.compare?.httpOptions(dest.url);
    const out = createHttpOutput(cmp ? withComparison(base, cmp) : base, { stats, log, debug: deps.debug });
    outputs.push(deps.compare ? deps.compare.wrap(out) : out);
  }
  for (const file of config.fileOutputs) outputs.push(loaded(deps.modules.file, 'file').createFileOutput(fileOutputOptions(config, file.pathTemplate), { stats, log }));
  if (config.outputStdout) outputs.push(loaded(deps.modules.stdout, 'stdout').createStdoutOutput(OUTPUT_INTERNALS.stdoutQueue, { stats, log, stream: process.stdout }));
  if (config.outputNull) outputs.push(createNullOutput(OUTPUT_INTERNALS.nullQueue, { stats, log }));
  if (deps.natsPublisher) outputs.push(loaded(deps.modules.nats, 'NATS').createNatsOutput(deps.natsPublisher, { stats, log, responses: config.nats.output.responses }));
  return outputs;
}

/** An HTTP output's options, every one from the configuration (the flag table's defaults). */
export function httpOutputOptions(config: Config, dest: HttpDestination, deps: Pick<OutputDeps, 'pipelineSetsHost' | 'onShadowResponse'>): HttpOutputOptions {
  const http = config.outputHttp;
  return {
    url: dest.url,
    limit: dest.limit,
    queueLen: http.queueLen,
    maxQueueBytes: http.maxQueueBytes,
    workers: http.workers,
    timeoutMs: http.timeoutMs,
    skipVerify: http.skipVerify,
    preserveHost: config.originalHost || deps.pipelineSetsHost,
    onResponse: http.trackResponses ? deps.onShadowResponse : undefined,
    responseBufferBytes: http.responseBufferBytes,
    // Connect (and TLS-handshake) before traffic: in wrap mode while the app boots.
    warmConnections: Math.min(WARM_CONNECTIONS, http.workers),
  };
}

/** A file output's options: every one from the configuration (the flag table's defaults) or OUTPUT_INTERNALS. */
export function fileOutputOptions(config: Config, pathTemplate: string): FileOutputOptions {
  const f = config.outputFile;
  return {
    pathTemplate,
    append: f.append,
    sizeLimitBytes: f.sizeLimitBytes,
    queueLimit: f.queueLimit,
    maxSizeBytes: f.maxSizeBytes,
    flushIntervalMs: f.flushIntervalMs,
    queue: OUTPUT_INTERNALS.fileQueue,
  };
}

/** The middleware's options: the command and track-response from the configuration, the rest from OUTPUT_INTERNALS. */
export function middlewareOptions(config: Config, command: string): MiddlewareOptions {
  return { ...OUTPUT_INTERNALS.middleware, command, sendReplayedResponses: config.outputHttp.trackResponses };
}

/** --compare: the destination keeps answers up to --compare-max-body and reports them, or their failure. */
function withComparison(base: HttpOutputOptions, cmp: ReturnType<CompareWiring['httpOptions']>): HttpOutputOptions {
  return {
    ...base,
    onResponse: bothResponses(cmp.onResponse, base.onResponse),
    responseBufferBytes: Math.max(cmp.responseBufferBytes, base.responseBufferBytes ?? 0),
    onCopyFailed: cmp.onCopyFailed,
  };
}

/** Comparison and --output-http-track-response both see a destination's answers. */
function bothResponses(
  compare: (resp: ResponseMessage, req: RequestMessage) => void,
  track: ((resp: ResponseMessage, req: RequestMessage) => void) | undefined,
): (resp: ResponseMessage, req: RequestMessage) => void {
  if (!track) return compare;
  return (resp, req) => {
    compare(resp, req);
    track(resp, req);
  };
}
