import http from 'node:http';
import type net from 'node:net';
import type { ListenAddress } from '../core/addresses.js';
import { MAX_ADMIN_BODY_BYTES, type AdminRequest, type AdminRouter } from './router.js';

/**
 * --admin-listen: a small node:http server of its own, apart from the relay, so the admin
 * surface never shares a code path with production traffic. Requests are adapted to the
 * router's AdminRequest, the same one the relay's admin path builds.
 */
export async function listenAdmin(address: ListenAddress, router: AdminRouter): Promise<{ address: net.AddressInfo; close(): Promise<void> }> {
  const server = http.createServer({ maxHeaderSize: 16 * 1024 }, (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_ADMIN_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_ADMIN_BODY_BYTES) {
        res.writeHead(413, { 'content-type': 'text/plain' }).end('body too large\n');
        return;
      }
      void router.handle(toAdminRequest(req, Buffer.concat(chunks)), { kind: 'listen', prefix: '' }).then((r) => {
        res.writeHead(r.status, r.headers);
        res.end(req.method === 'HEAD' ? undefined : r.body);
      });
    });
    req.on('error', () => res.destroy());
  });
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  const host = address.host === '::' || address.host === '' ? '::' : address.host;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: address.port, ipv6Only: false }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    address: server.address() as net.AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function toAdminRequest(req: http.IncomingMessage, body: Buffer): AdminRequest {
  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers.set(name, Array.isArray(value) ? value.join(name === 'cookie' ? '; ' : ', ') : value);
  }
  return { method: req.method ?? 'GET', target: req.url ?? '/', headers, body };
}
