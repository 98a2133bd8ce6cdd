/**
 * The app behind every contender (and the "direct" floor): a plain Node http server,
 * keep-alive, GET → a small fixed body, POST → the length of what it read.
 * Usage: node --import tsx bench/app-server.ts  (prints "LISTENING <port>")
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const HELLO = Buffer.from('hello from the app\n');

const server = http.createServer((req, res) => {
  if (req.method === 'GET' || req.method === 'HEAD') {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': HELLO.length });
    res.end(HELLO);
    return;
  }
  let n = 0;
  req.on('data', (c: Buffer) => (n += c.length));
  req.on('end', () => {
    const body = `${n}\n`;
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
});
// Proxies keep pooled upstream connections idle between rounds: don't close them under them.
server.keepAliveTimeout = 120_000;
server.headersTimeout = 125_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  console.log(`LISTENING ${(server.address() as AddressInfo).port}`);
});
process.on('SIGTERM', () => process.exit(0));
