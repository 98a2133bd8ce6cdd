import { spawn as nodeSpawn, type ChildProcess } from 'node:child_process';
import type { Message } from '../core/message.js';
import { ACCEPTED, dropped, type DropReason, type OfferResult } from '../core/output.js';
import { RateLimitedLog, type Logger } from '../telemetry/logger.js';
import type { Stats } from '../telemetry/stats.js';
import { encodeMetaLine, parseMetaLine } from './codec.js';
import { splitCommandLine } from './command-line.js';
import { LineSplitter } from './line-splitter.js';
import { messageToRecord, recordToMessage } from './records.js';

/**
 * gor's middleware protocol (middleware.go, goreplay_middleware): for every message we
 * write one line to the child's stdin — hex of `TYPE ID TS LATENCY\n` + raw HTTP — and
 * the child writes back, in the same format, the messages to keep (possibly modified).
 * A request it does not echo is dropped by the middleware.
 *
 * Unlike gor (which log.Fatal's when the middleware dies and blocks when it stops
 * reading), this never stalls the caller: writes go through a bounded queue, a dead child
 * is restarted with backoff, and every copy that does not come back is counted.
 */
export interface MiddlewareOptions {
  /** --middleware: split shell-free (quotes respected) and spawned without a shell. */
  readonly command: string;
  /** Lines waiting for the child's stdin when it is slow (default 1000, gor's channel size). */
  readonly queueLen?: number;
  /** Bytes (hex) waiting for stdin (default 32 MiB). */
  readonly maxQueueBytes?: number;
  /** Also send type 3 (replayed responses): set when the HTTP output tracks responses. */
  readonly sendReplayedResponses?: boolean;
  /** A request not echoed within this time is counted `middleware_dropped` (default 10 s). */
  readonly pendingTimeoutMs?: number;
  /** At most this many requests awaiting their echo (default 10 000); the oldest ages out first. */
  readonly maxPending?: number;
  /** Restart backoff: first delay, doubled per consecutive crash up to the max (default 100 ms … 30 s). */
  readonly restartDelayMs?: number;
  readonly maxRestartDelayMs?: number;
}

export interface MiddlewareDeps {
  readonly stats: Stats;
  readonly log: Logger;
  /** What the middleware echoed back, parsed. */
  onMessage(msg: Message): void;
  readonly spawn?: typeof nodeSpawn;
  readonly now?: () => number;
}

export interface Middleware {
  readonly name: string;
  /** Whether offer() sends this message to the child (otherwise it passes straight to onMessage). */
  wants(msg: Message): boolean;
  offer(msg: Message): OfferResult;
  close(graceMs: number): Promise<void>;
}

type State = 'running' | 'down' | 'closing' | 'closed';

const MAX_LINE_BYTES = 128 * 1024 * 1024;
const MAX_STDERR_LINE = 4096;

export function createMiddleware(opts: MiddlewareOptions, deps: MiddlewareDeps): Middleware {
  const argv = splitCommandLine(opts.command);
  return new MiddlewareProcess(opts, deps, argv);
}

class MiddlewareProcess implements Middleware {
  readonly name = 'middleware';
  readonly #opts: MiddlewareOptions;
  readonly #deps: MiddlewareDeps;
  readonly #argv: string[];
  readonly #now: () => number;
  readonly #warn: RateLimitedLog;
  #state: State = 'down';
  #child: ChildProcess | undefined;
  /** Lines waiting for stdin; `id` is set for requests (tracked in #pending once written). */
  #queue: Array<{ line: Buffer; id?: string }> = [];
  #queueBytes = 0;
  #waitingDrain = false;
  /** Request id → when it was written; Map order is age order. */
  #pending = new Map<string, number>();
  #crashes = 0;
  #startedAt = 0;
  #restartTimer: NodeJS.Timeout | undefined;
  #sweepTimer: NodeJS.Timeout;
  #exited: Promise<void> = Promise.resolve();
  #stderrSecond = 0;
  #stderrCount = 0;

