import type { Writable } from 'node:stream';
import type { Message } from '../core/message.js';
import { ACCEPTED, dropped, type DropReason, type OfferResult, type Output } from '../core/output.js';
import { encodeRecord } from '../gor/codec.js';
import { messageToRecord } from '../gor/records.js';
import { RateLimitedLog, type Logger } from '../telemetry/logger.js';
import type { Stats } from '../telemetry/stats.js';

export interface StdoutOutputOptions {
  /** Copies waiting for a slow reader of stdout (default 10 000). */
  readonly queueLimit?: number;
  /** Bytes waiting for a slow reader (default 16 MiB). */
  readonly maxQueueBytes?: number;
}

export interface StdoutOutputDeps {
  readonly stats: Stats;
  readonly log: Logger;
  /** Where records go (default process.stdout): tests pass a pipe or /dev/full. */
  readonly stream?: Writable;
  readonly now?: () => number;
}

/**
 * --output-stdout: the same .gor framing as a file, so `traffic-duplicator … | gor
 * --input-file /dev/stdin` style pipelines work. When the reader is slow, write() says
 * so and we keep at most a bounded queue until 'drain'; beyond it copies are dropped.
 */
export function createStdoutOutput(opts: StdoutOutputOptions, deps: StdoutOutputDeps): Output {
  const name = 'stdout';
  const stream = deps.stream ?? process.stdout;
  const queueLimit = opts.queueLimit ?? 10_000;
  const maxBytes = opts.maxQueueBytes ?? 16 * 1024 * 1024;
  const warn = new RateLimitedLog(deps.log, 1000, deps.now ?? Date.now);
  const errors = new RateLimitedLog(deps.log, 1000, deps.now ?? Date.now);
  let queue: Buffer[] = [];
  let queueBytes = 0;
  /** Written to the stream but not yet confirmed by its callback. */
  let inFlight = 0;
  let waitingDrain = false;
  let state: 'open' | 'closing' | 'closed' | 'broken' = 'open';
  const settled: Array<() => void> = [];

  /** Accepted copies that will never be written (shutdown leftovers). */
  const dropAccepted = (reason: DropReason, n: number): void => {
    deps.stats.dropped(name, reason, n);
    warn.warn(reason, 'stdout-output-drop', { dest: name, reason, count: n });
  };
  /** Accepted copies whose write failed: errors, one per copy. */
  const failAccepted = (n: number): void => {
    for (let i = 0; i < n; i++) deps.stats.error(name, 'write');
  };
  const checkSettled = () => {
    if (queue.length === 0 && inFlight === 0) for (const f of settled.splice(0)) f();
  };
  const onError = (err: Error) => {
    errors.error('write', 'stdout-output-error', { dest: name, code: (err as NodeJS.ErrnoException).code, error: err.message });
    if (state !== 'closed') state = 'broken';
    failAccepted(queue.length);
    queue = [];
    queueBytes = 0;
    checkSettled();
  };
  stream.on('error', onError);
  const onDrain = () => {
    waitingDrain = false;
    pump();
  };
  stream.on('drain', onDrain);

  function write(buf: Buffer): boolean {
    inFlight++;
    return stream.write(buf, (err) => {
      inFlight--;
      if (err) failAccepted(1);
      else deps.stats.mirrored(name);
      checkSettled();
    });
  }

  function pump(): void {
    while (queue.length > 0 && !waitingDrain && state !== 'broken') {
      const buf = queue.shift()!;
      queueBytes -= buf.length;
      if (!write(buf)) waitingDrain = true;
    }
    checkSettled();
  }

  return {
    name,
    wants: (msg: Message) => msg.type === 'request' || msg.type === 'response',
    offer(msg: Message): OfferResult {
      try {
        deps.stats.seen(name);
        // Refusals are returned, and counted by the fan-out.
        if (state === 'closing' || state === 'closed') return dropped('shutdown');
        if (state === 'broken') return dropped('mirror_error');
        const enc = encodeRecord(messageToRecord(msg));
        if (!enc.ok) return dropped('unsafe_payload');
        if (!waitingDrain && queue.length === 0) {
          if (!write(enc.bytes)) waitingDrain = true;
          return ACCEPTED;
        }
        if (queue.length >= queueLimit || queueBytes + enc.bytes.length > maxBytes) return dropped('queue_full');
        queue.push(enc.bytes);
        queueBytes += enc.bytes.length;
        return ACCEPTED;
      } catch (err) {
        deps.log.error('stdout-output-bug', { error: (err as Error).message });
        return dropped('mirror_error');
      }
    },
    async close(graceMs: number): Promise<void> {
      if (state === 'closed') return;
      if (state === 'open') state = 'closing';
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((r) => {
          settled.push(r);
          checkSettled();
        }),
        new Promise<void>((r) => (timer = setTimeout(r, graceMs))),
      ]);
      clearTimeout(timer);
      state = 'closed';
      if (queue.length > 0) dropAccepted('shutdown', queue.length);
      queue = [];
      queueBytes = 0;
      stream.off('drain', onDrain);
      // Keep the error listener: a late EPIPE must not crash the process.
    },
  };
}
