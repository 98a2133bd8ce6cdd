import { spawn as nodeSpawn, type ChildProcess } from 'node:child_process';
import type { Message } from '../core/message.js';
import type { Output } from '../core/output.js';
import { QueuedOutput, type Admission, type QueueBounds } from '../outputs/queued-output.js';
import type { Logger } from '../telemetry/logger.js';
import type { Stats } from '../telemetry/stats.js';
import { encodeMetaLine, parseMetaLine } from './codec.js';
import { splitCommandLine } from './command-line.js';
import { LineSplitter } from './line-splitter.js';
import { AnswerFraming, messageToRecord } from './records.js';

/**
 * gor's middleware protocol (middleware.go, goreplay_middleware): for every message we
 * write one line to the child's stdin — hex of `TYPE ID TS LATENCY\n` + raw HTTP — and
 * the child writes back, in the same format, the messages to keep (possibly modified).
 *
 * Unlike gor (which log.Fatal's when the middleware dies and blocks when it stops
 * reading), this never stalls the caller: it is a queued output (outputs/queued-output.ts)
 * whose sink is the child's stdin, a dead child is restarted with backoff, and every copy
 * is counted once: echoed back (`mirrored`), not echoed in time or echoed unparsable
 * (`middleware_dropped`), lost with the child (`middleware_unavailable`), or `shutdown`.
 */
export interface MiddlewareOptions {
  /** --middleware: split shell-free (quotes respected) and spawned without a shell. */
  readonly command: string;
  /** Lines waiting for the child's stdin when it is slow, by count and bytes (hex). */
  readonly queue: QueueBounds;
  /** Also send type 3 (replayed responses): set when the HTTP output tracks responses. */
  readonly sendReplayedResponses: boolean;
  /** A message not echoed within this time is counted `middleware_dropped`. */
  readonly pendingTimeoutMs: number;
  /** At most this many messages awaiting their echo; the oldest ages out first. */
  readonly maxPending: number;
  /** Restart backoff: first delay, doubled per consecutive crash up to the max. */
  readonly restartDelayMs: number;
  readonly maxRestartDelayMs: number;
}

export interface MiddlewareDeps {
  readonly stats: Stats;
  readonly log: Logger;
  /** What the middleware echoed back, parsed. */
  onMessage(msg: Message): void;
  readonly spawn?: typeof nodeSpawn;
  readonly now?: () => number;
}

export type Middleware = Output;

interface Line {
  readonly line: Buffer;
  /** type + id: what the echo is matched on (a request and its response share the id). */
  readonly key: string;
}

const MAX_LINE_BYTES = 128 * 1024 * 1024;
const MAX_STDERR_LINE = 4096;
/** After stdin is closed at shutdown, how long the child gets to exit before SIGKILL. */
const KILL_AFTER_MS = 200;

export function createMiddleware(opts: MiddlewareOptions, deps: MiddlewareDeps): Middleware {
  for (const [k, v] of [
    ['pendingTimeoutMs', opts.pendingTimeoutMs],
    ['maxPending', opts.maxPending],
    ['restartDelayMs', opts.restartDelayMs],
    ['maxRestartDelayMs', opts.maxRestartDelayMs],
  ] as const) {
    if (!(v > 0)) throw new RangeError(`middleware: ${k} must be positive, got ${v}`);
  }
  const argv = splitCommandLine(opts.command);
  return new MiddlewareProcess(opts, deps, argv);
}

const keyOf = (type: string, id: string) => `${type} ${id}`;

class MiddlewareProcess extends QueuedOutput<Line> {
  readonly #opts: MiddlewareOptions;
  readonly #deps: MiddlewareDeps;
  readonly #argv: string[];
  readonly #now: () => number;
  #running = false;
  #child: ChildProcess | undefined;
  #waitingDrain = false;
  /** Echo key → when it was written; Map order is age order. Each entry is one copy in flight. */
  #pending = new Map<string, number>();
  /** HEAD/CONNECT request ids we sent or read, so their echoed answers parse (no body after HEAD). */
  readonly #answers = new AnswerFraming();
  #crashes = 0;
  #restarts = 0;
  #badLines = 0;
  #startedAt = 0;
  #restartTimer: NodeJS.Timeout | undefined;
  readonly #sweepTimer: NodeJS.Timeout;
  #exited: Promise<void> = Promise.resolve();
  #stderrSecond = 0;
  #stderrCount = 0;

