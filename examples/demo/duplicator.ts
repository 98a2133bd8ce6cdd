import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export type Stream = 'stdout' | 'stderr';

export interface ExitResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when we had to SIGKILL it. */
  forced: boolean;
}

/**
 * The real CLI (dist/cli/main.js) as a child process, run the way a user runs it. Its
 * stderr carries the duplicator's logfmt lines; its stdout carries the app's output
 * (the app inherits the duplicator's stdio).
 *
 * Cleanup: the duplicator runs the app in the app's own process group, so killing the
 * duplicator's group would not reach the app. The demo app prints its pid on start; we
 * keep it and kill it too if it's still there when we give up on a graceful stop.
 */
export class DuplicatorProcess {
  readonly child: ChildProcess;
  readonly lines: Array<{ stream: Stream; line: string }> = [];
  readonly exited: Promise<ExitResult>;
  appPid: number | undefined;
  #exit: ExitResult | undefined;
  #forced = false;
  readonly #waiters = new Set<() => void>();

  constructor(cli: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; onLine: (stream: Stream, line: string) => void }) {
    this.child = spawn(process.execPath, [cli, ...args], {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Own process group: a Ctrl-C in the terminal reaches the demo, which stops it in order.
      detached: true,
    });
    this.exited = new Promise((resolve) => {
      this.child.once('error', () => {
        this.#exit = { code: 127, signal: null, forced: false };
        resolve(this.#exit);
        this.#wake();
      });
      this.child.once('close', (code, signal) => {
        this.#exit = { code, signal, forced: this.#forced };
        resolve(this.#exit);
        this.#wake();
      });
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      const rl = createInterface({ input: this.child[stream]!, crlfDelay: Infinity });
      rl.on('line', (line) => {
        if (stream === 'stdout' && this.appPid === undefined) {
          const m = /\(pid (\d+)\)/.exec(line);
          if (m) this.appPid = Number(m[1]);
        }
        this.lines.push({ stream, line });
        opts.onLine(stream, line);
        this.#wake();
      });
    }
  }

  get running(): boolean {
    return this.#exit === undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the first line (either stream) matching `re`; rejects on exit or timeout. */
  waitFor(re: RegExp, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.lines.find((l) => re.test(l.line));
        if (hit) return finish(() => resolve(hit.line));
        if (this.#exit) return finish(() => reject(new Error(`the duplicator exited (code ${this.#exit!.code}) before logging ${re}`)));
      };
      const finish = (f: () => void) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        f();
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`the duplicator did not log ${re} within ${timeoutMs} ms`))), timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  /** SIGTERM (what Heroku sends), then SIGKILL if it's not gone within `graceMs`. */
  async stop(graceMs: number): Promise<ExitResult> {
    if (this.running) this.#signal('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)));
    const r = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (r !== 'timeout') return r;
    this.killNow();
    return this.exited;
  }

  /** Synchronous last resort (also from process.on('exit')): SIGKILL the duplicator's group and the app. */
  killNow(): void {
    if (this.running) {
      this.#forced = true;
      this.#signal('SIGKILL', true);
    }
    if (this.appPid !== undefined) {
      try {
        process.kill(this.appPid, 0);
        process.kill(-this.appPid, 'SIGKILL');
      } catch {
        try {
          process.kill(this.appPid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }

  #signal(sig: NodeJS.Signals, group = false): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(group ? -pid : pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }
}
