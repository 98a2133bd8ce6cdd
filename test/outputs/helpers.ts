import type { Server } from 'node:http';
import { startRecordingShadow } from '../helpers/net.js';
import { newMessageId, nowNs, type Header, type RequestMessage } from '../../src/core/message.js';
import { Stats } from '../../src/telemetry/stats.js';
import { createMemoryLogger } from '../../src/telemetry/logger.js';
import { baseConfig, type Config } from '../../src/config/config.js';
import { applyDefaults } from '../../src/config/parse.js';
import { fileOutputOptions, httpOutputOptions, middlewareOptions } from '../../src/engine/outputs.js';
import type { HttpOutputOptions } from '../../src/outputs/http-output.js';
import type { FileOutputOptions } from '../../src/outputs/file-output.js';
import type { MiddlewareOptions } from '../../src/gor/middleware.js';
import type { NatsOutputSettings } from '../../src/nats/settings.js';

export function request(target: string, init: { method?: string; headers?: Header[]; body?: Buffer } = {}): RequestMessage {
  return {
    type: 'request',
    id: newMessageId(),
    startNs: nowNs(),
    method: init.method ?? 'GET',
    target,
    version: 'HTTP/1.1',
    headers: init.headers ?? [{ name: 'Host', value: 'app.example.com' }],
    body: init.body ?? Buffer.alloc(0),
  };
}

export function deps() {
  return { stats: new Stats(), log: createMemoryLogger() };
}

export { sha256, rawServer, refusedPort, startBlackHole as blackHole, eventually as until } from '../helpers/net.js';

/** The recording shadow of test/helpers, answering `status` with `answer` and `X-Shadow: yes`; `got` is what it received. */
export async function recordingServer(status = 200, answer = 'ok') {
  const shadow = await startRecordingShadow({ status, body: answer, headers: { 'X-Shadow': 'yes' } });
  return { ...shadow, got: shadow.received };
}

export function closeHttp(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((r) => server.close(() => r()));
}

/** seen == mirrored + Σ dropped + Σ errors for one destination; `settled` is that right-hand side. */
export function accounting(stats: Stats, dest: string) {
  const e = stats.entry(dest);
  const dropped = Object.values(e.dropped).reduce((a, b) => a + (b ?? 0), 0);
  const errors = Object.values(e.errors).reduce((a, b) => a + b, 0);
  const settled = e.mirrored + dropped + errors;
  return { seen: e.seen, mirrored: e.mirrored, dropped, errors, settled, balanced: e.seen === settled };
}

/** The configuration with every flag-table default applied: outputs get their options from it, as in production. */
export function flagDefaults(): Config {
  const cfg = baseConfig();
  applyDefaults(cfg);
  // Outputs read only the settings every mode shares; replay is the mode without a relay.
  return { ...cfg, mode: 'replay' };
}

/** A file output's options as the engine builds them from the flag defaults, with `more` on top. */
export function fileOpts(pathTemplate: string, more: Partial<FileOutputOptions> = {}): FileOutputOptions {
  return { ...fileOutputOptions(flagDefaults(), pathTemplate), ...more };
}

/** The middleware's options as the engine builds them from the flag defaults, with `more` on top. */
export function middlewareOpts(command: string, more: Partial<MiddlewareOptions> = {}): MiddlewareOptions {
  return { ...middlewareOptions(flagDefaults(), command), ...more };
}

/** An HTTP output's options as the engine builds them from the flag defaults, with `more` on top. */
export function httpOpts(url: string, more: Partial<HttpOutputOptions> = {}): HttpOutputOptions {
  return { ...httpOutputOptions(flagDefaults(), { url }, { pipelineSetsHost: false }), ...more };
}

/** --output-nats settings as the flags default them, for `stream` on one loopback server, with `more` on top. */
export function natsOpts(port: number, stream: string, more: Partial<NatsOutputSettings> = {}): NatsOutputSettings {
  const connection = { flag: '--output-nats', servers: [`127.0.0.1:${port}`] };
  return { ...flagDefaults().nats.output, connection, stream, subject: `${stream}.contract`, ...more };
}
