import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { Comparator, type ComparatorOptions } from '../../src/compare/comparator.js';
import type { RequestMessage, ResponseMessage } from '../../src/core/message.js';
import { Stats } from '../../src/telemetry/stats.js';

const CAND = 'http://candidate/';
const CTRL = 'http://control/';

function comparator(over: Partial<ComparatorOptions> = {}, stats?: Stats): Comparator {
  return new Comparator({ destinations: [{ name: CAND, role: 'candidate' }], samplePercent: 100, maxBodyBytes: 1 << 20, ignore: [], routes: [], redact: [], ...over }, { stats });
}

/** Lets the comparison slices run until nothing is pending (they run in setImmediate turns of a few ms). */
async function settle(c: Comparator): Promise<void> {
  for (let i = 0; i < 1000 && c.report().store.pending > 0; i++) await tick();
}

let n = 0;
function req(target: string, headers: Array<[string, string]> = []): RequestMessage {
  return { type: 'request', id: `id${++n}`, startNs: 0n, method: 'GET', target, version: 'HTTP/1.1', headers: headers.map(([name, value]) => ({ name, value })), body: Buffer.alloc(0) };
}
function resp(type: 'response' | 'replayed-response', id: string, status: number, body: unknown, latencyMs = 1, headers: Array<[string, string]> = []): ResponseMessage {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return {
    type, id, startNs: 0n, latencyNs: BigInt(Math.round(latencyMs * 1e6)), version: 'HTTP/1.1', status, reason: '',
    headers: [{ name: 'content-type', value: typeof body === 'string' ? 'text/plain' : 'application/json' }, ...headers.map(([name, value]) => ({ name, value }))], body: b,
  };
}

/** One exchange: the copy is accepted, production answers, then the destination does (or the other way round). */
async function exchange(c: Comparator, target: string, prod: unknown, cand: unknown, o: { dest?: string; candFirst?: boolean; prodMs?: number; candMs?: number; status?: number } = {}) {
  const r = req(target);
  const dest = o.dest ?? CAND;
  c.expect(dest, r);
  const p = () => c.production(resp('response', r.id, 200, prod, o.prodMs));
  const a = () => c.answer(dest, resp('replayed-response', r.id, o.status ?? 200, cand, o.candMs));
  if (o.candFirst) {
    a();
    p();
  } else {
    p();
    a();
  }
  await settle(c);
  return r;
}

test('pairs in either order, per endpoint, with statuses and latency of both sides', async () => {
  const stats = new Stats();
  const c = comparator({}, stats);
  await exchange(c, '/users/1', { a: 1 }, { a: 1 }, { prodMs: 10, candMs: 30 });
  await exchange(c, '/users/2', { a: 1 }, { a: 2 }, { candFirst: true, prodMs: 10, candMs: 30 });
  await exchange(c, '/orders/9', { ok: true }, { ok: true }, { status: 500 });
  const r = c.report();
  const d = r.destinations[0]!;
  assert.equal(d.compared, 3);
  assert.equal(d.different, 2);
  const users = d.endpoints.find((e) => e.route === '/users/:id')!;
  assert.equal(users.compared, 2);
  assert.equal(users.different, 1);
  assert.deepEqual(users.fields.map((f) => [f.path, f.kind, f.different, f.verdict]), [['body.a', 'changed', 1, 'difference']]);
  assert.deepEqual(users.latency_ms.delta.p50, 20);
  assert.deepEqual(users.fields[0]!.samples[0]!.production, '1');
  const orders = d.endpoints.find((e) => e.route === '/orders/:id')!;
  assert.deepEqual(orders.statuses, { '200': { '500': 1 } });
  assert.equal(d.endpoints[0]!.route, '/orders/:id', 'sorted by difference rate');
  assert.equal(stats.entry(CAND).counts?.['compare.compared'], 3);
  assert.equal(stats.entry(CAND).counts?.['compare.different'], 2);
  assert.equal(r.store.pending, 0);
  c.close();
});

