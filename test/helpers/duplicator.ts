// Helpers for the end-to-end, adversarial and drill tests that run the built CLI as a child
// process (launched by wrapper.ts): the accounting read from its stats lines, its RSS from
// /proc, the drill app, and small raw-socket servers (an app that records bytes).
// Run `npm run build` first: the tests spawn the built CLI, not the sources.
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { sumStatsLines } from '../../src/telemetry/stats-line.js';
import { eventually, refusedPort, startProcess, type Proc } from './net.js';
import { startWrapper, type Duplicator } from './wrapper.js';

export { MAIN as CLI, assertBuilt, startSidecar, stopProc, type Duplicator } from './wrapper.js';
export const NODE_APP = fileURLToPath(new URL('../fixtures/apps/node/app.mjs', import.meta.url));
export const ADVERSARIAL_APPS = fileURLToPath(new URL('../fixtures/apps/adversarial/', import.meta.url));

export type Totals = Record<string, number>;

/**
 * Each destination's counters summed over every `at=stats` line. The reporter prints deltas
 * since its previous line, so the final line alone is only the last interval; the sum is the total.
 */
export function statsTotals(output: string): Map<string, Totals> {
  return new Map([...sumStatsLines(output.split('\n'))].map(([dest, t]) => [dest, Object.fromEntries(t.counts)]));
}

export interface Accounting {
  seen: number;
  mirrored: number;
  dropped: number;
  errors: number;
  totals: Totals;
}

export function accountingOf(t: Totals | undefined): Accounting {
  const totals = t ?? {};
  let dropped = 0;
  let errors = 0;
  for (const [k, v] of Object.entries(totals)) {
    if (k.startsWith('dropped.')) dropped += v;
    if (k.startsWith('errors.')) errors += v;
  }
  return { seen: totals.seen ?? 0, mirrored: totals.mirrored ?? 0, dropped, errors, totals };
}

/** The shadow's totals from the log (dest= is the URL, with a trailing slash). */
export function shadowAccounting(output: string, shadowUrl: string): Accounting {
  const all = statsTotals(output);
  const t = all.get(shadowUrl) ?? all.get(shadowUrl.endsWith('/') ? shadowUrl : `${shadowUrl}/`);
  assert.ok(t, `no stats line for ${shadowUrl} in:\n${output.slice(-3000)}`);
  return accountingOf(t);
}

/** Every copy of a request the shadow was offered is mirrored, dropped with a reason, or an error. */
export function assertAccounted(a: Accounting, what = 'shadow'): void {
  assert.equal(a.seen, a.mirrored + a.dropped + a.errors, `${what}: seen must equal mirrored + dropped + errors: ${JSON.stringify(a.totals)}`);
}

export function tapTotals(output: string): Totals {
  return statsTotals(output).get('tap') ?? {};
}

/** Resident set size of a process in KiB, from /proc (0 if it is gone). */
export function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Samples a process's VmRSS every `everyMs` until stopped; keeps the peak. */
export function sampleRss(pid: number, everyMs = 100): { readonly peakKb: number; readonly samples: number; stop(): { peakKb: number; samples: number } } {
  let peakKb = rssKb(pid);
  let samples = 1;
  const timer = setInterval(() => {
    peakKb = Math.max(peakKb, rssKb(pid));
    samples++;
  }, everyMs);
  return {
    get peakKb() {
      return peakKb;
    },
    get samples() {
      return samples;
    },
    stop() {
      clearInterval(timer);
      peakKb = Math.max(peakKb, rssKb(pid));
      return { peakKb, samples };
    },
  };
}