  constructor(opts: MiddlewareOptions, deps: MiddlewareDeps, argv: string[]) {
    this.#opts = opts;
    this.#deps = deps;
    this.#argv = argv;
    this.#now = deps.now ?? Date.now;
    this.#warn = new RateLimitedLog(deps.log, 1000, this.#now);
    deps.stats.gauge(this.name, 'queue_depth', () => this.#queue.length);
    deps.stats.gauge(this.name, 'pending', () => this.#pending.size);
    const timeout = opts.pendingTimeoutMs ?? 10_000;
    this.#sweepTimer = setInterval(() => this.#sweep(), Math.max(10, Math.min(1000, timeout / 2)));
    this.#sweepTimer.unref();
    this.#start();
  }

  wants(msg: Message): boolean {
    return msg.type !== 'replayed-response' || this.#opts.sendReplayedResponses === true;
  }

  offer(msg: Message): OfferResult {
    try {
      if (!this.wants(msg)) {
        this.#deps.onMessage(msg);
        return ACCEPTED;
      }
      if (this.#state === 'closing' || this.#state === 'closed') return this.#drop('shutdown');
      if (this.#state !== 'running' || !this.#child?.stdin?.writable) return this.#drop('middleware_unavailable');
      const rec = messageToRecord(msg);
      const line = Buffer.from(Buffer.concat([encodeMetaLine(rec), rec.payload]).toString('hex') + '\n', 'latin1');
      if (this.#waitingDrain || this.#queue.length > 0) {
        if (this.#queue.length >= (this.#opts.queueLen ?? 1000) || this.#queueBytes + line.length > (this.#opts.maxQueueBytes ?? 32 * 1024 * 1024)) {
          return this.#drop('middleware_unavailable', 'queue_full');
        }
        this.#queue.push(msg.type === 'request' ? { line, id: msg.id } : { line });
        this.#queueBytes += line.length;
      } else {
        if (msg.type === 'request') this.#track(msg.id);
        if (!this.#child.stdin.write(line)) this.#waitingDrain = true;
      }
      this.#deps.stats.seen(this.name);
      return ACCEPTED;
    } catch (err) {
      this.#deps.stats.error(this.name, 'mirror_error');
      this.#warn.warn('bug', 'middleware-error', { error: (err as Error).message });
      return dropped('mirror_error');
    }
  }

  async close(graceMs: number): Promise<void> {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    const wasRunning = this.#state === 'running';
    this.#state = 'closing';
    clearTimeout(this.#restartTimer);
    const child = this.#child;
    const deadline = this.#now() + graceMs;
    // Let the child read what is queued and answer what it has, within the grace period.
    if (wasRunning && child) {
      while (this.#now() < deadline && (this.#queue.length > 0 || this.#pending.size > 0) && this.#child === child) {
        await new Promise((r) => setTimeout(r, 10));
      }
      child.stdin?.end();
    }
    if (this.#queue.length > 0) this.#drop('shutdown', undefined, this.#queue.length);
    this.#clearQueue();
    if (this.#pending.size > 0) this.#drop('middleware_dropped', 'not echoed before shutdown', this.#pending.size);
    this.#pending.clear();
    clearInterval(this.#sweepTimer);
    if (child && child.exitCode === null && child.signalCode === null) {
      // gor's JS helper keeps a timer alive, so it does not exit on EOF: ask, then insist.
      const exited = this.#exited;
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), Math.max(0, Math.min(1000, deadline - this.#now())) + 100);
      await exited;
      clearTimeout(kill);
    }
    this.#state = 'closed';
  }

  #start(): void {
    const [cmd, ...args] = this.#argv as [string, ...string[]];
    let child: ChildProcess;
    try {
      child = (this.#deps.spawn ?? nodeSpawn)(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (err) {
      this.#onDown(undefined, { error: (err as Error).message });
      return;
    }
    this.#child = child;
    this.#state = 'running';
    this.#startedAt = this.#now();
    this.#waitingDrain = false;
    let resolveExit!: () => void;
    this.#exited = new Promise<void>((r) => (resolveExit = r));
    let down = false;
    const onDown = (fields: Record<string, string | number | undefined>) => {
      if (down) return;
      down = true;
      resolveExit();
      this.#onDown(child, fields);
    };
    child.on('error', (err) => onDown({ error: err.message, code: (err as NodeJS.ErrnoException).code }));
    child.on('exit', (code, signal) => onDown({ code: code ?? undefined, signal: signal ?? undefined }));
    // EPIPE when the child dies mid-write: the 'exit' handler deals with it.
    child.stdin!.on('error', () => {});
    child.stdin!.on('drain', () => this.#pump(child));
    const out = new LineSplitter(MAX_LINE_BYTES);
    child.stdout!.on('data', (chunk: Buffer) => {
      for (const l of out.push(chunk)) this.#onLine(l);
      if (out.overflowed) this.#bad('line longer than ' + MAX_LINE_BYTES + ' bytes', out.takeOverflow());
    });
    const errLines = new LineSplitter(MAX_STDERR_LINE);
    child.stderr!.on('data', (chunk: Buffer) => {
      for (const l of errLines.push(chunk)) this.#stderrLine(l.toString('utf8').replace(/\r$/, ''));
      if (errLines.overflowed) this.#stderrLine(errLines.takeOverflow().toString('utf8') + '… (line cut)');
    });
  }

  /** The child's stderr is its log: forwarded line by line, at most 50 lines a second. */
  #stderrLine(line: string): void {
    const second = Math.floor(this.#now() / 1000);
    if (second !== this.#stderrSecond) {
      this.#stderrSecond = second;
      this.#stderrCount = 0;
    }
    if (++this.#stderrCount > 50) {
      this.#warn.warn('stderr-flood', 'middleware-stderr-suppressed', { note: 'more than 50 lines/s from the middleware' });
      return;
    }
    this.#deps.log.info('middleware-stderr', { line });
  }

  #pump(child: ChildProcess): void {
    if (this.#child !== child) return;
    this.#waitingDrain = false;
    while (this.#queue.length > 0) {
      const { line, id } = this.#queue.shift()!;
      this.#queueBytes -= line.length;
      if (id !== undefined) this.#track(id);
      if (!child.stdin!.write(line)) {
        this.#waitingDrain = true;
        return;
      }
    }
  }

  #onDown(child: ChildProcess | undefined, fields: Record<string, string | number | undefined>): void {
    if (child && this.#child !== child) return;
    this.#child = undefined;
    this.#waitingDrain = false;
    const queued = this.#queue.length;
    this.#clearQueue();
    const lost = queued + this.#pending.size;
    if (lost > 0) this.#drop('middleware_unavailable', 'middleware exited', lost);
    this.#pending.clear();
    if (this.#state === 'closing' || this.#state === 'closed') {
      this.#deps.log.info('middleware-exit', { ...fields, command: this.#opts.command });
      return;
    }
    this.#state = 'down';
    this.#deps.stats.error(this.name, 'exit');
    // A child that ran a while was healthy: start the backoff over.
    if (this.#now() - this.#startedAt > 10_000) this.#crashes = 0;
    const base = this.#opts.restartDelayMs ?? 100;
    const max = this.#opts.maxRestartDelayMs ?? 30_000;
    const delay = Math.min(max, base * 2 ** Math.min(this.#crashes, 20));
    this.#crashes++;
    this.#deps.log.error('middleware-exit', { ...fields, command: this.#opts.command, restart_in_ms: delay, crashes: this.#crashes });
    this.#restartTimer = setTimeout(() => {
      if (this.#state === 'down') this.#start();
    }, delay);
    this.#restartTimer.unref();
  }

  #onLine(raw: Buffer): void {
    let end = raw.length;
    if (end > 0 && raw[end - 1] === 0x0d) end--;
    if (end === 0) return;
    const hex = raw.subarray(0, end).toString('latin1');
    if (end % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(hex)) return this.#bad('not hex', hex);
    const bytes = Buffer.from(hex, 'hex');
    const nl = bytes.indexOf(0x0a);
    if (nl < 0) return this.#bad('no meta line', hex);
    const meta = parseMetaLine(bytes.subarray(0, nl).toString('latin1'));
    if (!meta.ok) return this.#bad(meta.error, hex);
    const rec = { ...meta, payload: bytes.subarray(nl + 1) };
    const parsed = recordToMessage(rec);
    if (meta.type === '1') this.#pending.delete(meta.id);
    if (!parsed.ok) {
      this.#bad(`unparsable HTTP in message ${meta.id}: ${parsed.error}`, hex);
      if (meta.type === '1') this.#drop('middleware_dropped', 'echo is not valid HTTP');
      return;
    }
    this.#deps.stats.mirrored(this.name);
    try {
      this.#deps.onMessage(parsed.message);
    } catch (err) {
      this.#deps.stats.error(this.name, 'mirror_error');
      this.#warn.warn('onmessage', 'middleware-error', { error: (err as Error).message });
    }
  }

  /** Empties the stdin queue (the caller counts what it held). */
  #clearQueue(): void {
    this.#queue = [];
    this.#queueBytes = 0;
  }

  #bad(error: string, sample: string | Buffer): void {
    this.#deps.stats.error(this.name, 'bad_output');
    const s = typeof sample === 'string' ? sample : sample.toString('latin1');
    this.#warn.warn('bad:' + error.slice(0, 20), 'middleware-bad-output', { error, sample: s.slice(0, 80) });
  }

  #track(id: string): void {
    this.#pending.delete(id);
    this.#pending.set(id, this.#now());
    const max = this.#opts.maxPending ?? 10_000;
    while (this.#pending.size > max) {
      const oldest = this.#pending.keys().next().value as string;
      this.#pending.delete(oldest);
      this.#drop('middleware_dropped', 'too many awaiting echo');
    }
  }

  #sweep(): void {
    const limit = this.#now() - (this.#opts.pendingTimeoutMs ?? 10_000);
    let n = 0;
    for (const [id, at] of this.#pending) {
      if (at > limit) break;
      this.#pending.delete(id);
      n++;
    }
    if (n > 0) this.#drop('middleware_dropped', 'not echoed in time', n);
  }

  #drop(reason: DropReason, why?: string, n = 1): OfferResult {
    this.#deps.stats.dropped(this.name, reason, n);
    this.#warn.warn('drop:' + reason, 'middleware-drop', { reason, count: n, why });
    return dropped(reason);
  }
}
