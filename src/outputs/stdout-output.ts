import type { Writable } from 'node:stream';
import type { Message } from '../core/message.js';
import { encodeRecord } from '../gor/codec.js';
import { messageToRecord } from '../gor/records.js';
import { QueuedOutput, type Admission, type QueueBounds, type QueuedOutputDeps } from './queued-output.js';

export interface StdoutOutputDeps extends QueuedOutputDeps {
  /** Where records go (process.stdout in production): tests pass a pipe or /dev/full. */
  readonly stream: Writable;
}

/**
 * --output-stdout: the same .gor framing as a file, so `traffic-duplicator … | gor
 * --input-file /dev/stdin` style pipelines work. When the reader is slow, write() says so
 * and copies wait in the bounded queue until 'drain'; beyond it they are refused.
 */
class StdoutOutput extends QueuedOutput<Buffer> {
  readonly #stream: Writable;
  #waitingDrain = false;
  /** The stream failed (EPIPE, ENOSPC…): nothing more can be written to it. */
  #broken = false;
  readonly #onDrain = () => {
    this.#waitingDrain = false;
    this.schedulePump();
  };

  constructor(bounds: QueueBounds, deps: StdoutOutputDeps) {
    super('stdout', bounds, deps);
    this.#stream = deps.stream;
    this.#stream.on('drain', this.#onDrain);
    // Kept after close too: a late EPIPE must not crash the process.
    this.#stream.on('error', (err: NodeJS.ErrnoException) => {
      this.#streamFailed(err);
      this.dropQueued('destination_down', { why: 'stdout failed' });
    });
  }

  /** Every type, as gor records them: requests (1), production's responses (2), shadows' responses (3). */
  wants(): boolean {
    return true;
  }

  protected admit(msg: Message): Admission<Buffer> {
    if (this.#broken) return 'destination_down';
    const enc = encodeRecord(messageToRecord(msg));
    if (!enc.ok) return 'unsafe_payload';
    return { item: enc.bytes, size: enc.bytes.length };
  }

  protected pump(): void {
    while (!this.#waitingDrain && !this.#broken) {
      const buf = this.take();
      if (buf === undefined) return;
      const ok = this.#stream.write(buf, (err) => {
        if (!err) return this.delivered();
        // The callback comes before the stream's 'error' event: stop taking copies already.
        this.#streamFailed(err);
        this.failed('write', 1, { code: (err as NodeJS.ErrnoException).code });
      });
      if (!ok) this.#waitingDrain = true;
    }
  }

  /** The stream is gone (EPIPE, ENOSPC…): logged once a second at most, whichever of the write callback or 'error' says it first. */
  #streamFailed(err: NodeJS.ErrnoException): void {
    this.#broken = true;
    this.rlog.error('stream', 'stdout-output-error', { dest: this.name, code: err.code, error: err.message });
  }

  protected override release(): void {
    this.#stream.off('drain', this.#onDrain);
  }
}

export function createStdoutOutput(bounds: QueueBounds, deps: StdoutOutputDeps): QueuedOutput<Buffer> {
  return new StdoutOutput(bounds, deps);
}
