// The app of `npm run bench:compare`: GET /items/:id answers a ~2 KB JSON document.
//   node compare-app.mjs production|control|candidate
// Prints "LISTENING <port>" once bound to 127.0.0.1 (port chosen by the OS).
// Every role carries the same noise (a timestamp and a request id in every answer); the
// candidate has one small real difference (the price of every tenth line on every fifth id),
// so comparison does its full work: decode, structural diff, noise learning, aggregation.
import http from 'node:http';
import { randomBytes } from 'node:crypto';

const role = process.argv[2] ?? 'production';
const candidate = role === 'candidate';

function document(id) {
  const lines = [];
  for (let i = 0; i < 19; i++) {
    const price = 10 + ((id * 7 + i * 13) % 90) + 0.99;
    lines.push({
      sku: `SKU-${id}-${i}`,
      title: `Item ${i} of order ${id}`,
      quantity: 1 + ((id + i) % 4),
      price: candidate && id % 5 === 0 && i % 10 === 0 ? price + 1 : price,
      tags: ['bench', i % 2 ? 'odd' : 'even'],
    });
  }
  return {
    id,
    customer: { name: `customer ${id}`, email: `customer${id}@example.com` },
    generated_at: new Date().toISOString(),
    request_id: randomBytes(8).toString('hex'),
    lines,
  };
}

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const m = /^\/items\/(\d+)$/.exec(req.url ?? '');
    if (!m) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return res.end('not found\n');
    }
    const body = Buffer.from(JSON.stringify(document(Number(m[1]))));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => console.log(`LISTENING ${server.address().port}`));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
