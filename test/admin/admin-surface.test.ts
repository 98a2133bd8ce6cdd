// The admin surface end to end, with the real CLI as a sidecar in front of a real app that
// records every byte it receives, and a real recording shadow:
// - --admin-path on the public port: no/wrong token → 404, right token → page, the
//   ?token= → cookie flow; admin requests never reach the app nor the shadow; every other
//   request is relayed byte-exact, pipelined requests around an admin request included.
// - the control API: pause → copies dropped `paused` and counted; resume; sample; reset; logged.
// - --admin-listen with the token: 401 without it; /metrics passes `promtool check metrics`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { Duplex } from 'node:stream';
import { startSidecar, type Duplicator } from '../helpers/duplicator.js';
import { eventually, freePort, rawExchange, sha256, startRecordingShadow } from '../helpers/net.js';
import { RawKeepAliveClient } from '../helpers/http-client.js';

const TOKEN = 'test-token-0123456789abcdef';
const PREFIX = '/__td';

/** A real HTTP app that also keeps the exact bytes of each connection (a net server in front of http). */
async function startRecordingApp(): Promise<{ port: number; connections: Buffer[][]; urls: string[]; close(): Promise<void> }> {
  const connections: Buffer[][] = [];
  const urls: string[] = [];
  const app = http.createServer((req, res) => {
    urls.push(req.url ?? '');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const got = Buffer.concat(chunks);
      const body = `app ${req.method} ${req.url} ${got.length}${got.length > 1024 ? ` ${sha256(got)}` : ''}\n`;
      const answer = () => {
        res.sendDate = false;
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      };
      // /slow answers late: a local answer pipelined behind it must still come after it.
      if (req.url?.startsWith('/slow')) setTimeout(answer, 300);
      else answer();
    });
  });
  const sockets = new Set<net.Socket>();
  const front = net.createServer((sock) => {
    const got: Buffer[] = [];
    connections.push(got);
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    // Node's HTTP server reads a real socket natively, bypassing 'data' listeners: hand it a
    // Duplex that records each chunk on its way in instead.
    const tee = new Duplex({
      read() {
        sock.resume();
      },
      write(chunk: Buffer, _enc, cb) {
        sock.write(chunk, cb);
      },
      final(cb) {
        sock.end();
        cb();
      },
    });
    sock.on('data', (c: Buffer) => {
      got.push(Buffer.from(c));
      if (!tee.push(c)) sock.pause();
    });
    sock.on('end', () => tee.push(null));
    sock.on('error', () => tee.destroy());
    tee.on('error', () => sock.destroy());
    sock.on('close', () => tee.destroy());
    app.emit('connection', tee);
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  return {
    port: (front.address() as net.AddressInfo).port,
    connections,
    urls,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        front.close(() => r());
      }),
  };
}

function statusOf(raw: Buffer): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(raw.toString('latin1'))?.[1]);
}
function bodyOf(raw: Buffer): string {
  const s = raw.toString('utf8');
  return s.slice(s.indexOf('\r\n\r\n') + 4);
}
function headerOf(raw: Buffer, name: string): string | undefined {
  const head = raw.toString('latin1').split('\r\n\r\n')[0]!;
  return new RegExp(`\\r\\n${name}:\\s*([^\\r]*)`, 'i').exec(head)?.[1];
}
const get = (target: string, headers: string[] = []) => [`GET ${target} HTTP/1.1`, 'Host: app.test', ...headers, '', ''].join('\r\n');