  constructor(opts: MiddlewareOptions, deps: MiddlewareDeps, argv: string[]) {
    super('middleware', opts.queue, deps);
    this.#opts = opts;
    this.#deps = deps;
    this.#argv = argv;
    this.#now = deps.now ?? Date.now;
    // Not copies, so not in seen = mirrored + dropped + errors: the child's own health.
    deps.stats.gauge(this.name, 'restarts', () => this.#restarts);
    deps.stats.gauge(this.name, 'bad_lines', () => this.#badLines);
    const timeout = opts.pendingTimeoutMs;
    this.#sweepTimer = setInterval(() => this.#sweep(), Math.max(10, Math.min(1000, timeout / 2)));
    this.#sweepTimer.unref();
    this.#start();
  }

  wants(msg: Message): boolean {
    return msg.type !== 'replayed-response' || this.#opts.sendReplayedResponses;
  }

  protected admit(msg: Message): Admission<Line> {
    if (!this.#running) return 'middleware_unavailable';
    const rec = messageToRecord(msg);
    if (msg.type === 'request') this.#answers.request(msg.id, msg.method);
    const line = Buffer.from(Buffer.concat([encodeMetaLine(rec), rec.payload]).toString('hex') + '\n', 'latin1');
    return { item: { line, key: keyOf(rec.type, rec.id) }, size: line.length };
  }

  protected pump(): void {
    const child = this.#child;
    if (!this.#running || !child?.stdin?.writable) return;
    while (!this.#waitingDrain) {
      const item = this.take();
      if (item === undefined) return;
      this.#track(item.key);
      if (!child.stdin.write(item.line)) this.#waitingDrain = true;
    }
  }

  protected override async release(): Promise<void> {
    clearTimeout(this.#restartTimer);
    clearInterval(this.#sweepTimer);
    this.#pending.clear();
    const child = this.#child;
    if (!child) return;
    child.stdin?.end();
    if (child.exitCode === null && child.signalCode === null) {
      // gor's JS helper keeps a timer alive, so it does not exit on EOF: ask, then insist.
      const exited = this.#exited;
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
      await exited;
      clearTimeout(kill);
    }
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
    this.#running = true;
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
    child.stdin!.on('drain', () => {
      if (this.#child !== child) return;
      this.#waitingDrain = false;
      this.schedulePump();
    });
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
      this.rlog.warn('stderr-flood', 'middleware-stderr-suppressed', { note: 'more than 50 lines/s from the middleware' });
      return;
    }
    this.#deps.log.info('middleware-stderr', { line });
  }

  #onDown(child: ChildProcess | undefined, fields: Record<string, string | number | undefined>): void {
    if (child && this.#child !== child) return;
    this.#child = undefined;
    this.#running = false;
    this.#waitingDrain = false;
    if (!this.isOpen) {
      this.#deps.log.info('middleware-exit', { ...fields, command: this.#opts.command });
      return;
    }
    // What it held or was about to read is gone with it.
    const written = this.#pending.size;
    this.#pending.clear();
    this.lost('middleware_unavailable', written, { why: 'middleware exited' });
    this.dropQueued('middleware_unavailable', { why: 'middleware exited' });
    this.#restarts++;
    // A child that ran a while was healthy: start the backoff over.
    if (this.#now() - this.#startedAt > 10_000) this.#crashes = 0;
    const delay = Math.min(this.#opts.maxRestartDelayMs, this.#opts.restartDelayMs * 2 ** Math.min(this.#crashes, 20));
    this.#crashes++;
    this.#deps.log.error('middleware-exit', { ...fields, command: this.#opts.command, restart_in_ms: delay, crashes: this.#crashes });
    this.#restartTimer = setTimeout(() => {
      if (this.isOpen && !this.#running) this.#start();
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
    const parsed = this.#answers.parse(rec);
    // An echo we were waiting for settles its copy; others (injected by the middleware, or
    // echoed twice) are passed on without touching the counts.
    const ours = this.#pending.delete(keyOf(meta.type, meta.id));
    if (!parsed.ok) {
      this.#bad(`unparsable HTTP in message ${meta.id}: ${parsed.error}`, hex);
      if (ours) this.lost('middleware_dropped', 1, { why: 'echo is not valid HTTP' });
      return;
    }
    if (ours) this.delivered();
    try {
      this.#deps.onMessage(parsed.message);
    } catch (err) {
      this.rlog.warn('onmessage', 'middleware-error', { error: (err as Error).message });
    }
  }

  #bad(error: string, sample: string | Buffer): void {
    this.#badLines++;
    const s = typeof sample === 'string' ? sample : sample.toString('latin1');
    this.rlog.warn('bad:' + error.slice(0, 20), 'middleware-bad-output', { error, sample: s.slice(0, 80) });
  }

  #track(key: string): void {
    // The same message offered twice while the first is awaited: the first can no longer be told apart.
    if (this.#pending.delete(key)) this.lost('middleware_dropped', 1, { why: 'offered again before its echo' });
    this.#pending.set(key, this.#now());
    while (this.#pending.size > this.#opts.maxPending) {
      const oldest = this.#pending.keys().next().value as string;
      this.#pending.delete(oldest);
      this.lost('middleware_dropped', 1, { why: 'too many awaiting echo' });
    }
  }

  #sweep(): void {
    const limit = this.#now() - this.#opts.pendingTimeoutMs;
    let n = 0;
    for (const [id, at] of this.#pending) {
      if (at > limit) break;
      this.#pending.delete(id);
      n++;
    }
    if (n > 0) this.lost('middleware_dropped', n, { why: 'not echoed in time' });
  }
}
