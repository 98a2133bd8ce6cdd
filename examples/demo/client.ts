import http from 'node:http';
import type { Socket } from 'node:net';
import { setImmediate as tick } from 'node:timers/promises';

export interface DemoRequest {
  method: 'GET' | 'POST';
  path: string;
  /** Body parts; with `chunked` each part is written separately (Transfer-Encoding: chunked). */
  body?: Buffer[];
  chunked?: boolean;
  contentType?: string;
}

export interface DemoResponse {
  status: number;
  contentType: string;
  body: Buffer;
  socket: Socket | undefined;
}

/** One HTTP/1.1 request on `agent`, bounded by `timeoutMs`. */
export function send(host: string, port: number, agent: http.Agent, r: DemoRequest, timeoutMs = 10_000): Promise<DemoResponse> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = {};
    const body = r.body ?? [];
    const total = body.reduce((n, b) => n + b.length, 0);
    if (r.contentType) headers['content-type'] = r.contentType;
    if (r.method === 'POST') {
      if (r.chunked) headers['transfer-encoding'] = 'chunked';
      else headers['content-length'] = total;
    }
    let socket: Socket | undefined;
    const req = http.request({ host, port, agent, method: r.method, path: r.path, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks), socket }),
      );
    });
    req.on('socket', (s) => (socket = s));
    req.on('timeout', () => req.destroy(new Error(`${r.method} ${r.path}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    void (async () => {
      if (r.chunked) {
        // Separate writes with a pause between them: real chunks on the wire.
        for (const part of body) {
          req.write(part);
          await tick();
        }
        req.end();
      } else {
        req.end(total > 0 ? Buffer.concat(body, total) : undefined);
      }
    })().catch((err: unknown) => req.destroy(err as Error));
  });
}

/** Runs `fn` over `items` with at most `limit` at a time; results in input order. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
