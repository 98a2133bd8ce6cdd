// The app's address by name: looked up once per TTL, not once per connection; a failed
// connection or lookup asks again. The cache itself with a scripted resolver and a clock the
// test moves; then the relay and a shadow's connection pool to `localhost` on real loopback
// sockets, their lookups counted.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import dns, { type LookupAddress, type LookupAllOptions } from 'node:dns';
import net from 'node:net';
import { CachedLookup, type Resolve } from '../../src/core/cached-lookup.js';
import { RelayServer } from '../../src/relay/relay-server.js';
import { ConnectionPool } from '../../src/outputs/http/pool.js';
import { parseDestination } from '../../src/outputs/http-request.js';
import { createMemoryLogger } from '../../src/telemetry/logger.js';
import { rawExchange, refusedPort } from '../helpers/net.js';

const V4: LookupAddress = { address: '127.0.0.1', family: 4 };
const V6: LookupAddress = { address: '::1', family: 6 };

/** A resolver that answers from a script and records what it was asked; `hold` keeps answers back. */
function scriptedResolver(answers: Array<LookupAddress[] | NodeJS.ErrnoException>) {
  const asked: Array<{ hostname: string; options: LookupAllOptions }> = [];
  const held: Array<() => void> = [];
  let hold = false;
  const resolve: Resolve = (hostname, options, cb) => {
    asked.push({ hostname, options });
    const a = answers.shift() ?? [V4];
    const reply = () => (a instanceof Error ? cb(a, []) : cb(null, a));
    if (hold) held.push(reply);
    else setImmediate(reply);
  };
  return {
    resolve,
    asked,
    holdAnswers: () => (hold = true),
    release: () => {
      hold = false;
      for (const r of held.splice(0)) r();
    },
  };
}

function lookupAll(l: CachedLookup, host: string, options: dns.LookupOptions = {}): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => l.lookup(host, { ...options, all: true }, (err, a) => (err ? reject(err) : resolve(a as LookupAddress[]))));
}

function lookupOne(l: CachedLookup, host: string): Promise<{ address: string; family: number | undefined }> {
  return new Promise((resolve, reject) => l.lookup(host, {}, (err, address, family) => (err ? reject(err) : resolve({ address: address as string, family }))));
}

test('one lookup per TTL: later connections get the kept addresses, in both of net.connect forms', async () => {
  let now = 0;
  const r = scriptedResolver([[V6, V4], [V4]]);
  const l = new CachedLookup({ ttlMs: 5000, now: () => now, resolve: r.resolve });
  assert.deepEqual(await lookupAll(l, 'app.internal'), [V6, V4]);
  assert.deepEqual(await lookupAll(l, 'app.internal'), [V6, V4]);
  assert.deepEqual(await lookupOne(l, 'app.internal'), { address: '::1', family: 6 }, 'the first address, as dns.lookup gives it');
  now = 4999;
  await lookupAll(l, 'app.internal');
  assert.equal(r.asked.length, 1);
  assert.equal(r.asked[0]!.options.all, true, 'every address is asked for, so connect can try them in turn');
  now = 5000;
  assert.deepEqual(await lookupAll(l, 'app.internal'), [V4], 'looked up again once the TTL is over');
  assert.equal(r.asked.length, 2);
});

test('lookups made while one is under way wait for it; names and families are kept apart', async () => {
  const r = scriptedResolver([[V4], [V6], [V4]]);
  const l = new CachedLookup({ ttlMs: 5000, now: () => 0, resolve: r.resolve });
  r.holdAnswers();
  const waiting = Array.from({ length: 50 }, () => lookupAll(l, 'localhost'));
  const v6only = lookupAll(l, 'localhost', { family: 6 });
  const other = lookupAll(l, 'other');
  r.release();
  for (const w of await Promise.all(waiting)) assert.deepEqual(w, [V4]);
  assert.deepEqual(await v6only, [V6]);
  assert.deepEqual(await other, [V4]);
  assert.deepEqual(
    r.asked.map((a) => [a.hostname, a.options.family ?? 0]),
    [['localhost', 0], ['localhost', 6], ['other', 0]],
  );
});

