// Launchers for the built CLI (dist/): as a wrapper (`-- APP` or start-traffic-duplicator)
// or as a sidecar (--listen/--upstream), each on a free loopback port, with its log and its
// stats lines at hand. Run `npm run build` first: the tests spawn the built CLI.
import path from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sumStatsLines } from '../../src/telemetry/stats-line.js';
import { startProcess, eventually, freePort, type Proc } from './net.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MAIN = path.join(ROOT, 'dist/cli/main.js');
export const START = path.join(ROOT, 'dist/cli/start.js');
export const APPS = path.join(ROOT, 'test/fixtures/apps');

/** The three real apps, each started the way its users start it. */
export const APP_COMMANDS: Record<'ruby' | 'python' | 'node', (port: number) => string[]> = {
  ruby: (port) => ['ruby', path.join(APPS, 'ruby/app.rb'), '-p', String(port)],
  python: (port) => ['python3', path.join(APPS, 'python/app.py'), String(port)],
  node: (port) => ['node', path.join(APPS, 'node/app.mjs'), String(port)],
};

export function assertBuilt(): void {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` before these tests`);
}

export interface Stopped {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The whole log. */
  output: string;
}

/** A running CLI. Always stop (or kill) it in a `finally`. */
export interface Duplicator {
  proc: Proc;
  pid: number;
  /** The public port it listens on (or will). */
  port: number;
  logs(): string;
  /** SIGTERM, wait for the exit (SIGKILL after `guardMs`), return the exit and the whole log. */
  stop(guardMs?: number): Promise<Stopped>;
  /** Counters summed over its `at=stats` lines so far: dest → counter name → total. */
  stats(): Map<string, Map<string, number>>;
}

export interface LaunchOptions {
  /** `main` (traffic-duplicator, default) or `start` (start-traffic-duplicator). */
  entry?: 'main' | 'start';
  /** Its arguments, given the public port. */
  args: (port: number) => string[];
  /** Added to this process's environment; PORT is set to the public port unless given here. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Resolve once the log matches this (default /at=listening/); null: at once, without waiting. */
  waitFor?: RegExp | null;
  /** A shell prefix such as `ulimit -n 30000;` (then the CLI runs under /bin/sh -c … exec). */
  shellPrefix?: string;
}

/**
 * Starts the built CLI on a free public port and (by default) waits until it listens: the
 * one launcher (wrapper mode when ARGS end with `-- APP…` or with `entry: 'start'`; see
 * startSidecar for sidecar mode).
 */
export async function startWrapper(opts: LaunchOptions): Promise<Duplicator> {
  assertBuilt();
  const port = await freePort();
  const args = [opts.entry === 'start' ? START : MAIN, ...opts.args(port)];
  const env = { ...process.env, PORT: String(port), ...opts.env };
  const proc = opts.shellPrefix
    ? startProcess('/bin/sh', ['-c', `${opts.shellPrefix} exec "$0" "$@"`, process.execPath, ...args], { env, cwd: opts.cwd ?? ROOT })
    : startProcess(process.execPath, args, { env, cwd: opts.cwd ?? ROOT });
  const dup: Duplicator = {
    proc,
    pid: proc.child.pid!,
    port,
    logs: () => proc.output(),
    stop: (guardMs) => stopProc(proc, guardMs),
    stats: () => parseStatsLines(proc.output()),
  };
  const waitFor = opts.waitFor === undefined ? /at=listening/ : opts.waitFor;
  if (!waitFor) return dup;
  try {
    await eventually(() => waitFor.test(proc.output()) || proc.child.exitCode !== null || proc.child.signalCode !== null, 30_000, `the duplicator to log ${waitFor}`);
    if (!waitFor.test(proc.output())) throw new Error(`the duplicator exited before ${waitFor}:\n${proc.output()}`);
  } catch (e) {
    proc.kill();
    throw e;
  }
  return dup;
}

/** Sidecar mode in front of `upstreamPort`, mirroring to `shadowUrls`; stats lines only at exit. */
export function startSidecar(opts: {
  upstreamPort: number;
  shadowUrls?: string[];
  args?: string[];
  shellPrefix?: string;
  /** Extra environment for the CLI (e.g. TRAFFIC_DUPLICATOR_ADMIN_TOKEN). */
  env?: NodeJS.ProcessEnv;
}): Promise<Duplicator> {
  return startWrapper({
    args: (port) => [
      '--listen', `127.0.0.1:${port}`,
      '--upstream', `http://127.0.0.1:${opts.upstreamPort}`,
      ...(opts.shadowUrls ?? []).flatMap((u) => ['--output-http', u]),
      '--stats-interval', '1h',
      ...(opts.args ?? []),
    ],
    shellPrefix: opts.shellPrefix,
    env: opts.env,
  });
}

/** Counters summed over the `at=stats` lines of a log (telemetry's sumStatsLines): dest → counter name → total. */
export function parseStatsLines(logs: string): Map<string, Map<string, number>> {
  return new Map([...sumStatsLines(logs.split('\n'))].map(([dest, t]) => [dest, t.counts]));
}

/** SIGTERM, wait for the exit (SIGKILL after `guardMs`), return the exit and the whole log. */
export async function stopProc(proc: Proc, guardMs = 20_000): Promise<Stopped> {
  proc.kill('SIGTERM');
  const guard = setTimeout(() => proc.kill('SIGKILL'), guardMs);
  const { code, signal } = await proc.exited;
  clearTimeout(guard);
  return { code, signal, output: proc.output() };
}
