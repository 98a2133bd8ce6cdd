import type { Contender } from './contenders.js';
import type { Shadow } from './shadows.js';
import { runWrk, type Workload } from './wrk.js';
import { sumCpu, sumPeakRss } from './proc-stats.js';
import { lowestDeliveryPct, settledCounts } from './shadows.js';

/**
 * The cold-start workload (issue 8): a fresh proxy, traffic from the moment its port
 * accepts, two shadows of which one is https. A dyno restarts at least daily and takes
 * traffic as soon as $PORT binds, so the first seconds (JIT, heap growth, shadow
 * connections and TLS handshakes) are what users meet then. No warm-up, by definition.
 */
/** One fresh proxy's first seconds. */
export interface ColdRound {
  rps: number;
  p99: number;
  cpuPer10k: number;
  peakRssMb: number;
  /** Copies the shadow that got fewest received ÷ requests wrk completed, in %: dropping copies while cold must not look fast. */
  deliveryPct: number;
}

/** A contender's rounds folded: medians, the highest peak RSS, the lowest delivery. */
export interface ColdRow extends ColdRound {
  contender: string;
  rounds: number;
}

export async function coldStart(
  start: (name: string, shadows: Shadow[]) => Promise<Contender>,
  name: string,
  shadows: Shadow[],
  wrkBin: string,
  script: string,
  w: Workload,
  seconds: number,
): Promise<ColdRound> {
  const before = await Promise.all(shadows.map((s) => s.counts()));
  const c = await start(name, shadows);
  try {
    const cpu0 = sumCpu(c.pids());
    const r = await runWrk(wrkBin, script, c.port, seconds);
    void w;
    const cpuPer10k = (1e4 * (sumCpu(c.pids()) - cpu0)) / Math.max(1, r.requests);
    const peakRssMb = sumPeakRss(c.pids());
    const after = await settledCounts(shadows, 300, 6000);
    return { rps: r.rps, p99: r.p99, cpuPer10k, peakRssMb, deliveryPct: lowestDeliveryPct(before, after, r.requests) };
  } finally {
    await c.stop();
  }
}