test('a failed lookup is not kept, and forget() makes the next connection ask again', async () => {
  const notFound = Object.assign(new Error('getaddrinfo ENOTFOUND app'), { code: 'ENOTFOUND' });
  const r = scriptedResolver([notFound, [], [V4], [V6]]);
  const l = new CachedLookup({ ttlMs: 5000, now: () => 0, resolve: r.resolve });
  await assert.rejects(lookupAll(l, 'app'), /ENOTFOUND/);
  await assert.rejects(lookupOne(l, 'app'), (err: NodeJS.ErrnoException) => err.code === 'ENOTFOUND', 'no address at all is a failure too');
  assert.deepEqual(await lookupAll(l, 'app'), [V4]);
  assert.deepEqual(await lookupAll(l, 'app'), [V4]);
  l.forget('app');
  l.forget('pp'); // only that name
  assert.deepEqual(await lookupAll(l, 'app'), [V6]);
  assert.equal(r.asked.length, 4);
});

test('several addresses of the preferred family (DNS round robin): each answer starts one further along', async () => {
  const [A, B, C] = ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((address): LookupAddress => ({ address, family: 4 }));
  const D: LookupAddress = { address: 'fd00::1', family: 6 };
  const r = scriptedResolver([[A!, B!, C!, D]]);
  const l = new CachedLookup({ ttlMs: 5000, now: () => 0, resolve: r.resolve });
  r.holdAnswers();
  const first = [lookupOne(l, 'app'), lookupOne(l, 'app')];
  r.release();
  const order = (await Promise.all(first)).map((a) => a.address);
  order.push((await lookupOne(l, 'app')).address, (await lookupOne(l, 'app')).address);
  assert.deepEqual(order, ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.1'], 'shared and kept answers alike');
  assert.deepEqual(await lookupAll(l, 'app'), [B, C, A, D], 'the other family after, unchanged');
  assert.equal(r.asked.length, 1);
});

// Real sockets from here on.
const closers: Array<() => void | Promise<void>> = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});

async function startApp(host: string): Promise<number> {
  const server = net.createServer((s) => s.on('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok')));
  await new Promise<void>((r) => server.listen(0, host, r));
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as net.AddressInfo).port;
}

/** Lookups of `localhost` from now on, counted, not replaced: each still goes to the real resolver. */
function countLocalhostLookups(t: { mock: { method: typeof import('node:test').mock.method } }): () => number {
  const real = dns.lookup;
  let lookups = 0;
  t.mock.method(dns, 'lookup', (...args: Parameters<typeof dns.lookup>) => {
    if (args[0] === 'localhost') lookups++;
    return (real as (...a: unknown[]) => void)(...args);
  });
  return () => lookups;
}

test('the relay reaches an app named localhost over 40 new connections with at most one lookup', async (t) => {
  const lookups = countLocalhostLookups(t);
  const appPort = await startApp('127.0.0.1');
  const relay = new RelayServer({ listen: { host: '127.0.0.1', port: 0 }, upstream: { kind: 'tcp', host: 'localhost', port: appPort }, log: createMemoryLogger() });
  const { port } = await relay.listen();
  closers.push(() => relay.destroy());
  const answers = await Promise.all(Array.from({ length: 40 }, () => rawExchange(port, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))));
  for (const a of answers) assert.equal(a.toString('latin1'), 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
  assert.ok(lookups() <= 1, `localhost looked up ${lookups()} times for 40 connections`);
});

test("a shadow named localhost: the pool opens 16 connections with one lookup", async (t) => {
  const lookups = countLocalhostLookups(t);
  let accepted = 0;
  const shadow = net.createServer(() => accepted++);
  await new Promise<void>((r) => shadow.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => shadow.close(() => r())));
  const pool = new ConnectionPool(parseDestination(`http://localhost:${(shadow.address() as net.AddressInfo).port}`), { max: 16, skipVerify: false, drainLimit: 1 << 20, idleMs: 10_000 });
  closers.push(() => pool.destroy());
  pool.warm(16);
  for (let i = 0; i < 200 && accepted < 16; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(accepted, 16);
  assert.equal(lookups(), 1);
});

test('a refused connection to a shadow named localhost makes the next one look the name up again', async (t) => {
  const lookups = countLocalhostLookups(t);
  const pool = new ConnectionPool(parseDestination(`http://localhost:${await refusedPort()}`), { max: 1, skipVerify: false, drainLimit: 1 << 20, idleMs: 10_000 });
  closers.push(() => pool.destroy());
  for (let attempt = 1; attempt <= 2; attempt++) {
    const conn = pool.acquire(true)!;
    await new Promise((r) => conn.socket.once('close', r));
    pool.gone(conn);
  }
  assert.equal(lookups(), 2, 'each connection after a failure asks again');
});
