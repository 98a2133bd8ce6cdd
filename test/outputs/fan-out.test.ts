import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message } from '../../src/core/message.js';
import { ACCEPTED, dropped, type OfferResult, type Output } from '../../src/core/output.js';
import { FanOut } from '../../src/outputs/fan-out.js';
import { deps, request } from './helpers.js';

/** An in-memory output that records what it was offered and answers with `result`. */
function recorder(name: string, result: (m: Message) => OfferResult = () => ACCEPTED, wants: (m: Message) => boolean = (m) => m.type === 'request') {
  const got: Message[] = [];
  let closedWith: number | undefined;
  const out: Output & { got: Message[]; closedWith(): number | undefined } = {
    name,
    got,
    closedWith: () => closedWith,
    wants,
    offer(m) {
      got.push(m);
      return result(m);
    },
    async close(graceMs) {
      closedWith = graceMs;
    },
  };
  return out;
}

test('every output that wants a message gets the same object; refusals are counted and logged by reason', async () => {
  const d = deps();
  const a = recorder('a');
  const b = recorder('b', () => dropped('queue_full'));
  const c = recorder('c', () => ACCEPTED, () => false);
  const fan = new FanOut([a, b, c], d);
  const msgs = Array.from({ length: 5 }, (_, i) => request(`/${i}`));
  for (const m of msgs) fan.offer(m);
  assert.deepEqual(a.got, msgs);
  assert.ok(a.got.every((m, i) => m === msgs[i]));
  assert.equal(b.got.length, 5);
  assert.equal(c.got.length, 0);
  assert.deepEqual(d.stats.entry('b').dropped, { queue_full: 5 });
  assert.deepEqual(d.stats.entry('a').dropped, {});
  assert.equal(d.log.lines.length, 1);
  assert.match(d.log.lines[0]!, /at=mirror-drop level=warn dest=b reason=queue_full/);
  await fan.close(123);
  assert.equal(a.closedWith(), 123);
  assert.equal(c.closedWith(), 123);
});

test('an output that throws costs only its copy: counted as mirror_error, others still served', async () => {
  const d = deps();
  const boom = recorder('boom', () => {
    throw new Error('bug in an output');
  });
  const badWants = recorder('bad-wants', () => ACCEPTED, () => {
    throw new TypeError('bug in wants');
  });
  const badClose = recorder('bad-close');
  badClose.close = async () => {
    throw new Error('close failed');
  };
  const ok = recorder('ok');
  const fan = new FanOut([boom, badWants, badClose, ok], d);
  for (let i = 0; i < 3; i++) assert.doesNotThrow(() => fan.offer(request('/')));
  assert.equal(ok.got.length, 3);
  for (const name of ['boom', 'bad-wants']) {
    assert.deepEqual(d.stats.entry(name).errors, { mirror_error: 3 });
    assert.deepEqual(d.stats.entry(name).dropped, { mirror_error: 3 });
  }
  assert.ok(d.log.lines.some((l) => /at=mirror-error .*dest=boom kind=mirror_error message="bug in an output"/.test(l)));
  await fan.close(10); // does not reject
  assert.deepEqual(d.stats.entry('bad-close').errors, { close_error: 1 });
});

test('--split-output sends each message to one output, round-robin over those that want it', () => {
  const d = deps();
  const outs = [recorder('o1'), recorder('o2'), recorder('responses-only', () => ACCEPTED, (m) => m.type !== 'request'), recorder('o3')];
  const fan = new FanOut(outs, d, { split: true });
  for (let i = 0; i < 9; i++) fan.offer(request(`/${i}`));
  assert.deepEqual(
    outs.map((o) => o.got.map((m) => (m.type === 'request' ? m.target : ''))),
    [['/0', '/3', '/6'], ['/1', '/4', '/7'], [], ['/2', '/5', '/8']],
  );
  new FanOut([], d, { split: true }).offer(request('/none')); // nothing to send to: no throw
});
