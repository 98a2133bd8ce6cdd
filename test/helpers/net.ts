import net from 'node:net';
import http from 'node:http';
import { createHash } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';

export const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** Sends raw bytes on a fresh connection and collects everything until the server closes or `untilBytes` arrive. */
export async function rawExchange(
  port: number,
  data: Buffer | string | Array<Buffer | string>,
  opts: { host?: string; until?: (got: Buffer) => boolean; timeoutMs?: number; halfClose?: boolean } = {},
): Promise<Buffer> {
  const sock = net.connect({ host: opts.host ?? '127.0.0.1', port, allowHalfOpen: true });
  await once(sock, 'connect');
  const chunks: Buffer[] = [];
  let total = 0;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`rawExchange timed out with ${total} bytes: ${Buffer.concat(chunks).toString('latin1').slice(0, 300)}`));
    }, opts.timeoutMs ?? 15_000);
    const finish = () => {
      clearTimeout(timer);
      sock.destroy();
      resolve(Buffer.concat(chunks));
    };
    sock.on('data', (c: Buffer) => {
      chunks.push(c);
      total += c.length;
      if (opts.until?.(Buffer.concat(chunks))) finish();
    });
    sock.on('end', finish);
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    for (const part of Array.isArray(data) ? data : [data]) sock.write(part);
    if (opts.halfClose) sock.end();
  });
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  bodySha: string;
  bodyLength: number;
}

export interface RecordingShadowOptions {
  /** Answer after this many ms (or as many as the function says for the request's target). */
  delayMs?: number | ((url: string) => number);
  status?: number;
  /** The answer's body (default 'shadow ok\n') and extra headers. */
  body?: string;
  headers?: Record<string, string>;
  maxHeaderSize?: number;
  /** false: only count requests and body bytes (a long load run must not grow a list). */
  record?: boolean;
}

export interface RecordingShadow {
  url: string;
  port: number;
  /** The node:http server, for tests that tune it (e.g. keepAliveTimeout). */
  server: http.Server;
  /** What it received, in order of completion (empty with `record: false`). */
  received: RecordedRequest[];
  /** Requests, body bytes and connections received, always counted. */
  readonly counts: { requests: number; bytes: number; connections: number };
  close(): Promise<void>;
}

/** The one recording shadow: a real node:http server on loopback that records what it receives. */
export async function startRecordingShadow(opts: RecordingShadowOptions = {}): Promise<RecordingShadow> {
  const received: RecordedRequest[] = [];
  const counts = { requests: 0, bytes: 0, connections: 0 };
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer({ maxHeaderSize: opts.maxHeaderSize ?? 16 * 1024 }, (req, res) => {
    const hash = createHash('sha256');
    let len = 0;
    req.on('error', () => {});
    res.on('error', () => {});
    req.on('data', (c: Buffer) => {
      hash.update(c);
      len += c.length;
    });
    req.on('end', () => {
      counts.requests++;
      counts.bytes += len;
      const url = req.url ?? '';
      if (opts.record ?? true) received.push({ method: req.method ?? '', url, headers: req.headers, rawHeaders: req.rawHeaders, bodySha: hash.digest('hex'), bodyLength: len });
      const reply = () => {
        if (res.destroyed) return;
        res.writeHead(opts.status ?? 200, { 'content-type': 'text/plain', ...opts.headers });
        res.end(opts.body ?? 'shadow ok\n');
      };
      const delay = typeof opts.delayMs === 'function' ? opts.delayMs(url) : opts.delayMs;
      if (!delay) return reply();
      const timer = setTimeout(() => {
        timers.delete(timer);
        reply();
      }, delay);
      timers.add(timer);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', () => counts.connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    received,
    counts,
    close: () =>
      new Promise<void>((r) => {
        for (const t of timers) clearTimeout(t);
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A raw TCP server that runs `onSocket` per connection (black hole, reset, …) and destroys every socket on close. */
export async function rawServer(onSocket: (s: net.Socket) => void): Promise<{ url: string; port: number; accepted: () => number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    onSocket(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
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

/** A server that accepts connections, reads and discards, and never answers (a black hole). */
export const startBlackHole = () => rawServer((s) => s.resume());

/**
 * A free loopback port: bound, then released (to bind, or as one where nothing listens).
 *
 * The port is used after it is released, often by another process (an app, our CLI), or
 * kept as a port where nothing listens. Test files run side by side, and the kernel hands
 * ports of its ephemeral range to every listen(0) and outgoing connection on the machine:
 * from that range, a released port could be given to another test file in between (the
 * likely cause of two failures CI saw once each: a recording shadow got more requests than
 * its test sent, and an app's connection closed before any answer). So the port comes
 * from below the ephemeral range, where the kernel never assigns one by itself; only
 * another pick made here could meet it (random among thousands, and checked free).
 */
export async function freePort(): Promise<number> {
  const low = ephemeralRangeStart();
  for (let attempt = 0; low - FIXED_PORTS_END > 1000 && attempt < 50; attempt++) {
    const port = FIXED_PORTS_END + Math.floor(Math.random() * (low - FIXED_PORTS_END));
    if (await canBind(port)) return port;
  }
  // No room below the ephemeral range here: let the kernel choose.
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Ports below this are left to well-known services and the examples' fixed ports (3000, 8080, 9090…). */
const FIXED_PORTS_END = 20_000;

/** The first port of the kernel's ephemeral range (Linux; 32768 when it can't be read). */
function ephemeralRangeStart(): number {
  try {
    const first = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(first) && first > 0 ? first : 32768;
  } catch {
    return 32768;
  }
}

/** True if a listener could bind 127.0.0.1:port just now (then released). */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A port that nothing listens on (connections are refused): a free port, by another name. */
export const refusedPort = freePort;

/** Waits until something accepts TCP connections on the port. */
export async function waitForPort(port: number, timeoutMs = 20_000, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host, port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listened on ${host}:${port} within ${timeoutMs} ms`);
}

export interface Proc {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(sig?: NodeJS.Signals): void;
}

/** Starts a process, capturing stdout+stderr; always kill it in a `finally`/`after`. */
export function startProcess(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Proc {
  const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    output: () => out,
    exited,
    kill: (sig = 'SIGKILL') => {
      try {
        child.kill(sig);
      } catch {
        /* already gone */
      }
    },
  };
}

/** Polls `check` until it returns true or the guard timeout passes. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}
