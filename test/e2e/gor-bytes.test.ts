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
import { GOR_FIXTURES, ROOT, decodeStrict, runCli, tempDir } from '../fixtures/e2e-gor/cli.js';

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
