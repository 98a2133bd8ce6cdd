import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resetPeaks, sumPeakRss } from './proc-stats.js';
import type { Contender } from './contenders.js';
import { median } from './stats.js';

/**
 * The fixed-rate workload (issue 8): what we add to users' latency at a normal rate,
 * rather than at saturation. h2load (nghttp2-client) holds the rate (`--rps` is per
 * client, so the total is split over the clients) and logs every request's latency to a
 * file; p50/p99 come from that log, and "added" is the contender's minus the app's own
 * (`direct`) in the same round. Its clients fire in step, so many clients means bursts.
 */
export interface Rate {
  readonly name: string;
  readonly rps: number;
  readonly clients: number;
}

export const RATES: Rate[] = [
  { name: '500/s×5', rps: 500, clients: 5 },
  { name: '2000/s×5', rps: 2000, clients: 5 },
  { name: '5000/s×50', rps: 5000, clients: 50 },
];

export interface RateSample {
  contender: string;
  rate: string;
  requests: number;
  p50: number;
  p99: number;
  peakRssMb: number;
}

/** One h2load run at a fixed rate; latencies in ms from its per-request log. */
export function runH2load(bin: string, port: number, rate: Rate, seconds: number): Promise<{ requests: number; p50: number; p99: number }> {
  const log = path.join(os.tmpdir(), `td-bench-h2load-${process.pid}-${Date.now()}.tsv`);
  const perClient = Math.max(1, Math.round(rate.rps / rate.clients));
  const args = ['--h1', '-c', String(rate.clients), '--rps', String(perClient), '-D', String(seconds), '--log-file', log, `http://127.0.0.1:${port}/bench?x=1`];
  return new Promise((resolve, reject) => {
    const p = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.setEncoding('utf8').on('data', (s: string) => (err = (err + s).slice(-2000)));
    const killer = setTimeout(() => p.kill('SIGKILL'), (seconds + 15) * 1000);
    p.on('error', (e) => {
      clearTimeout(killer);
      reject(e);
    });
    p.on('close', () => {
      clearTimeout(killer);
      try {
        const lat: number[] = [];
        for (const line of readFileSync(log, 'utf8').split('\n')) {
          const f = line.split('\t');
          if (f.length >= 3 && f[1] !== '-1') lat.push(Number(f[2]) / 1000);
        }
        if (lat.length === 0) throw new Error(`h2load logged no request: ${err}`);
        lat.sort((a, b) => a - b);
        const q = (x: number) => lat[Math.min(lat.length - 1, Math.floor(x * lat.length))]!;
        resolve({ requests: lat.length, p50: q(0.5), p99: q(0.99) });
      } catch (e) {
        reject(e);
      } finally {
        rmSync(log, { force: true });
      }
    });
  });
}

/** Every rate, `rounds` alternating rounds over the contenders (direct first in each round's rotation too). */
export async function fixedRate(bin: string, contenders: Contender[], rounds: number, seconds: number, log: (s: string) => void): Promise<RateSample[]> {
  const out: RateSample[] = [];
  for (const rate of RATES) {
    const per = new Map<string, Array<{ requests: number; p50: number; p99: number; peakRssMb: number }>>();
    for (let round = 0; round < rounds; round++) {
      const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]!);
      for (const c of order) {
        resetPeaks(c.pids());
        const r = { ...(await runH2load(bin, c.port, rate, seconds)), peakRssMb: sumPeakRss(c.pids()) };
        (per.get(c.name) ?? per.set(c.name, []).get(c.name)!).push(r);
        log(`  fixed ${rate.name.padEnd(10)} round ${round + 1}/${rounds} ${c.name.padEnd(8)} p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  (${r.requests} requests)`);
      }
    }
    for (const c of contenders) {
      const rs = per.get(c.name) ?? [];
      out.push({
        contender: c.name,
        rate: rate.name,
        requests: rs.reduce((s, r) => s + r.requests, 0),
        p50: median(rs.map((r) => r.p50)),
        p99: median(rs.map((r) => r.p99)),
        peakRssMb: Math.max(0, ...rs.map((r) => r.peakRssMb)),
      });
    }
  }
  return out;
}
