/**
 * Issue #3, part 1: gor's modifier conformance table, end to end through the real CLI.
 *
 * Every row of CONFORMANCE_CASES becomes a type-1 record in a .gor file; rows that share
 * the same flags share one file and one `--input-file in.gor --output-stdout <flags>` run
 * (each record has its own id, so output records are matched back to rows by id). What
 * comes out on stdout is decoded with our codec and compared byte for byte with the row's
 * expectation; a 'dropped' row must not appear at all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { CONFORMANCE_CASES, expectedRaw, toArgv, type ConformanceCase } from '../pipeline/conformance-cases.js';
import { decodeStrict, pool, runCli, tempDir, writeGor } from '../fixtures/e2e-gor/cli.js';

interface Group {
  key: string;
  argv: string[];
  rows: Array<{ row: ConformanceCase; id: string }>;
}

function groupRows(): Group[] {
  const groups = new Map<string, Group>();
  CONFORMANCE_CASES.forEach((row, i) => {
    const argv = toArgv(row.flags);
    const key = JSON.stringify(argv);
    const g = groups.get(key) ?? { key, argv, rows: [] };
    g.rows.push({ row, id: `conf${String(i).padStart(4, '0')}` });
    groups.set(key, g);
  });
  return [...groups.values()];
}

test('conformance table through `--input-file … --output-stdout` (every row, real CLI)', async (t) => {
  const groups = groupRows();
  const tmp = tempDir('conformance');
  try {
    // All records share one timestamp: the replay has no pauses to honour.
    const ts = 1_700_000_000_000_000_000n;
    const results = await pool(groups, 3, async (g, gi) => {
      const file = path.join(tmp.dir, `group-${gi}.gor`);
      writeGor(
        file,
        g.rows.map(({ row, id }) => ({ type: '1' as const, id, timestampNs: ts, payload: Buffer.from(row.request, 'latin1') })),
      );
      const r = await runCli(['--input-file', file, '--output-stdout', ...g.argv], { timeoutMs: 60_000 });
      return { g, r };
    });

    let checked = 0;
    for (const { g, r } of results) {
      const where = `flags ${g.argv.join(' ') || '(none)'}`;
      assert.equal(r.code, 0, `${where}: exit code\n${r.stderr}`);
      assert.doesNotMatch(r.stderr, /input-file-malformed|input-file-skip/, `${where}: every record was read\n${r.stderr}`);
      const out = decodeStrict(r.stdout, `stdout of ${where}`);
      const byId = new Map(out.map((rec) => [rec.id, rec]));
      assert.equal(byId.size, out.length, `${where}: one output record per id`);
      for (const { row, id } of g.rows) {
        const expected = expectedRaw(row);
        const got = byId.get(id);
        await t.test(row.name, () => {
          if (expected === undefined) {
            assert.equal(got, undefined, `expected a drop, got:\n${got?.payload.toString('latin1')}`);
          } else {
            assert.ok(got, `expected a request out, nothing came (stderr:\n${r.stderr})`);
            assert.equal(got.type, '1');
            assert.equal(got.timestampNs, ts, 'the replayed record keeps its recorded timestamp');
            assert.equal(got.payload.toString('latin1'), expected);
          }
        });
        checked++;
      }
      // Nothing but the rows' own records came out.
      for (const rec of out) assert.ok(g.rows.some((x) => x.id === rec.id), `${where}: unexpected record ${rec.id}`);
    }
    assert.equal(checked, CONFORMANCE_CASES.length);
  } finally {
    tmp.cleanup();
  }
});
