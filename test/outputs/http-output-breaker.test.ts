import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHttpOutput } from '../../src/outputs/http-output.js';
import { FanOut } from '../../src/outputs/fan-out.js';
import { accounting, closeHttp, deps, rawServer, refusedPort, request, until, httpOpts as opts } from './helpers.js';

// The circuit breaker of an HTTP destination. No timed assertions: we wait for states, with guards.

const tick = () => new Promise((r) => setTimeout(r, 10));

test('a refused destination opens the circuit: later copies are refused destination_down and counted', async () => {
  const port = await refusedPort();
  const d = deps();
  const out = createHttpOutput(opts(`http://127.0.0.1:${port}`, { workers: 1 }), d);
  const fan = new FanOut([out], d);
  for (let i = 0; i < 5; i++) fan.offer(request(`/r/${i}`));
  await until(() => (d.stats.entry(out.name).errors.connect_refused ?? 0) === 5, 20_000, 'five refusals');
  assert.equal(out.circuit, 'open');
  assert.equal(d.log.lines.filter((l) => l.includes('at=destination-down')).length, 1, 'logged once');
  assert.ok(d.log.lines.some((l) => /at=destination-down .*dest=http:\/\/127\.0\.0\.1:\d+ .*for_ms=1000/.test(l)), d.log.lines.join('\n'));
  // Each refusal is counted (by the fan-out, as the contract says), never silently lost.
  for (let i = 0; i < 20; i++) fan.offer(request(`/down/${i}`));
  await fan.close(10_000);
  const e = d.stats.entry(out.name);
  assert.equal(e.seen, 25);
  assert.deepEqual(e.errors, { connect_refused: 5 });
  assert.equal(e.dropped.destination_down, 20);
  assert.ok(accounting(d.stats, out.name).balanced, JSON.stringify(accounting(d.stats, out.name)));
});

test('a resetting destination opens it too; a streak broken by a success does not', async () => {
  let n = 0;
  // Answers every 4th connection, resets the others: never 5 failures in a row (workers: 1).
  const flaky = await rawServer((s) =>
    s.once('data', () => (n++ % 4 === 3 ? s.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n') : s.resetAndDestroy())),
  );
  const d = deps();
  const out = createHttpOutput(opts(flaky.url, { workers: 1 }), d);
  try {
    for (let i = 0; i < 16; i++) out.offer(request(`/f/${i}`));
    await out.close(20_000);
    const e = d.stats.entry(out.name);
    assert.equal(e.mirrored, 4, JSON.stringify(e));
    assert.equal(e.errors.reset, 12, JSON.stringify(e));
    assert.equal(out.circuit, 'closed');
    assert.ok(!d.log.lines.some((l) => l.includes('at=destination-down')));
    assert.ok(accounting(d.stats, out.name).balanced);
  } finally {
    await flaky.close();
  }
});

test('after the backoff one probe goes through: still refused doubles the backoff; back up closes the circuit', async () => {
  const port = await refusedPort();
  const d = deps();
  const out = createHttpOutput(opts(`http://127.0.0.1:${port}`, { workers: 1 }), d);
  const fan = new FanOut([out], d);
  const got: string[] = [];
  const shadow = createServer((req, res) => {
    got.push(req.url ?? '');
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  try {
    for (let i = 0; i < 5; i++) fan.offer(request(`/r/${i}`));
    await until(() => out.circuit === 'open', 20_000, 'the circuit to open');

    // Keep offering: after the 1 s backoff one copy is let through, is refused again, and the circuit reopens for 2 s.
    const downs = () => d.log.lines.filter((l) => l.includes('at=destination-down'));
    for (let i = 0; i < 2000 && downs().length < 2; i++) {
      fan.offer(request(`/wait/${i}`));
      await tick();
    }
    assert.equal(downs().length, 2, d.log.lines.join('\n'));
    assert.match(downs()[1]!, /for_ms=2000/);
    assert.equal(d.stats.entry(out.name).errors.connect_refused, 6, 'exactly one probe while half-open');

    // The destination comes back: the next probe is delivered and closes the circuit.
    await new Promise<void>((r) => shadow.listen(port, '127.0.0.1', r));
    for (let i = 0; i < 2000 && out.circuit !== 'closed'; i++) {
      fan.offer(request(`/back/${i}`));
      await tick();
    }
    assert.equal(out.circuit, 'closed');
    assert.equal(d.log.lines.filter((l) => l.includes('at=destination-up')).length, 1, d.log.lines.join('\n'));
    assert.ok(d.log.lines.some((l) => /at=destination-up .*dest=http:\/\/127\.0\.0\.1:\d+/.test(l)));
    // Closed again: copies flow normally.
    for (let i = 0; i < 5; i++) assert.deepEqual(out.offer(request(`/after/${i}`)), { accepted: true });
    await fan.close(10_000);
    assert.equal(got.filter((u) => u.startsWith('/after/')).length, 5);
    assert.equal(got.filter((u) => u.startsWith('/back/')).length, 1, 'the probe');
    const e = d.stats.entry(out.name);
    assert.ok((e.dropped.destination_down ?? 0) > 0);
    assert.ok(accounting(d.stats, out.name).balanced, JSON.stringify(accounting(d.stats, out.name)));
  } finally {
    await fan.close(0);
    await closeHttp(shadow).catch(() => {});
  }
});