test('pairs that cannot complete are counted by reason, never guessed', async () => {
  const c = comparator({ maxBodyBytes: 100 });
  const a = req('/a');
  c.expect(CAND, a);
  c.failed(CAND, a.id, 'timeout');
  const b = req('/b');
  c.expect(CAND, b);
  c.failed(CAND, b.id, 'connect_refused');
  c.notSent(CAND, 'queue_full');
  const big = req('/big');
  c.expect(CAND, big);
  c.production(resp('response', big.id, 200, 'x'));
  c.answer(CAND, resp('replayed-response', big.id, 200, 'y'.repeat(101)));
  const bomb = req('/bomb');
  c.expect(CAND, bomb);
  c.production(resp('response', bomb.id, 200, 'x'));
  c.answer(CAND, resp('replayed-response', bomb.id, 200, Buffer.from('garbage'), 1, [['content-encoding', 'gzip']]));
  const never = req('/never');
  c.expect(CAND, never);
  c.production(resp('response', never.id, 200, 'x'));
  await tick();
  c.close(); // what still waits at exit is counted as shut down
  const d = c.report().destinations[0]!;
  assert.deepEqual(d.unpaired, { timeout: 1, 'error:connect_refused': 1, 'dropped:queue_full': 1, body_too_large: 1, undecodable: 1, 'dropped:shutdown': 1 });
  assert.equal(d.compared, 0);
});

test('an answer that production never sends is expired, with its reason', async () => {
  const c = comparator({ pendingTtlMs: 1 });
  const r = req('/x');
  c.expect(CAND, r);
  c.answer(CAND, resp('replayed-response', r.id, 200, 'x'));
  await new Promise((res) => setTimeout(res, 200)); // the sweep runs every ttl/2 (a wait, not a measurement)
  assert.deepEqual(c.report().destinations[0]!.unpaired, { no_production_response: 1 });
  c.close();
});

test('sampling is decided by the request id alone, and unsampled requests cost nothing', async () => {
  const c = comparator({ samplePercent: 10 });
  let sampled = 0;
  for (let i = 0; i < 2000; i++) if (c.sampled(`4f1c${i.toString(16).padStart(20, '0')}`)) sampled++;
  assert.ok(sampled > 100 && sampled < 300, `sampled ${sampled} of 2000`);
  const id = 'cafe0000000000000000beef';
  assert.equal(c.sampled(id), c.sampled(id));
  c.close();
});

test('noise: without a control, learned from production; with one, the control rule; ignores are shown as ignored', async () => {
  const learned = comparator({ ignore: ['body.etag'] });
  for (const round of [1, 2]) {
    for (const id of [1, 2]) await exchange(learned, `/u/${id}`, { id, at: `p${round}${id}`, etag: `e${round}` }, { id, at: `c${round}${id}`, etag: 'c', extra: 1 });
  }
  const fields = Object.fromEntries(learned.report().destinations[0]!.endpoints[0]!.fields.map((f) => [f.path, f.verdict]));
  assert.deepEqual(fields, { 'body.at': 'noise', 'body.etag': 'ignored', 'body.extra': 'difference' });
  learned.close();

  const withControl = comparator({ destinations: [{ name: CAND, role: 'candidate' }, { name: CTRL, role: 'control' }] });
  for (let id = 1; id <= 10; id++) {
    const r = req(`/v/${id}`);
    withControl.expect(CAND, r);
    withControl.expect(CTRL, r);
    withControl.production(resp('response', r.id, 200, { at: `p${id}`, v: 1 }));
    withControl.answer(CTRL, resp('replayed-response', r.id, 200, { at: `n${id}`, v: 1 }));
    withControl.answer(CAND, resp('replayed-response', r.id, 200, { at: `c${id}`, v: id > 5 ? 2 : 1 }));
    await settle(withControl);
  }
  const rep = withControl.report();
  const cand = rep.destinations.find((d) => d.role === 'candidate')!.endpoints[0]!;
  const byPath = Object.fromEntries(cand.fields.map((f) => [f.path, [f.verdict, f.noise]]));
  assert.deepEqual(byPath, { 'body.at': ['noise', 10], 'body.v': ['difference', 0] });
  assert.equal(cand.different, 5, 'only the pairs with a real difference count');
  withControl.close();
});

test('samples redact Authorization, Cookie, Set-Cookie and --compare-redact names, in headers, bodies and queries', async () => {
  const c = comparator({ redact: ['password', 'api_key'] });
  const r = req('/login?api_key=SECRETKEY&x=1');
  c.expect(CAND, r);
  c.production(resp('response', r.id, 200, { password: 'hunter2', user: { password: 'p1' } }, 1, [['Set-Cookie', 'sid=PRODSESSION']]));
  c.answer(CAND, resp('replayed-response', r.id, 200, { password: 'swordfish', user: { password: 'p2' } }, 1, [['Set-Cookie', 'sid=CANDSESSION']]));
  await settle(c);
  const text = JSON.stringify(c.report());
  for (const secret of ['hunter2', 'swordfish', 'PRODSESSION', 'CANDSESSION', 'SECRETKEY', '"p1"', '"p2"']) assert.ok(!text.includes(secret), secret);
  assert.match(text, /api_key=\[redacted\]&x=1/);
  c.close();
});

