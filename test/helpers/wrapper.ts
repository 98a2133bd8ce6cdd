import path from 'node:path';
import { fileURLToPath } from 'node:url';
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

export interface Wrapper {
  proc: Proc;
  port: number;
  logs(): string;
  /** SIGTERM, wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Parses the final `at=stats` lines: dest → counter name → value (summed over lines). */
  stats(): Map<string, Map<string, number>>;
}

/** Starts the built CLI (`main` with flags, or `start` with an options file) on a free public port. */
export async function startWrapper(opts: {
  entry?: 'main' | 'start';
  args: (port: number) => string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  waitFor?: RegExp;
}): Promise<Wrapper> {
  const port = await freePort();
  const entry = opts.entry === 'start' ? START : MAIN;
  const proc = startProcess(process.execPath, [entry, ...opts.args(port)], {
    env: { ...process.env, PORT: String(port), ...opts.env },
    cwd: opts.cwd ?? ROOT,
  });
  const waitFor = opts.waitFor ?? /at=listening/;
  let exited = false;
  void proc.exited.then(() => (exited = true));
  await eventually(() => waitFor.test(proc.output()) || exited, 30_000, `wrapper to log ${waitFor}`);
  if (!waitFor.test(proc.output())) throw new Error(`wrapper exited early:\n${proc.output()}`);
  return {
    proc,
    port,
    logs: () => proc.output(),
    async stop() {
      proc.kill('SIGTERM');
      const { code } = await proc.exited;
      return code;
    },
    stats: () => parseStatsLines(proc.output()),
  };
}

export function parseStatsLines(logs: string): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const line of logs.split('\n')) {
    if (!line.includes(' at=stats ')) continue;
    const dest = /dest=(\S+)/.exec(line)?.[1];
    if (!dest) continue;
    const m = out.get(dest) ?? new Map<string, number>();
    for (const [, name, value] of line.matchAll(/count#(\S+?)=(\d+)/g)) m.set(name!, (m.get(name!) ?? 0) + Number(value));
    out.set(dest, m);
  }
  return out;
}
