/**
 * Issue 8 through the real CLI: a .gor file read and written again gives the same payloads
 * byte for byte (the real gor v0.10.1 captures: 3-field meta lines, chunk-framed bodies,
 * gor's header order), and 'URL|0%' switches a destination off as gor does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startRecordingShadow } from '../helpers/net.js';
import { GOR_FIXTURES, ROOT, decodeStrict, runCli, tempDir, writeGor } from '../fixtures/e2e-gor/cli.js';

/** The captures in the repository, and the shared originals when this checkout sits beside them. */
const SAMPLE_DIRS = [GOR_FIXTURES, path.resolve(ROOT, '../shared/gor-samples'), path.resolve(ROOT, '../../shared/gor-samples')].filter((d) => existsSync(d));
const SAMPLES = SAMPLE_DIRS.flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.gor')).map((f) => path.join(dir, f)));

function readOutput(dir: string) {
  const files = readdirSync(dir).filter((f) => f.endsWith('.gor'));
  assert.equal(files.length, 1, `one output file: ${files.join(', ')}`);
  return decodeStrict(readFileSync(path.join(dir, files[0]!)), files[0]!);
}

for (const sample of SAMPLES) {
  test(`--input-file ${path.relative(ROOT, sample)} --output-file: the same payloads, byte for byte, in file order`, async () => {
    const tmp = tempDir('gor-bytes');
    try {
      const input = decodeStrict(readFileSync(sample), sample);
      assert.ok(input.length >= 3);
      const r = await runCli(['--input-file', sample, '--output-file', path.join(tmp.dir, 'out.gor')], { timeoutMs: 30_000 });
      assert.equal(r.code, 0, r.stderr);
      const output = readOutput(tmp.dir);
      assert.equal(output.length, input.length, r.stderr);
      for (let i = 0; i < input.length; i++) {
        const [a, b] = [input[i]!, output[i]!];
        assert.equal(b.id, a.id, `record ${i + 1}: id`);
        assert.equal(b.timestampNs, a.timestampNs, `record ${i + 1}: timestamp`);
        assert.ok(b.payload.equals(a.payload), `record ${i + 1}: payload\n${JSON.stringify(a.payload.toString('latin1'))}\n${JSON.stringify(b.payload.toString('latin1'))}`);
      }
      assert.ok(input.some((rec) => /transfer-encoding: chunked/i.test(rec.payload.toString('latin1'))), 'the sample has a chunked request');
    } finally {
      tmp.cleanup();
    }
  });
}

test("'URL|0%': nothing is sent there, it is logged once as off, the other outputs carry on", async () => {
  const tmp = tempDir('gor-off');
  const shadow = await startRecordingShadow();
  try {
    const sample = path.join(GOR_FIXTURES, 'trio-capture-gor-v0.10.1.gor');
    const r = await runCli(['--input-file', sample, '--output-http', `${shadow.url}|0%`, '--output-file', path.join(tmp.dir, 'out.gor')], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    const off = r.stderr.split('\n').filter((l) => /at=output-off /.test(l));
    assert.equal(off.length, 1, r.stderr);
    assert.match(off[0]!, /^source=traffic-duplicator /);
    assert.ok(off[0]!.includes(`127.0.0.1:${shadow.port}`), off[0]);
    assert.equal(shadow.received.length, 0, 'the switched-off destination received nothing');
    assert.doesNotMatch(r.stderr, new RegExp(`dest=${shadow.url.replace(/[.:/]/g, '\\$&')}`), 'no counters for a destination that does not exist');
    assert.equal(readOutput(tmp.dir).length, decodeStrict(readFileSync(sample), sample).length, 'the file output got every record');
  } finally {
    await shadow.close();
    tmp.cleanup();
  }
});

test('a replay passes recorded answers on as gor does: a file output keeps them, and an answer goes with its filtered request', async () => {
  const tmp = tempDir('gor-answers');
  try {
    const t0 = 1_700_000_000_000_000_000n;
    const req = (id: string, target: string, at: number) => ({ type: '1' as const, id, timestampNs: t0 + BigInt(at) * 1_000_000n, payload: Buffer.from(`GET ${target} HTTP/1.1\r\nHost: a\r\n\r\n`) });
    const resp = (id: string, at: number) => ({ type: '2' as const, id, timestampNs: t0 + BigInt(at) * 1_000_000n, latencyNs: 1_000_000n, payload: Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok') });
    const input = path.join(tmp.dir, 'in.gor');
    writeGor(input, [req('a1', '/keep', 0), resp('a1', 1), req('b2', '/skip', 2), resp('b2', 3), req('c3', '/keep/2', 4), resp('c3', 5)]);
    const r = await runCli(['--input-file', input, '--output-file', path.join(tmp.dir, 'out', 'out.gor'), '--http-disallow-url', '/skip'], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    const out = readOutput(path.join(tmp.dir, 'out'));
    assert.deepEqual(out.map((rec) => `${rec.type} ${rec.id}`), ['1 a1', '2 a1', '1 c3', '2 c3'], 'the answers kept, the filtered request\'s answer dropped with it');
    const original = decodeStrict(readFileSync(input), input);
    assert.ok(out[1]!.payload.equals(original[1]!.payload), 'the answer byte for byte');
  } finally {
    tmp.cleanup();
  }
});