/** A raw TCP app: `onConnection` gets each socket (allowHalfOpen); every byte received is kept per connection. */
export async function startRawApp(onConnection: (sock: net.Socket, received: () => Buffer) => void): Promise<{
  port: number;
  connections: Buffer[][];
  close(): Promise<void>;
}> {
  const connections: Buffer[][] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    const got: Buffer[] = [];
    connections.push(got);
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.on('data', (c: Buffer) => got.push(c));
    onConnection(s, () => Buffer.concat(got));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Starts the node fixture app on a free port and waits for it. */
export async function startNodeApp(): Promise<{ port: number; proc: Proc; pid: number }> {
  const port = await refusedPort();
  const proc = startProcess(process.execPath, [NODE_APP, String(port)]);
  await eventually(() => proc.output().includes('listening') || proc.child.exitCode !== null, 20_000, 'node app');
  if (proc.child.exitCode !== null) throw new Error(`node app exited: ${proc.output()}`);
  return { port, proc, pid: proc.child.pid! };
}

/**
 * Counts complete HTTP/1.x responses framed by Content-Length at the start of `buf`
 * (the fixtures always send one). Returns the count and the bytes they span.
 */
export function countResponses(buf: Buffer): { count: number; bytes: number } {
  let pos = 0;
  let count = 0;
  for (;;) {
    const end = buf.indexOf('\r\n\r\n', pos);
    if (end < 0) break;
    const head = buf.subarray(pos, end).toString('latin1');
    const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    const next = end + 4 + (cl ? Number(cl[1]) : 0);
    if (next > buf.length) break;
    pos = next;
    count++;
  }
  return { count, bytes: pos };
}

/** `ulimit -n` (soft) and hard limit of a shell spawned from here. */
export function fdLimits(): { soft: number; hard: number } {
  const read = (flag: string) => {
    const v = execFileSync('/bin/sh', ['-c', `ulimit ${flag}`], { encoding: 'utf8' }).trim();
    return v === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(v);
  };
  return { soft: read('-n'), hard: read('-Hn') };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const DRILL_APP = fileURLToPath(new URL('../fixtures/apps/adversarial/drill-app.mjs', import.meta.url));

/**
 * A drill: the CLI wrapping the drill app, `PORT=<public> traffic-duplicator ARGS -- node drill-app.mjs`.
 * Does not wait for anything (a drill may want to watch the boot); see waitForLog.
 */
export function startDrill(opts: { args?: string[]; env?: NodeJS.ProcessEnv; app?: string[] } = {}): Promise<Duplicator> {
  return startWrapper({
    args: () => ['--stats-interval', '1h', ...(opts.args ?? []), '--', ...(opts.app ?? [process.execPath, DRILL_APP])],
    env: opts.env,
    waitFor: null,
  });
}

/** Waits until the process's output matches `re` (throws if it exits first or the guard passes). */
export async function waitForLog(proc: Proc, re: RegExp, timeoutMs = 20_000): Promise<RegExpExecArray> {
  await eventually(() => re.test(proc.output()) || proc.child.exitCode !== null || proc.child.signalCode !== null, timeoutMs, String(re));
  const m = re.exec(proc.output());
  if (!m) throw new Error(`process exited before ${re}:\n${proc.output()}`);
  return m;
}

/** Pids (not zombies) whose process group is `pgid`, from ps. */
export function processGroupMembers(pgid: number): Array<{ pid: number; stat: string; cmd: string }> {
  const out = execFileSync('ps', ['-eo', 'pid=,pgid=,stat=,args='], { encoding: 'utf8' });
  const members: Array<{ pid: number; stat: string; cmd: string }> = [];
  for (const line of out.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    if (m && Number(m[2]) === pgid && !m[3]!.startsWith('Z')) members.push({ pid: Number(m[1]), stat: m[3]!, cmd: m[4]! });
  }
  return members;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers kill(0): it is dead, only not reaped yet.
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** Cleanup for a drill: SIGKILL the wrapped drill-app's process group (it runs detached, so killing the wrapper alone would orphan it). */
export function killDrillApp(output: string): void {
  const pid = Number(/drill-app pid=(\d+)/.exec(output)?.[1] ?? 0);
  if (pid > 0) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}
