import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { newMessageId, nowNs, type Header, type RequestMessage } from '../../src/core/message.js';
import { Stats } from '../../src/telemetry/stats.js';
import { createMemoryLogger } from '../../src/telemetry/logger.js';
import { baseConfig, type Config } from '../../src/config/config.js';
import { applyDefaults } from '../../src/config/parse.js';
import { fileOutputOptions, httpOutputOptions, middlewareOptions } from '../../src/engine/outputs.js';
import type { HttpOutputOptions } from '../../src/outputs/http-output.js';
import type { FileOutputOptions } from '../../src/outputs/file-output.js';
import type { MiddlewareOptions } from '../../src/gor/middleware.js';

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

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export interface Recorded {
  method: string;
  url: string;
  rawHeaders: string[];
  bodySha: string;
  bodyLength: number;
}

/** A real node:http shadow that records what it receives and answers `status`. */
export async function recordingServer(status = 200, answer = 'ok'): Promise<{ url: string; port: number; got: Recorded[]; server: Server; close(): Promise<void> }> {
  const got: Recorded[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      got.push({ method: req.method!, url: req.url!, rawHeaders: req.rawHeaders, bodySha: sha256(body), bodyLength: body.length });
      res.writeHead(status, { 'X-Shadow': 'yes' });
      res.end(answer);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    got,
    server,
    close: () => closeHttp(server),
  };
}

export function closeHttp(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((r) => server.close(() => r()));
}

/** A raw TCP server that runs `onSocket` per connection (black hole, reset, …) and destroys every socket on close. */
export async function rawServer(onSocket: (s: Socket) => void): Promise<{ url: string; port: number; accepted: () => number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: NetServer = createNetServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    onSocket(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    accepted: () => accepted,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

/** Accepts, reads and discards, never answers. */
export const blackHole = () => rawServer((s) => s.resume());

/** A loopback port with nothing listening (bound then released). */
export async function refusedPort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Polls `cond` until true; `guardMs` is only a failure guard, never the thing under test. */
export async function until(cond: () => boolean, guardMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + guardMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** seen == mirrored + Σ dropped + Σ errors for one destination. */
export function accounting(stats: Stats, dest: string) {
  const e = stats.entry(dest);
  const dropped = Object.values(e.dropped).reduce((a, b) => a + (b ?? 0), 0);
  const errors = Object.values(e.errors).reduce((a, b) => a + b, 0);
  return { seen: e.seen, mirrored: e.mirrored, dropped, errors, balanced: e.seen === e.mirrored + dropped + errors };
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
