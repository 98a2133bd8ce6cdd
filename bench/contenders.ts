import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nginxConf } from './nginx-conf.js';
import { childPids } from './proc-stats.js';
import { freePort, spawnChild, waitForPort, type Child } from './proc.js';
import type { Shadow } from './shadows.js';
import { parseStatsLine, TdCounters } from './td-stats.js';
import { nodeFlagsFor } from '../src/cli/node-flags.js';

/** Something wrk can be pointed at. `pids()` are the processes whose CPU/RSS is "the proxy". */
export interface Contender {
  readonly name: string;
  readonly kind: 'direct' | 'td' | 'nginx';
  readonly port: number;
  readonly shadows: Shadow[];
  pids(): number[];
  /** traffic-duplicator only: cumulative counters per destination from its stats lines. */
  readonly counters?: TdCounters;
  stop(): Promise<void>;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const TD_MAIN = path.join(ROOT, 'dist/cli/main.js');

/**
 * The node that runs our proxy: BENCH_NODE=/path/to/node to measure it under another Node
 * version (the app, shadows and tools keep this one). Its version picks the bins' options.
 */
export const TD_NODE = process.env.BENCH_NODE || process.execPath;
export const TD_NODE_VERSION = TD_NODE === process.execPath ? process.version : execFileSync(TD_NODE, ['--version'], { encoding: 'utf8' }).trim();

export function direct(appPort: number): Contender {
  return { name: 'direct', kind: 'direct', port: appPort, shadows: [], pids: () => [], stop: async () => {} };
}

/** Stats interval of our proxy: short, so a round's last counts arrive soon after it. */
export const TD_STATS_MS = 500;

/** Beyond the shipped setup: another build, extra environment, a look at every output line (bench:variants). */
export interface TdStartOptions {
  main?: string;
  env?: Record<string, string>;
  onLine?: (line: string) => void;
}

export async function startTd(
  name: string, appPort: number, shadows: Shadow[], extraArgs: string[] = [], nodeArgs: string[] = [], opts: TdStartOptions = {},
): Promise<Contender> {
  const port = await freePort();
  // The flags our bins start node with (src/cli/node-flags.ts): we measure what users run.
  const args = [
    ...nodeFlagsFor(TD_NODE_VERSION),
    ...nodeArgs,
    opts.main ?? TD_MAIN,
    '--listen', `127.0.0.1:${port}`,
    '--upstream', `http://127.0.0.1:${appPort}`,
    ...shadows.flatMap((s) => ['--output-http', s.url]),
    ...(shadows.some((s) => s.https) ? ['--output-http-skip-verify'] : []),
    '--stats-interval', `${TD_STATS_MS}ms`,
    '--shutdown-grace', '2s',
    '--quiet',
    ...extraArgs,
  ];
  const child = spawnChild(name, TD_NODE, args, { ...process.env, ...opts.env });
  const counters = new TdCounters();
  child.onLine((l) => {
    const s = parseStatsLine(l);
    if (s) counters.add(s);
  });
  if (opts.onLine) child.onLine(opts.onLine);
  await waitForPort(port, 15_000).catch((e: Error) => {
    throw new Error(`${name}: ${e.message}\n${child.tail().slice(-2000)}`);
  });
  return { name, kind: 'td', port, shadows, pids: () => [child.pid], counters, stop: () => child.stop(4000) };
}

export async function startNginx(name: string, nginxBin: string, appPort: number, shadows: Shadow[]): Promise<Contender> {
  const port = await freePort();
  const prefix = mkdtempSync(path.join(os.tmpdir(), 'td-bench-nginx-'));
  // Workers run as nobody when we are root: they must be able to enter the prefix.
  chmodSync(prefix, 0o755);
  const conf = path.join(prefix, 'nginx.conf');
  writeFileSync(conf, nginxConf({ prefix, listenPort: port, appPort, shadowPorts: shadows.map((s) => s.port), shadowHttps: shadows.map((s) => s.https), timeoutSec: 5 }));
  // Foreground, as our child: `-e` keeps the compiled-in error log path out of the way.
  const child: Child = spawnChild(name, nginxBin, ['-p', prefix, '-c', conf, '-e', path.join(prefix, 'error.log'), '-g', 'daemon off;']);
  await waitForPort(port, 15_000).catch((e: Error) => {
    throw new Error(`${name}: ${e.message}\n${child.tail().slice(-2000)}`);
  });
  return {
    name,
    kind: 'nginx',
    port,
    shadows,
    // master + its worker(s), looked up each time (a worker could be respawned).
    pids: () => [child.pid, ...childPids(child.pid)],
    stop: async () => {
      await child.stop(3000);
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}
