// run()'s mode selection: the parsed invocation decides which mode runs and with what;
// bad input exits 2 before any mode (or the engine) is started. The modes are replaced by
// recorders (their own tests are in test/modes/), the engine by a stub.
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { run, type Modes } from '../../src/cli/run.js';
import { NO_MIRROR } from '../../src/core/mirror.js';
import type { MirrorEngine } from '../../src/engine/mirror-engine.js';
import { Stats } from '../../src/telemetry/stats.js';
import { createMemoryLogger as memoryLog } from '../../src/telemetry/logger.js';

interface Call {
  mode: keyof Modes;
  args: unknown[];
}

function recorder() {
  const calls: Call[] = [];
  const engine: MirrorEngine = { stats: new Stats(), outputCount: 1, usesResponses: false, observe: () => undefined, input: () => {}, close: async () => {} };
  const modes: Modes = {
    runWrapped: async (...args) => (calls.push({ mode: 'runWrapped', args }), 11),
    runSidecar: async (...args) => (calls.push({ mode: 'runSidecar', args }), 12),
    runReplay: async (...args) => (calls.push({ mode: 'runReplay', args }), 13),
    runPassthrough: async (...args) => (calls.push({ mode: 'runPassthrough', args }), 14),
    startMirror: (...args) => (calls.push({ mode: 'startMirror', args }), engine),
  };
  return { calls, modes, engine };
}

async function runWith(argv: string[], env: NodeJS.ProcessEnv, entry: 'traffic-duplicator' | 'start-traffic-duplicator' = 'traffic-duplicator') {
  const r = recorder();
  let out = '';
  let err = '';
  const status = await run(entry, argv, {
    env,
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    log: memoryLog(),
    modes: r.modes,
  });
  return { ...r, status, out, err, names: r.calls.map((c) => c.mode) };
}

test('wrap: `-- CMD` runs the app with $PORT as the public port; the engine is built before the app starts', async () => {
  const r = await runWith(['--output-null', '--', 'node', 'app.js'], { PORT: '5000' });
  assert.equal(r.status, 11);
  assert.deepEqual(r.names, ['startMirror', 'runWrapped']);
  const [options] = r.calls[1]!.args as [Parameters<Modes['runWrapped']>[0]];
  assert.deepEqual(options.command, ['node', 'app.js']);
  assert.equal(options.publicPort, 5000);
  assert.equal(options.publicHost, '::');
  assert.equal(options.mirror, r.engine);
});

test('start-traffic-duplicator: every argument is the app command', async () => {
  const r = await runWith(['bundle', 'exec', 'puma', '-p', '5000'], { PORT: '5000' }, 'start-traffic-duplicator');
  assert.deepEqual(r.names, ['startMirror', 'runWrapped']);
  assert.deepEqual((r.calls[1]!.args[0] as { command: string[] }).command, ['bundle', 'exec', 'puma', '-p', '5000']);
});

test('the kill switch with an app command: passthrough, no engine', async () => {
  const r = await runWith(['--output-null', '--', 'node', 'app.js'], { PORT: '5000', TRAFFIC_DUPLICATOR_ENABLED: 'false' });
  assert.equal(r.status, 14);
  assert.deepEqual(r.names, ['runPassthrough']);
  assert.deepEqual(r.calls[0]!.args[0], ['node', 'app.js']);
});

test('sidecar: --upstream and --listen; mirroring through the engine, or nothing with the kill switch', async () => {
  const on = await runWith(['--upstream', 'http://127.0.0.1:3000', '--listen', '127.0.0.1:8080', '--output-null'], {});
  assert.equal(on.status, 12);
  assert.deepEqual(on.names, ['startMirror', 'runSidecar']);
  const options = on.calls[1]!.args[0] as Parameters<Modes['runSidecar']>[0];
  assert.deepEqual(options.listen, { host: '127.0.0.1', port: 8080 });
  assert.deepEqual(options.upstream, { kind: 'tcp', host: '127.0.0.1', port: 3000 });
  assert.equal(options.mirror, on.engine);

  const off = await runWith(['--upstream', '3000', '--output-null'], { PORT: '8080', TRAFFIC_DUPLICATOR_ENABLED: 'off' });
  assert.deepEqual(off.names, ['runSidecar']);
  assert.equal((off.calls[0]!.args[0] as { mirror: unknown }).mirror, NO_MIRROR);
});

test('replay: --input-file feeds the engine', async () => {
  const capture = fileURLToPath(new URL('../fixtures/gor/capture-v0.10.1.gor', import.meta.url));
  const r = await runWith(['--input-file', `${capture}|200%`, '--output-null'], {});
  assert.equal(r.status, 13);
  assert.deepEqual(r.names, ['startMirror', 'runReplay']);
  const options = r.calls[1]!.args[0] as Parameters<Modes['runReplay']>[0];
  assert.deepEqual(options.input.files, [{ pattern: capture, speedPercent: 200 }]);
  assert.equal(options.mirror, r.engine);
  assert.equal(options.stats, r.engine.stats);
});

test('bad input: exit 2 with the error on stderr, and no mode or engine started', async () => {
  for (const argv of [['--output-http', 'ftp://x', '--', 'app'], ['--no-such-flag'], ['--http-allow-url', 'a(', '--', 'app'], []]) {
    const r = await runWith(argv, { PORT: '5000' });
    assert.equal(r.status, 2, argv.join(' '));
    assert.match(r.err, /^traffic-duplicator: error: /);
    assert.deepEqual(r.names, [], argv.join(' '));
  }
});

test('--help and --version answer on stdout without starting anything', async () => {
  const help = await runWith(['--help'], {});
  assert.equal(help.status, 0);
  assert.match(help.out, /--output-http/);
  const version = await runWith(['--version'], {});
  assert.equal(version.status, 0);
  assert.match(version.out, /^traffic-duplicator \d+\.\d+\.\d+/);
  assert.deepEqual([...help.names, ...version.names], []);
});
