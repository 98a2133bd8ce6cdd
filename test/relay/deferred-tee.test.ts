import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ConnectionObserver } from '../../src/core/mirror.js';
import { DeferredObserver } from '../../src/relay/deferred-tee.js';

function recorder(name: string, log: string[], failOn?: string): ConnectionObserver {
  return {
    fromClient: (c) => {
      if (failOn === c.toString()) throw new Error('tee bug');
      log.push(`${name}>${c}`);
    },
    fromApp: (c) => log.push(`${name}<${c}`),
    close: () => log.push(`${name} close`),
  };
}

test('the tee runs after the current turn, every connection in the order the relay saw its chunks, close last', async () => {
  const log: string[] = [];
  const a = new DeferredObserver(recorder('a', log));
  const b = new DeferredObserver(recorder('b', log));
  a.fromClient(Buffer.from('1'));
  b.fromClient(Buffer.from('x'));
  a.fromApp(Buffer.from('2'));
  a.close();
  b.fromApp(Buffer.from('y'));
  assert.deepEqual(log, [], 'nothing runs inside the relay\'s handler');
  await nextTurn();
  assert.deepEqual(log, ['a>1', 'b>x', 'a<2', 'a close', 'b<y']);
  a.fromClient(Buffer.from('late'));
  b.close();
  await nextTurn();
  assert.deepEqual(log.slice(5), ['b close'], 'nothing after close');
});

test('an exception in the tee stops observing that connection only, and closes its observer', async () => {
  const log: string[] = [];
  const bad = new DeferredObserver(recorder('bad', log, 'boom'));
  const good = new DeferredObserver(recorder('good', log));
  bad.fromClient(Buffer.from('ok'));
  bad.fromClient(Buffer.from('boom'));
  good.fromClient(Buffer.from('1'));
  bad.fromClient(Buffer.from('after'));
  await nextTurn();
  assert.deepEqual(log, ['bad>ok', 'bad close', 'good>1']);
});
