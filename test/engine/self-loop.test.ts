import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkNoSelfLoop, type LocalNames } from '../../src/engine/self-loop.js';
import { UsageError } from '../../src/core/errors.js';

const local: LocalNames = { names: new Set(['localhost', 'dyno-1']), addresses: new Set(['127.0.0.1', '::1', '10.1.2.3']) };
const loops = (listen: { host: string; port: number }, url: string) => {
  try {
    checkNoSelfLoop(listen, [{ url: new URL(url).href }], local);
    return false;
  } catch (err) {
    assert.ok(err instanceof UsageError);
    assert.match(err.message, /own listening address/);
    return true;
  }
};

test('an output on our own public address is refused; other ports and hosts are not', () => {
  const all = { host: '::', port: 5000 };
  for (const u of ['http://127.0.0.1:5000', 'http://localhost:5000/x', 'http://[::1]:5000', 'http://0.0.0.0:5000', 'http://dyno-1:5000', 'http://10.1.2.3:5000', 'http://127.0.0.2:5000']) {
    assert.equal(loops(all, u), true, u);
  }
  for (const u of ['http://127.0.0.1:5001', 'https://shadow.example.com', 'http://10.9.9.9:5000', 'http://shadow.internal:5000']) {
    assert.equal(loops(all, u), false, u);
  }
  // The default ports count: listening on 80, http://localhost/ is us.
  assert.equal(loops({ host: '::', port: 80 }, 'http://localhost/'), true);
  assert.equal(loops({ host: '::', port: 443 }, 'https://localhost/'), true);
});

test('bound to one address: only that address (and loopback names for a loopback bind) is us', () => {
  assert.equal(loops({ host: '127.0.0.1', port: 5000 }, 'http://localhost:5000'), true);
  assert.equal(loops({ host: '127.0.0.1', port: 5000 }, 'http://10.1.2.3:5000'), false);
  assert.equal(loops({ host: '10.1.2.3', port: 5000 }, 'http://10.1.2.3:5000'), true);
  assert.equal(loops({ host: '10.1.2.3', port: 5000 }, 'http://127.0.0.1:5000'), false);
});
