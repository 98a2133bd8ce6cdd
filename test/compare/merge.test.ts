// The fleet merge (compare/merge.ts) on hand-made reports: what is added, what is re-judged,
// and where the merge is only a bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergePercentiles, mergeReports } from '../../src/compare/merge.js';
import type { CompareReport, DestinationReport, EndpointReport, FieldReport } from '../../src/compare/types.js';

const P = (p50: number, count: number) => ({ p50, p90: p50 * 2, p99: p50 * 3, count });

function field(path: string, different: number, verdict: FieldReport['verdict'], reason = ''): FieldReport {
  return { path, kind: 'changed', different, noise: verdict === 'noise' ? different : 0, verdict, reason, samples: [{ id: path, method: 'GET', target: '/a', production: '1', candidate: '2' }] };
}

function endpoint(compared: number, different: number, fields: FieldReport[], p50 = 10): EndpointReport {
  return {
    method: 'GET',
    route: '/a',
    compared,
    different,
    statuses: { '200': { '200': compared - 1, '500': 1 } },
    fields,
    fields_overflow: 0,
    latency_ms: { production: P(p50, compared), candidate: P(p50 + 5, compared), delta: P(5, compared) },
  };
}

function report(instance: string, dests: DestinationReport[]): CompareReport {
  return {
    instance,
    started: `2026-01-01T00:00:0${instance.at(-1)}.000Z`,
    updated: `2026-01-01T00:01:0${instance.at(-1)}.000Z`,
    sample_percent: 100,
    destinations: dests,
    store: { bytes: 100, max_bytes: 1000, samples_dropped: 1, pending: 0, errors: 0 },
  };
}

function dest(role: 'candidate' | 'control', e: EndpointReport): DestinationReport {
  return { url: role === 'control' ? 'http://ctl/' : 'http://cand/', role, compared: e.compared, different: e.different, unpaired: { timeout: 1 }, anomalies: {}, endpoints: [e], endpoints_overflow: 0 };
}

test('counts add up; percentiles are count-weighted; samples stay capped; instances listed', () => {
  const a = report('web.1', [dest('candidate', endpoint(100, 10, [field('body.x', 10, 'difference'), field('body.t', 100, 'ignored')], 10))]);
  const b = report('web.2', [dest('candidate', endpoint(300, 30, [field('body.x', 30, 'difference'), field('body.t', 300, 'ignored')], 20))]);
  const f = mergeReports([b, a]);
  assert.deepEqual(f.instances.map((i) => [i.instance, i.compared]), [['web.1', 100], ['web.2', 300]]);
  const d = f.destinations[0]!;
  assert.equal(d.compared, 400);
  assert.equal(d.different, 40);
  assert.deepEqual(d.unpaired, { timeout: 2 });
  const e = d.endpoints[0]!;
  assert.deepEqual(e.statuses, { '200': { '200': 398, '500': 2 } });
  assert.deepEqual(e.fields.map((x) => [x.path, x.different, x.verdict]), [['body.x', 40, 'difference'], ['body.t', 400, 'ignored']]);
  assert.equal(e.latency_ms.production.p50, 17.5); // (10·100 + 20·300) / 400
  assert.equal(e.latency_ms.production.count, 400);
  assert.equal(f.store.samples_dropped, 2);
  assert.equal(f.started, a.started);
  assert.equal(f.updated, b.updated);
  assert.equal(f.merge.inexact_endpoints, 0);
  assert.deepEqual(mergePercentiles([]), { p50: 0, p90: 0, p99: 0, count: 0 });
});

test('with a control, verdicts are re-judged on the merged rates; a changed verdict makes `different` a marked lower bound', () => {
  // web.1 alone: candidate 10/100, control 8/100 → noise there. web.2: candidate 40/100, control 0/100 → difference.
  const a = report('web.1', [dest('candidate', endpoint(100, 0, [field('body.x', 10, 'noise', 'candidate differs in 10% of pairs, control in 8%')])), dest('control', endpoint(100, 0, [field('body.x', 8, 'difference')]))]);
  const b = report('web.2', [dest('candidate', endpoint(100, 40, [field('body.x', 40, 'difference')])), dest('control', endpoint(100, 0, []))]);
  const f = mergeReports([a, b]);
  const cand = f.destinations.find((x) => x.role === 'candidate')!;
  const x = cand.endpoints[0]!.fields[0]!;
  // Merged: candidate 50/200 = 25 %, control 8/200 = 4 %: a real difference.
  assert.equal(x.verdict, 'difference');
  assert.match(x.reason!, /25% of pairs, control in 4%/);
  // web.1's pairs were not counted different by web.1; the merge counts at least its 10.
  assert.equal(cand.endpoints[0]!.different, 50);
  assert.equal(f.merge.inexact_endpoints, 1);
});

test('without a control, production varying on any instance makes the field noise fleet-wide', () => {
  const a = report('web.1', [dest('candidate', endpoint(10, 0, [field('body.ts', 10, 'noise', 'production itself varies here for identical requests')]))]);
  const b = report('web.2', [dest('candidate', endpoint(10, 10, [field('body.ts', 10, 'difference')]))]);
  const x = mergeReports([a, b]).destinations[0]!.endpoints[0]!;
  assert.equal(x.fields[0]!.verdict, 'noise');
  assert.equal(x.different, 0);
});
