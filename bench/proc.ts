import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Child processes of the bench. Each one leads its own process group (detached), so
 * stopping it also stops anything it forked (nginx's worker), and a crash of the bench
 * still leaves a single group id to kill: every started group is remembered in `live`.
 */
export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly proc: ChildProcess;
  /** Last ~64 KiB of stdout+stderr, for error messages. */
  tail(): string;
  /** Resolves with the first output line matching `re` (or rejects after `ms`, or on exit). */
  waitFor(re: RegExp, ms: number): Promise<RegExpMatchArray>;
  /** Called for every complete output line (stdout and stderr). */
  onLine(f: (line: string) => void): void;
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<Child>();

export function spawnChild(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Child {
  const proc = spawn(cmd, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
  if (proc.pid === undefined) throw new Error(`${name}: could not start ${cmd}`);
  const pid = proc.pid;
  let tail = '';
  const listeners: Array<(line: string) => void> = [];
  // Always drain both pipes: a child blocked on a full pipe would distort the numbers.
  for (const stream of [proc.stdout!, proc.stderr!]) {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (s: string) => {
      tail = (tail + s).slice(-65536);
      const lines = (partial + s).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) for (const f of listeners) f(l);
    });
  }
  let exited = false;
  const exit = new Promise<void>((resolve) => proc.once('exit', () => { exited = true; resolve(); }));
  proc.on('error', () => {});
  const child: Child = {
    name,
    pid,
    proc,
    tail: () => tail,
    onLine: (f) => void listeners.push(f),
    waitFor(re, ms) {
      return new Promise((resolve, reject) => {
        const m = tail.match(re);
        if (m) return resolve(m);
        const timer = setTimeout(() => reject(new Error(`${name}: no ${re} within ${ms} ms\n${tail.slice(-2000)}`)), ms);
        listeners.push((l) => {
          const mm = l.match(re);
          if (mm) { clearTimeout(timer); resolve(mm); }
        });
        void exit.then(() => { clearTimeout(timer); reject(new Error(`${name} exited (${proc.exitCode ?? proc.signalCode})\n${tail.slice(-2000)}`)); });
      });
    },
    async stop(graceMs = 3000) {
      live.delete(child);
      if (exited) return;
      killGroup(pid, 'SIGTERM');
      const t = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
      await exit;
      clearTimeout(t);
      killGroup(pid, 'SIGKILL'); // stragglers in the group (e.g. an nginx worker)
    },
  };
  live.add(child);
  return child;
}

function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    /* already gone */
  }
}

/** Stops every child still running (used in finally and on SIGINT). */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((c) => c.stop(2000)));
}

// Ports and waiting come from the test kit (one copy for tests, bench and demo).
export { freePort, waitForPort } from '../test/helpers/net.js';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
