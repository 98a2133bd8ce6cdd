import type { Contender } from './contenders.js';
import type { Shadow } from './shadows.js';
import { runWrk, type Workload } from './wrk.js';
import { sumCpu, sumPeakRss } from './proc-stats.js';

/**
 * The cold-start workload (issue 8): a fresh proxy, traffic from the moment its port
 * accepts, two shadows of which one is https. A dyno restarts at least daily and takes
 * traffic as soon as $PORT binds, so the first seconds (JIT, heap growth, shadow
 * connections and TLS handshakes) are what users meet then. No warm-up, by definition.
 */
export interface ColdRow {
  contender: string;
  rounds: number;
  rps: number;
  p99: number;
  cpuPer10k: number;
  peakRssMb: number;
}

export async function coldStart(
  start: (name: string, shadows: Shadow[]) => Promise<Contender>,
  name: string,
  shadows: Shadow[],
  wrkBin: string,
  script: string,
  w: Workload,
  seconds: number,
): Promise<{ rps: number; p99: number; cpuPer10k: number; peakRssMb: number }> {
  const c = await start(name, shadows);
  try {
    const cpu0 = sumCpu(c.pids());
    const r = await runWrk(wrkBin, script, c.port, seconds);
    void w;
    return { rps: r.rps, p99: r.p99, cpuPer10k: (1e4 * (sumCpu(c.pids()) - cpu0)) / Math.max(1, r.requests), peakRssMb: sumPeakRss(c.pids()) };
  } finally {
    await c.stop();
  }
}
