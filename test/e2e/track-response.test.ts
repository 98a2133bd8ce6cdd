/**
 * --output-http-track-response with --output-file / --output-stdout, through the real CLI
 * with a real app and a real shadow: the recording holds each request (type 1), the app's
 * response (type 2) and the shadow's response (type 3), with matching ids, as gor writes them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeAll, type GorRecord } from '../../src/gor/codec.js';
import { spawn } from 'node:child_process';
import { assertBuilt, CLI, startNodeApp, stopProc } from '../helpers/duplicator.js';
import { eventually, rawExchange, refusedPort, startRecordingShadow } from '../helpers/net.js';

const REQUESTS = 5;

function byId(records: readonly GorRecord[]): Map<string, Map<string, GorRecord>> {
  const ids = new Map<string, Map<string, GorRecord>>();
  for (const r of records) {
    const types = ids.get(r.id) ?? new Map<string, GorRecord>();
    types.set(r.type, r);
    ids.set(r.id, types);
  }
  return ids;
}

function assertTriples(records: readonly GorRecord[], where: string): void {
  const ids = byId(records);
  assert.equal(ids.size, REQUESTS, `${where}: one id per request`);
  for (const [id, types] of ids) {
    assert.deepEqual([...types.keys()].sort(), ['1', '2', '3'], `${where}: id ${id} has a request, the app's and the shadow's response`);
    const shadow = types.get('3')!;
    assert.ok((shadow.latencyNs ?? 0n) > 0n, `${where}: the shadow's response has a positive latency`);
    assert.match(shadow.payload.toString('latin1'), /^HTTP\/1\.1 201 /, `${where}: the type 3 record is the shadow's answer`);
    assert.match(types.get('2')!.payload.toString('latin1'), /^HTTP\/1\.1 200 /, `${where}: the type 2 record is the app's answer`);
  }
}

test('--output-http-track-response: the .gor file and stdout hold type 1, 2 and 3 records with matching ids', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'td-track-'));
  const app = await startNodeApp();
  const shadow = await startRecordingShadow({ status: 201 });
  const file = join(dir, 'track.gor');
  assertBuilt();
  const port = await refusedPort();
  // Spawned here rather than with startSidecar: stdout must be kept apart from the log (stderr) as bytes.
  const dup = spawn(
    process.execPath,
    [CLI, '--listen', `127.0.0.1:${port}`, '--upstream', `http://127.0.0.1:${app.port}`, '--output-http', shadow.url, '--output-http-track-response',
      '--output-file', file, '--output-file-append', '--output-file-flush-interval', '50ms', '--output-stdout'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const stdout: Buffer[] = [];
  let log = '';
  dup.stdout.on('data', (c: Buffer) => stdout.push(c));
  dup.stderr.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise((r) => dup.once('exit', r));
  try {
    await eventually(() => /at=listening /.test(log) || dup.exitCode !== null, 20_000, 'at=listening');
    for (let i = 0; i < REQUESTS; i++) {
      const answer = await rawExchange(port, `GET /track/${i} HTTP/1.1\r\nHost: app\r\nConnection: close\r\n\r\n`);
      assert.match(answer.toString('latin1'), /^HTTP\/1\.1 200 /);
    }
    // A guard for the copies to reach the shadow, not a timing.
    await eventually(() => shadow.received.length >= REQUESTS, 15_000, 'copies at the shadow');
  } finally {
    dup.kill('SIGTERM');
    const guard = setTimeout(() => dup.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(guard);
    await stopProc(app.proc);
    await shadow.close();
  }
  try {
    const fromFile = decodeAll(readFileSync(file), { source: file });
    assert.equal(fromFile.reader.malformed, 0);
    assertTriples(fromFile.records, 'file');
    // stdout carries the same .gor records, between the log lines on stderr.
    const fromStdout = decodeAll(Buffer.concat(stdout), { source: 'stdout' });
    assert.equal(fromStdout.reader.malformed, 0);
    assertTriples(fromStdout.records, 'stdout');
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- duplicator log ---\n${log}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
