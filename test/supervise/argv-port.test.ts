import { test } from 'node:test';
import assert from 'node:assert/strict';
import { replacePortInArgv } from '../../src/supervise/argv-port.js';

const swap = (argv: string[]) => replacePortInArgv(argv, 5124, 40001);

test('the public port is swapped as a whole argument, after = or :, and glued to a short option', () => {
  assert.deepEqual(swap(['rails', 's', '-p', '5124']), ['rails', 's', '-p', '40001']);
  assert.deepEqual(swap(['puma', '--port=5124']), ['puma', '--port=40001']);
  assert.deepEqual(swap(['gunicorn', '-b', '0.0.0.0:5124']), ['gunicorn', '-b', '0.0.0.0:40001']);
  assert.deepEqual(swap(['puma', '-b', 'tcp://0.0.0.0:5124']), ['puma', '-b', 'tcp://0.0.0.0:40001']);
  assert.deepEqual(swap(['rails', 's', '-p5124']), ['rails', 's', '-p40001']);
});

test('inside sh -c / bash -c scripts the port is swapped where it stands as a word', () => {
  assert.deepEqual(swap(['sh', '-c', 'exec python3 -m http.server 5124']), ['sh', '-c', 'exec python3 -m http.server 40001']);
  assert.deepEqual(swap(['/bin/bash', '-c', "cd web && puma -p5124 -b 'tcp://0.0.0.0:5124'"]), ['/bin/bash', '-c', "cd web && puma -p40001 -b 'tcp://0.0.0.0:40001'"]);
  assert.deepEqual(swap(['bash', '-lc', 'PORT=5124 node app.js']), ['bash', '-lc', 'PORT=40001 node app.js']);
});

test('a port inside a longer number or word is left alone', () => {
  assert.deepEqual(swap(['app', '15124', '51245', '5124x', '-p51240']), ['app', '15124', '51245', '5124x', '-p51240']);
  assert.deepEqual(swap(['sh', '-c', 'sleep 15124; echo x5124']), ['sh', '-c', 'sleep 15124; echo x5124']);
  // Not a shell: a script-like argument of another program is not rewritten word by word.
  assert.deepEqual(swap(['ruby', '-e', 'puts 5124']), ['ruby', '-e', 'puts 5124']);
});
