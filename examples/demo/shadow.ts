import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';

export const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

export interface ReceivedCopy {
  method: string;
  url: string;
  host: string;
  bodyBytes: number;
  bodySha256: string;
}

export interface Shadow {
  readonly label: string;
  readonly url: string;
  readonly port: number;
  readonly received: ReceivedCopy[];
  close(): Promise<void>;
}

/**
 * A shadow deployment for the demo: records every copy it receives (method, target,
 * sha256 of the body) and answers after `delayMs(url)` milliseconds.
 */
export async function startShadow(label: string, delayMs: (url: string) => number): Promise<Shadow> {
  const received: ReceivedCopy[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => {});
    res.on('error', () => {});
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = req.url ?? '';
      received.push({ method: req.method ?? '', url, host: req.headers.host ?? '', bodyBytes: body.length, bodySha256: sha256(body) });
      const answer = () => {
        timers.delete(timer);
        if (!res.destroyed) res.writeHead(200, { 'content-type': 'text/plain' }).end(`${label} ok\n`);
      };
      const timer = setTimeout(answer, Math.max(0, delayMs(url)));
      timers.add(timer);
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    label,
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
