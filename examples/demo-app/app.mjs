// The demo's "production app": a tiny, ordinary Node http server. Nothing in it knows
// about traffic-duplicator — it reads $PORT like any Heroku web process, and the
// duplicator (which owns the public port) hands it a private one.
//
//   GET  /                        plain text
//   GET  /products/:id?color=…    a JSON product
//   GET  /search?q=…&page=…       JSON search results
//   GET  /reports/daily?day=N     a JSON report
//   POST /orders                  JSON order in, 201 + order id (any transfer coding)
//   POST /uploads                 any bytes in, their size and sha256 out
//
// Answers depend only on the request, so the demo can check that the answers through
// the duplicator are the same as the app's own.
import http from 'node:http';
import { createHash } from 'node:crypto';

const port = Number(process.env.PORT ?? 3000);
const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

function json(res, status, value) {
  const body = JSON.stringify(value) + '\n';
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function handle(req, res, body) {
  const url = new URL(req.url ?? '/', 'http://app.local');
  const q = Object.fromEntries(url.searchParams);
  const product = url.pathname.match(/^\/products\/(\d+)$/);
  if (req.method === 'GET' && url.pathname === '/') {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    return res.end('hello from your app\n');
  }
  if (req.method === 'GET' && product) {
    const id = Number(product[1]);
    return json(res, 200, { id, name: `Product ${id}`, color: q.color ?? 'black', size: q.size ?? 'M', price_cents: 1000 + id * 7 });
  }
  if (req.method === 'GET' && url.pathname === '/search') {
    const page = Number(q.page ?? 1);
    const results = Array.from({ length: 5 }, (_, i) => ({ id: (page - 1) * 5 + i + 1, title: `${q.q ?? ''} #${(page - 1) * 5 + i + 1}` }));
    return json(res, 200, { q: q.q ?? '', page, results });
  }
  if (req.method === 'GET' && url.pathname === '/reports/daily') {
    return json(res, 200, { day: Number(q.day ?? 1), orders: 42, revenue_cents: 123456 });
  }
  if (req.method === 'POST' && url.pathname === '/orders') {
    let order;
    try {
      order = JSON.parse(body.toString('utf8'));
    } catch {
      return json(res, 400, { error: 'invalid JSON' });
    }
    const items = Array.isArray(order.items) ? order.items.length : 0;
    return json(res, 201, { order_id: sha256(body).slice(0, 12), items, bytes: body.length, sha256: sha256(body) });
  }
  if (req.method === 'POST' && url.pathname === '/uploads') {
    return json(res, 200, { bytes: body.length, sha256: sha256(body) });
  }
  return json(res, 404, { error: 'not found', path: url.pathname });
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => handle(req, res, Buffer.concat(chunks)));
});

// Behind the duplicator the app only needs loopback.
server.listen(port, '127.0.0.1', () => {
  console.log(`demo-app listening on http://127.0.0.1:${port} (pid ${process.pid})`);
});

// A well-behaved web process: on SIGTERM, finish in-flight requests and exit 0.
process.on('SIGTERM', () => {
  console.log('demo-app got SIGTERM, closing');
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 3000).unref();
});
