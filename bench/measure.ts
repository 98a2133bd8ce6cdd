import { cpuSeconds, resetPeaks, sumCpu, sumPeakRss } from './proc-stats.js';
import { sleep } from './proc.js';
import { receivedBetween, settledCounts } from './shadows.js';
import type { Contender } from './contenders.js';
import { diffCounters, type TdCounters } from './td-stats.js';
import { TD_STATS_MS } from './contenders.js';
import type { Sample } from './stats.js';
import { runWrk, type Workload } from './wrk.js';

export interface RoundContext {
  wrkBin: string;
  scripts: Map<string, string>;
  appPid: number;
  /** Longest wait for the shadows to stop receiving after wrk ends. */
  drainMaxMs: number;
}

/** Waits until our proxy has printed a stats line written after this moment. */
async function nextStatsLine(c: TdCounters): Promise<void> {
  // A line already under way may predate the drain: wait for two.
  const target = c.lines + 2;
  const deadline = Date.now() + 4 * TD_STATS_MS + 500;
  while (c.lines < target && Date.now() < deadline) await sleep(50);
}

/**
 * One round: counters before, wrk, give the shadows time to drain what is still in flight
 * (it is part of the proxy's cost and of delivery), counters after.
 */
export async function measureRound(ctx: RoundContext, c: Contender, w: Workload, round: number, seconds: number): Promise<Sample> {
  const shadowsBefore = await Promise.all(c.shadows.map((s) => s.counts()));
  const tdBefore = c.counters?.snapshot();
  const cpu0 = sumCpu(c.pids());
  const app0 = cpuSeconds(ctx.appPid);
  // The peak of this round (and its drain) alone: one process serves every workload in turn.
  resetPeaks(c.pids());
  const wrk = await runWrk(ctx.wrkBin, ctx.scripts.get(w.name)!, c.port, seconds);
  const shadowsAfter = c.shadows.length ? await settledCounts(c.shadows, 300, ctx.drainMaxMs) : [];
  if (c.counters) await nextStatsLine(c.counters);
  const cpu1 = sumCpu(c.pids());
  const app1 = cpuSeconds(ctx.appPid);
  return {
    contender: c.name,
    workload: w.name,
    round,
    wrk,
    proxyCpuS: cpu1 - cpu0,
    appCpuS: app1 - app0,
    shadowRequests: receivedBetween(shadowsBefore, shadowsAfter),
    ...(c.counters && tdBefore ? { td: diffCounters(tdBefore, c.counters.snapshot()) } : {}),
    peakRssMb: sumPeakRss(c.pids()),
  };
}

/** Unmeasured load first, so V8 has compiled the hot paths and pools are open. */
export async function warmUp(ctx: RoundContext, c: Contender, workloads: Workload[], seconds: number): Promise<void> {
  for (const w of workloads) await runWrk(ctx.wrkBin, ctx.scripts.get(w.name)!, c.port, seconds);
  if (c.shadows.length) await settledCounts(c.shadows, 300, ctx.drainMaxMs);
}
