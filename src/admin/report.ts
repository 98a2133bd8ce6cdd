import os from 'node:os';
import type { Stats } from '../telemetry/stats.js';
import { PROCESS, TAP } from '../telemetry/stats.js';
import type { GateState } from '../engine/destination-gate.js';
import type { Comparison, DestinationReport } from '../compare/index.js';

/**
 * The comparison as the admin surface reads it: src/compare/'s own interface (types only, so
 * nothing of compare is loaded unless --compare is on), one definition for both.
 */
export type ComparisonSource = Comparison;

/** Live counters of one destination, read from Stats at request time. */
export interface DestinationCounters {
  readonly dest: string;
  readonly seen: number;
  readonly mirrored: number;
  readonly dropped: Readonly<Record<string, number>>;
  readonly errors: Readonly<Record<string, number>>;
  readonly queue_depth: number | undefined;
  readonly gauges: Readonly<Record<string, number>>;
  /** Runtime control state (pause, sample), when the destination has a gate. */
  readonly control?: { readonly paused: boolean; readonly sample_percent: number };
}

/** GET /api/report: the comparison report (when on) plus what the admin adds: live counters and the instance. */
export interface AdminReport {
  readonly instance: string;
  /** Said on the page: with several dynos the router picks one per request, so this is one instance's view. */
  readonly instance_note: string;
  readonly started: string;
  readonly updated: string;
  readonly comparison: 'on' | 'off';
  readonly destinations: readonly DestinationReport[];
  readonly counters: readonly DestinationCounters[];
  /** Events before the fan-out (desync, body_too_large, filtered). */
  readonly tap: DestinationCounters;
  readonly process: Readonly<Record<string, number>>;
}

/** `$DYNO` on Heroku (web.1), else the host name and our pid. */
export function instanceName(env: NodeJS.ProcessEnv = process.env): string {
  return env.DYNO ?? `${os.hostname()}:${process.pid}`;
}

export const INSTANCE_NOTE =
  'This is one instance. With several dynos or pods, the router sends each request (this page included) to any of them: reload to see another, or scrape each.';

export function countersOf(stats: Stats, dest: string, gate?: GateState): DestinationCounters {
  const e = stats.entry(dest);
  const gauges = stats.readGauges(dest);
  const dropped: Record<string, number> = {};
  for (const [k, v] of Object.entries(e.dropped)) dropped[k] = v ?? 0;
  return {
    dest,
    seen: e.seen,
    mirrored: e.mirrored,
    dropped,
    errors: { ...e.errors },
    queue_depth: gauges.queue_depth,
    gauges,
    control: gate ? { paused: gate.paused, sample_percent: gate.samplePercent } : undefined,
  };
}

export function buildReport(o: {
  stats: Stats;
  gates: readonly GateState[];
  comparison: ComparisonSource | undefined;
  instance: string;
  started: Date;
}): AdminReport {
  const gateOf = new Map(o.gates.map((g) => [g.dest, g]));
  const dests = o.stats.destinations().filter((d) => d !== TAP && d !== PROCESS);
  const compared = o.comparison?.enabled ? o.comparison.report() : undefined;
  // Every field compare reports is passed on as is (tools read the shape); ours follow.
  return {
    ...compared,
    instance: o.instance,
    instance_note: INSTANCE_NOTE,
    started: compared?.started ?? o.started.toISOString(),
    updated: new Date().toISOString(),
    comparison: compared ? 'on' : 'off',
    destinations: compared?.destinations ?? [],
    counters: dests.map((d) => countersOf(o.stats, d, gateOf.get(d))),
    tap: countersOf(o.stats, TAP),
    process: o.stats.readGauges(PROCESS),
  };
}
