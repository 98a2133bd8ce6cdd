/**
 * A recording shadow. Counts complete requests and body bytes received, and reports them
 * on a separate control port (GET /stats → JSON) so reading them is never counted.
 * Modes, for the degraded-shadow section:
 *   ok        answers 200 at once (keep-alive)
 *   slow      answers after 5 s
 *   blackhole accepts and reads, never answers
 *   reset     destroys the connection (RST) as soon as a request arrives
 *   tls       as ok, over https with the self-signed key/cert in $BENCH_TLS_KEY / $BENCH_TLS_CERT
 * Usage: node --import tsx bench/shadow-server.ts MODE  (prints "LISTENING <port> <controlPort>")
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';

const mode = process.argv[2] ?? 'ok';
const counts = { requests: 0, bytes: 0, connections: 0 };

function httpShadow(delayMs: number, tls = false): net.Server {
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => {
      counts.requests++;
      counts.bytes += n;
      const answer = () => {
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 3 });
        res.end('ok\n');
      };
      if (delayMs > 0) setTimeout(answer, delayMs);
      else answer();
    });
  };
  const s = tls
    ? https.createServer({ key: readFileSync(process.env.BENCH_TLS_KEY!), cert: readFileSync(process.env.BENCH_TLS_CERT!) }, handler)
    : http.createServer(handler);
  s.keepAliveTimeout = 120_000;
  s.headersTimeout = 125_000;
  s.requestTimeout = 0;
  return s;
}

function rawShadow(): net.Server {
  return net.createServer((sock) => {
    sock.on('error', () => {});
    sock.on('data', () => {
      // We don't parse here: "a request arrived" is what matters for these modes.
      if (mode === 'reset') sock.resetAndDestroy();
    });
  });
}

const server = mode === 'ok' ? httpShadow(0) : mode === 'tls' ? httpShadow(0, true) : mode === 'slow' ? httpShadow(5000) : rawShadow();
server.on(mode === 'tls' ? 'secureConnection' : 'connection', () => counts.connections++);

const control = http.createServer((_req, res) => {
  res.writeHead(200, { 'Content-Type': 'application/json', Connection: 'close' });
  res.end(JSON.stringify(counts));
});

server.listen(0, '127.0.0.1', () => {
  control.listen(0, '127.0.0.1', () => {
    const p = (server.address() as AddressInfo).port;
    const c = (control.address() as AddressInfo).port;
    console.log(`LISTENING ${p} ${c}`);
  });
});
process.on('SIGTERM', () => process.exit(0));
