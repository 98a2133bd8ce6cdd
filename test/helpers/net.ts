import net from 'node:net';
import http from 'node:http';
import { createHash } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

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

/** A shadow server on loopback that records what it receives. */
export async function startRecordingShadow(opts: { delayMs?: number; status?: number; maxHeaderSize?: number } = {}): Promise<{
  url: string;
  port: number;
  received: RecordedRequest[];
  close(): Promise<void>;
}> {
  const received: RecordedRequest[] = [];
  const server = http.createServer({ maxHeaderSize: opts.maxHeaderSize ?? 16 * 1024 }, (req, res) => {
    const hash = createHash('sha256');
    let len = 0;
    req.on('data', (c: Buffer) => {
      hash.update(c);
      len += c.length;
    });
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, bodySha: hash.digest('hex'), bodyLength: len });
      const reply = () => {
        res.writeHead(opts.status ?? 200, { 'content-type': 'text/plain' });
        res.end('shadow ok\n');
      };
      if (opts.delayMs) setTimeout(reply, opts.delayMs);
      else reply();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A server that accepts connections and never answers (a black hole). */
export async function startBlackHole(): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    s.resume();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A port that nothing listens on (bound, then released). */
export async function refusedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export async function freePort(): Promise<number> {
  return refusedPort();
}

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