describe('admin surface (real CLI, real app, real shadow)', () => {
  let app: Awaited<ReturnType<typeof startRecordingApp>>;
  let shadow: Awaited<ReturnType<typeof startRecordingShadow>>;
  let dup: Duplicator;
  let adminPort: number;

  before(async () => {
    app = await startRecordingApp();
    shadow = await startRecordingShadow();
    adminPort = await freePort();
    dup = await startSidecar({
      upstreamPort: app.port,
      shadowUrls: [shadow.url],
      args: ['--admin-path', PREFIX, '--admin-listen', `127.0.0.1:${adminPort}`],
      env: { TRAFFIC_DUPLICATOR_ADMIN_TOKEN: TOKEN },
    });
    await eventually(() => /at=admin-listening/.test(dup.proc.output()), 10_000, 'admin-listening');
  });

  after(async () => {
    await dup?.stop();
    await app?.close();
    await shadow?.close();
  });

  const exchange = (req: string) => rawExchange(dup.port, req, { until: (b) => b.includes('\r\n\r\n') && isComplete(b) });

  test('no token and a wrong token get a plain 404; the app never sees the request', async () => {
    for (const req of [get(`${PREFIX}/`), get(`${PREFIX}/api/report`), get(`${PREFIX}/`, [`Authorization: Bearer wrong-${TOKEN}`]), get(`${PREFIX}/?token=nope`), get(`${PREFIX}/`, ['Cookie: td_admin=nope'])]) {
      const res = await exchange(req);
      assert.equal(statusOf(res), 404, req);
      assert.equal(bodyOf(res), 'Not Found\n');
    }
    assert.ok(!app.urls.some((u) => u.startsWith(PREFIX)), `the app saw ${app.urls.join(',')}`);
  });

  test('the right bearer token gets the page; ?token= trades itself for an HttpOnly cookie', async () => {
    const page = await exchange(get(`${PREFIX}/`, [`Authorization: Bearer ${TOKEN}`]));
    assert.equal(statusOf(page), 200);
    assert.match(headerOf(page, 'content-type') ?? '', /text\/html/);
    assert.match(bodyOf(page), /<title>traffic-duplicator<\/title>/);
    assert.ok(!/<script src|<link /.test(bodyOf(page)), 'the page loads no external asset');

    const login = await exchange(get(`${PREFIX}/?token=${TOKEN}`));
    assert.equal(statusOf(login), 303);
    assert.equal(headerOf(login, 'location'), `${PREFIX}/`);
    const cookie = headerOf(login, 'set-cookie') ?? '';
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.match(cookie, new RegExp(`Path=${PREFIX}`));
    const pair = cookie.split(';')[0]!;
    const report = await exchange(get(`${PREFIX}/api/report`, [`Cookie: other=1; ${pair}`]));
    assert.equal(statusOf(report), 200);
    const doc = JSON.parse(bodyOf(report)) as { instance: string; comparison: string; counters: Array<{ dest: string }> };
    assert.equal(doc.comparison, 'off');
    assert.ok(doc.instance.length > 0);
    assert.deepEqual(doc.counters.map((c) => c.dest), [`${shadow.url}/`]);
  });

  test('pipelined requests around an admin request: answers in order, app gets the other bytes exactly, nothing of it is mirrored', async () => {
    const before = app.connections.length;
    const shadowBefore = shadow.received.length;
    const a = get('/pipe/a?x=1', ['X-Keep:   spaced  ']);
    const admin = get(`${PREFIX}/api/report`, [`Authorization: Bearer ${TOKEN}`]);
    const b = ['POST /pipe/b HTTP/1.1', 'Host: app.test', 'Content-Length: 11', '', 'hello world'].join('\r\n');
    const c = ['POST /pipe/c HTTP/1.1', 'Host: app.test', 'Transfer-Encoding: chunked', '', '5', 'abcde', '0', '', ''].join('\r\n');
    const d = get('/pipe/d');
    const client = await RawKeepAliveClient.connect(dup.port);
    try {
      // One write, then the same again split into 7-byte pieces: framing must not depend on chunking.
      const all = a + admin + b + c + d;
      client.send(all);
      const first = await readN(client, 5);
      const pieces: string[] = [];
      for (let i = 0; i < all.length; i += 7) pieces.push(all.slice(i, i + 7));
      client.send(pieces);
      const second = await readN(client, 5);
      for (const answers of [first, second]) {
        const appAnswers = [answers[0]!, answers[2]!, answers[3]!, answers[4]!].map((r) => bodyOf(r));
        assert.deepEqual(appAnswers, ['app GET /pipe/a?x=1 0\n', 'app POST /pipe/b 11\n', 'app POST /pipe/c 5\n', 'app GET /pipe/d 0\n']);
        assert.equal(statusOf(answers[1]!), 200);
        assert.equal(JSON.parse(bodyOf(answers[1]!)).comparison, 'off');
      }
    } finally {
      client.close();
    }
    await eventually(() => app.connections.length > before, 5000, 'app connection');
    const expected = Buffer.from(a + b + c + d + a + b + c + d);
    await eventually(() => Buffer.concat(app.connections[before]!).length >= expected.length, 5000, 'app bytes');
    assert.equal(Buffer.concat(app.connections[before]!).toString('latin1'), expected.toString('latin1'), 'the app received exactly the non-admin bytes, in order');
    await eventually(() => shadow.received.length >= shadowBefore + 8, 10_000, 'shadow copies');
    assert.ok(!shadow.received.some((r) => r.url.startsWith(PREFIX)), 'no admin request was mirrored');
    assert.ok(!app.urls.some((u) => u.startsWith(PREFIX)), 'no admin request reached the app');
  });

  test('an admin request pipelined behind a slow one is answered after it; a later one waits for the admin answer', async () => {
    const client = await RawKeepAliveClient.connect(dup.port);
    try {
      client.send(get('/slow/1') + get(`${PREFIX}/api/report`, [`Authorization: Bearer ${TOKEN}`]) + get('/after/2'));
      const [slow, admin, later] = await readN(client, 3);
      assert.equal(bodyOf(slow!), 'app GET /slow/1 0\n');
      assert.equal(JSON.parse(bodyOf(admin!)).comparison, 'off');
      assert.equal(bodyOf(later!), 'app GET /after/2 0\n');
    } finally {
      client.close();
    }
  });

  test('an admin request we cannot frame, pipelined behind a slow one: the slow answer first, then 400 and close', async () => {
    const client = await RawKeepAliveClient.connect(dup.port);
    try {
      client.send(get('/slow/3') + `POST ${PREFIX}/api/control HTTP/1.1\r\nHost: app.test\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n`);
      const [slow, bad] = await readN(client, 2);
      assert.equal(bodyOf(slow!), 'app GET /slow/3 0\n', 'the app answers the request before it first');
      assert.equal(statusOf(bad!), 400);
      assert.match(headerOf(bad!, 'connection') ?? '', /close/);
    } finally {
      client.close();
    }
  });

  test('a head cut short by a half-close reaches the app as read, as without --admin-path', async () => {
    const before = app.connections.length;
    const partial = 'GET /cut HTTP/1.1\r\nHost: app.test\r\n';
    await rawExchange(dup.port, partial, { halfClose: true });
    await eventually(() => app.connections.length > before && Buffer.concat(app.connections[before]!).length >= partial.length, 5000, 'the partial head at the app');
    assert.equal(Buffer.concat(app.connections[before]!).toString('latin1'), partial);
  });

  test('a large upload on an admin-path connection is relayed byte-exact (backpressure), and a half-close still gets its answer', async () => {
    const body = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4) body.writeUInt32LE((i * 2654435761) >>> 0, i);
    const res = await rawExchange(dup.port, [`POST /upload HTTP/1.1\r\nHost: app.test\r\nContent-Length: ${body.length}\r\n\r\n`, body], { until: isComplete, timeoutMs: 30_000 });
    assert.equal(bodyOf(res), `app POST /upload ${body.length} ${sha256(body)}\n`);
    const admin = await rawExchange(dup.port, get(`${PREFIX}/api/report`, [`Authorization: Bearer ${TOKEN}`, 'Connection: close']), { halfClose: true });
    assert.equal(statusOf(admin), 200);
    assert.match(headerOf(admin, 'connection') ?? '', /close/);
    const plain = await rawExchange(dup.port, get('/half-closed'), { halfClose: true, until: isComplete });
    assert.equal(bodyOf(plain), 'app GET /half-closed 0\n');
  });

  test('control API: pause drops copies as `paused`, resume, sample, reset; each logged at=control', async () => {
    const control = (params: Record<string, string>) => {
      const body = JSON.stringify(params);
      return exchange(
        [`POST ${PREFIX}/api/control HTTP/1.1`, 'Host: app.test', `Authorization: Bearer ${TOKEN}`, 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n'),
      );
    };
    const counters = async () => {
      const r = await exchange(get(`${PREFIX}/api/report`, [`Authorization: Bearer ${TOKEN}`]));
      return (JSON.parse(bodyOf(r)) as { counters: Array<{ dest: string; seen: number; mirrored: number; dropped: Record<string, number>; control: { paused: boolean; sample_percent: number } }> }).counters[0]!;
    };
    const send = async (n: number, tag: string) => {
      for (let i = 0; i < n; i++) assert.equal(statusOf(await exchange(get(`/ctl/${tag}/${i}`))), 200);
    };

    assert.equal(statusOf(await control({ action: 'pause', dest: shadow.url })), 200);
    assert.equal((await counters()).control.paused, true);
    const base = await counters();
    await send(3, 'paused');
    await eventually(async () => ((await counters()).dropped.paused ?? 0) >= 3, 5000, 'paused drops');
    assert.ok(!shadow.received.some((r) => r.url.startsWith('/ctl/paused')), 'a paused destination gets nothing');

    assert.equal(statusOf(await control({ action: 'resume', dest: shadow.url })), 200);
    await send(2, 'resumed');
    await eventually(() => shadow.received.filter((r) => r.url.startsWith('/ctl/resumed')).length === 2, 5000, 'copies after resume');

    assert.equal(statusOf(await control({ action: 'sample', dest: shadow.url, percent: '50' })), 200);
    await send(4, 'sampled');
    await eventually(async () => ((await counters()).dropped.sampled_out ?? 0) >= 2, 5000, 'sampled_out drops');
    await eventually(() => shadow.received.filter((r) => r.url.startsWith('/ctl/sampled')).length === 2, 5000, 'half of the copies');
    const after = await counters();
    assert.equal(after.seen - base.seen, 9, 'every copy was seen: 3 paused + 2 + 4 sampled');
    assert.equal(after.control.sample_percent, 50);

    assert.equal(statusOf(await control({ action: 'reset' })), 409, 'reset needs --compare');
    assert.equal(statusOf(await control({ action: 'pause', dest: 'http://nowhere' })), 404);
    assert.equal(statusOf(await control({ action: 'sample', dest: shadow.url, percent: '150' })), 400);
    assert.equal(statusOf(await control({ action: 'explode' })), 400);
    // A form without a bearer token is what a cross-site page could send: refused.
    const form = 'action=pause&dest=' + encodeURIComponent(shadow.url);
    const viaCookie = await exchange([`POST ${PREFIX}/api/control?token=${TOKEN} HTTP/1.1`, 'Host: app.test', 'Content-Type: application/x-www-form-urlencoded', `Content-Length: ${form.length}`, '', form].join('\r\n'));
    assert.equal(statusOf(viaCookie), 415);
    assert.equal((await counters()).control.paused, false);
    const noToken = await exchange([`POST ${PREFIX}/api/control?action=pause&dest=${encodeURIComponent(shadow.url)} HTTP/1.1`, 'Host: app.test', 'Content-Length: 0', '', ''].join('\r\n'));
    assert.equal(statusOf(noToken), 404, 'control without the token is a 404 like any other');

    const logs = dup.proc.output();
    assert.match(logs, new RegExp(`at=control action=pause dest=${escape(`${shadow.url}/`)} surface=path`));
    assert.match(logs, new RegExp(`at=control action=resume dest=${escape(`${shadow.url}/`)}`));
    assert.match(logs, new RegExp(`at=control action=sample dest=${escape(`${shadow.url}/`)} percent=50`));
    assert.equal((await control({ action: 'sample', dest: shadow.url, percent: '100' })).length > 0, true);
  });

  test('--admin-listen: the token applies there too (401 without it); /metrics passes promtool check metrics', async () => {
    const noAuth = await httpGet(adminPort, '/metrics');
    assert.equal(noAuth.status, 401);
    const res = await httpGet(adminPort, '/metrics', { authorization: `Bearer ${TOKEN}` });
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'] ?? '', /text\/plain; version=0\.0\.4/);
    for (const name of ['traffic_duplicator_copies_seen_total', 'traffic_duplicator_copies_mirrored_total', 'traffic_duplicator_copies_dropped_total', 'traffic_duplicator_queue_depth', 'traffic_duplicator_copy_latency_seconds_bucket']) {
      assert.match(res.body, new RegExp(`^${name}\\{`, 'm'), name);
    }
    assert.match(res.body, new RegExp(`traffic_duplicator_copies_dropped_total\\{destination="${escape(`${shadow.url}/`)}",reason="paused"\\} [1-9]`));
    // Our own cost, as counters Prometheus can rate(): CPU seconds, event-loop busy seconds.
    for (const name of ['traffic_duplicator_process_cpu_seconds_total', 'traffic_duplicator_event_loop_busy_seconds_total']) {
      const m = new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(res.body);
      assert.ok(m && Number(m[1]) > 0, `${name} is a positive counter:\n${res.body.split('\n').filter((l) => l.includes(name)).join('\n')}`);
    }
    const out = execFileSync('promtool', ['check', 'metrics'], { input: res.body, encoding: 'utf8' });
    assert.equal(out.trim(), '', `promtool: ${out}`);
  });
});

async function readN(client: RawKeepAliveClient, n: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) out.push(await client.next());
  return out;
}

function isComplete(b: Buffer): boolean {
  const end = b.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(b.subarray(0, end).toString('latin1'));
  return b.length >= end + 4 + (m ? Number(m[1]) : 0);
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

async function httpGet(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const req = http.get({ host: '127.0.0.1', port, path, headers, agent: false });
  const [res] = (await once(req, 'response')) as [http.IncomingMessage];
  let body = '';
  for await (const c of res) body += String(c);
  return { status: res.statusCode ?? 0, headers: res.headers, body };
}
