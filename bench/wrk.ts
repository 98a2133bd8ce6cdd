import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

/** A load shape. wrk (not our code) generates it, so the load generator is neutral. */
export interface Workload {
  readonly name: string;
  readonly label: string;
  readonly method: 'GET' | 'POST';
  readonly bodyBytes: number;
  /** `Connection: close`: a new TCP connection per request. */
  readonly close: boolean;
}

export const WORKLOADS: Workload[] = [
  { name: 'get-ka', label: 'GET keep-alive', method: 'GET', bodyBytes: 0, close: false },
  { name: 'get-close', label: 'GET new conn/req', method: 'GET', bodyBytes: 0, close: true },
  { name: 'post64k-ka', label: 'POST 64 KiB keep-alive', method: 'POST', bodyBytes: 64 * 1024, close: false },
];

export interface WrkResult {
  requests: number;
  durationS: number;
  rps: number;
  /** Latencies in ms. p50/p99 from wrk's --latency table, p99.9 from the lua done() hook. */
  p50: number;
  p99: number;
  p999: number;
  max: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
}

/** The lua script: request shape, and a done() hook printing what --latency does not. */
/** wrk's `done` hook: one BENCH_DONE line that measure.ts parses (shared by every bench script). */
export const WRK_DONE_LUA: readonly string[] = [
  'function done(summary, latency, requests)',
  '  local e = summary.errors',
  '  io.write(string.format("BENCH_DONE requests=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d p999_us=%d max_us=%d p50_us=%d p99_us=%d\\n",',
  '    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,',
  '    latency:percentile(99.9), latency.max, latency:percentile(50), latency:percentile(99)))',
  'end',
];

export function writeScript(dir: string, w: Workload): string {
  const file = path.join(dir, `${w.name}.lua`);
  const lines = [
    `wrk.method = "${w.method}"`,
    w.bodyBytes > 0 ? `wrk.body = string.rep("x", ${w.bodyBytes})` : '',
    w.bodyBytes > 0 ? `wrk.headers["Content-Type"] = "application/octet-stream"` : '',
    w.close ? `wrk.headers["Connection"] = "close"` : '',
    ...WRK_DONE_LUA,
  ];
  writeFileSync(file, lines.filter(Boolean).join('\n') + '\n');
  return file;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

/** "     99%    3.21ms" lines of wrk's Latency Distribution block. */
export function parseLatencyTable(out: string): Map<number, number> {
  const m = new Map<number, number>();
  const block = out.split('Latency Distribution')[1] ?? '';
  for (const line of block.split('\n')) {
    const mm = line.match(/^\s+([\d.]+)%\s+([\d.]+)(us|ms|s|m)\s*$/);
    if (mm) m.set(Number(mm[1]), Number(mm[2]) * UNIT_MS[mm[3]!]!);
  }
  return m;
}

export function parseWrk(out: string): WrkResult {
  const d = out.match(/BENCH_DONE (.*)/)?.[1];
  if (!d) throw new Error(`wrk output without BENCH_DONE:\n${out.slice(-2000)}`);
  const f: Record<string, number> = {};
  for (const m of d.matchAll(/(\w+)=(\d+)/g)) f[m[1]!] = Number(m[2]);
  const table = parseLatencyTable(out);
  const durationS = f.duration_us! / 1e6;
  return {
    requests: f.requests!,
    durationS,
    rps: f.requests! / durationS,
    p50: table.get(50) ?? f.p50_us! / 1000,
    p99: table.get(99) ?? f.p99_us! / 1000,
    p999: f.p999_us! / 1000,
    max: f.max_us! / 1000,
    errors: { connect: f.connect!, read: f.read!, write: f.write!, status: f.status!, timeout: f.timeout! },
  };
}

/**
 * One bounded wrk run: -t1 -c50 for `seconds`, with a hard kill a few seconds after
 * the end in case wrk hangs on a contender that holds connections.
 */
export function runWrk(wrkBin: string, script: string, port: number, seconds: number, connections = 50): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '--latency', '-s', script, `http://127.0.0.1:${port}/bench?x=1`];
    const p = spawn(wrkBin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    p.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
    const killer = setTimeout(() => p.kill('SIGKILL'), (seconds + 15) * 1000);
    p.on('error', (e) => { clearTimeout(killer); reject(e); });
    p.on('close', () => {
      clearTimeout(killer);
      try {
        resolve(parseWrk(out));
      } catch (e) {
        reject(e);
      }
    });
  });
}