test('the store is bounded: endpoints past the cap are pooled and counted, samples past the budget dropped', async () => {
  const c = comparator({ store: { maxEndpoints: 3, maxBytes: 64 * 1024 } });
  for (let i = 0; i < 40; i++) await exchange(c, `/route${String.fromCharCode(97 + (i % 26))}${i}/x`, { a: 'p'.repeat(200) }, { a: 'c'.repeat(200) });
  const r = c.report();
  const d = r.destinations[0]!;
  assert.equal(d.endpoints.length, 4, '3 endpoints + the overflow one');
  assert.equal(d.endpoints_overflow, 37);
  assert.ok(d.endpoints.some((e) => e.method === 'OTHER' && e.route === '/*'));
  assert.equal(d.compared, 40);
  assert.ok(r.store.bytes <= r.store.max_bytes + 16 * 1024, `store ${r.store.bytes} of ${r.store.max_bytes}`);
  c.close();
});

test('the pending map is bounded by count and bytes', async () => {
  const c = comparator({ pending: { maxEntries: 2, maxBytes: 1000, ttlMs: 60_000 } });
  const rs = [req('/1'), req('/2'), req('/3')];
  for (const r of rs) c.expect(CAND, r);
  c.production(resp('response', rs[0]!.id, 200, 'x'.repeat(2000)));
  assert.deepEqual(c.report().destinations[0]!.unpaired, { store_full: 2 });
  c.close();
});

test("production's answer to a request whose copies all failed first is not held: later pairs still fit", async () => {
  // Room for one pair (production's answer and the candidate's, 20 KB each), not for two
  // answers held by mistake and then a pair.
  const c = comparator({ pending: { maxEntries: 100, maxBytes: 45_000, ttlMs: 60_000 } });
  const big = { s: 'x'.repeat(20_000) };
  for (let i = 0; i < 2; i++) {
    const r = req(`/fail/${i}`);
    c.expect(CAND, r);
    c.failed(CAND, r.id, 'reset'); // the candidate reset before production's answer was read
    c.production(resp('response', r.id, 200, big));
  }
  assert.equal(c.report().store.pending, 0, 'nothing left waiting: every side has settled');
  await exchange(c, '/ok', big, big);
  const d = c.report().destinations[0]!;
  assert.equal(d.compared, 1);
  assert.deepEqual(d.unpaired, { 'error:reset': 2 }, 'no store_full');
  c.close();
});

test("with a control, the stats line's different count agrees with the report", async () => {
  const stats = new Stats();
  const c = comparator({ destinations: [{ name: CAND, role: 'candidate' }, { name: CTRL, role: 'control' }] }, stats);
  for (let i = 0; i < 50; i++) {
    const r = req(`/users/${i}`);
    c.expect(CAND, r);
    c.expect(CTRL, r);
    c.production(resp('response', r.id, 200, { name: 'a' }));
    c.answer(CTRL, resp('replayed-response', r.id, 200, { name: 'a' })); // the control agrees with production
    c.answer(CAND, resp('replayed-response', r.id, 200, { name: 'b' })); // the candidate always differs
    await settle(c);
  }
  const d = c.report().destinations.find((x) => x.url === CAND)!;
  assert.equal(d.different, 50);
  assert.equal(stats.entry(CAND).counts?.['compare.different'] ?? 0, 50, 'counted with the field\'s running count, not as one difference in all pairs');
  c.close();
});

test('reset forgets everything compared so far', async () => {
  const c = comparator();
  await exchange(c, '/a/1', { a: 1 }, { a: 2 });
  assert.equal(c.report().destinations[0]!.compared, 1);
  c.reset();
  const r = c.report();
  assert.equal(r.destinations[0]!.compared, 0);
  assert.equal(r.destinations[0]!.endpoints.length, 0);
  assert.equal(c.counts().length, 0);
  await exchange(c, '/a/1', { a: 1 }, { a: 2 });
  assert.deepEqual(c.counts(), [{ destination: CAND, role: 'candidate', method: 'GET', route: '/a/:id', compared: 1, different: 1 }]);
  c.close();
});

test('nothing thrown reaches the caller: broken messages are contained and counted', async () => {
  const c = comparator();
  const broken = { type: 'response', id: 'x', body: null } as unknown as ResponseMessage;
  assert.doesNotThrow(() => c.production(broken));
  assert.doesNotThrow(() => c.answer(CAND, broken));
  assert.doesNotThrow(() => c.expect(CAND, { id: 'y' } as unknown as RequestMessage));
  c.close();
});
