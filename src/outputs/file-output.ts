import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { gorPayloadType, type Message } from '../core/message.js';
import type { Output } from '../core/output.js';
import { encodeRecord } from '../gor/codec.js';
import { messageToRecord } from '../gor/records.js';
import type { Logger } from '../telemetry/logger.js';
import type { Stats } from '../telemetry/stats.js';
import { chunkName, expandTemplate, isPerMessageTemplate, lastChunkIndex } from './file-path.js';
import { QueuedOutput, type Admission, type QueueBounds } from './queued-output.js';

/** zlib loads with the first flush to a `.gz` file, not in every process that has a file output (idle memory). */
let loadGzip: Promise<(raw: Buffer) => Promise<Buffer>> | undefined;
const gzip = async (raw: Buffer): Promise<Buffer> => (await (loadGzip ??= import('node:zlib').then((z) => promisify(z.gzip))))(raw);

export interface FileOutputOptions {
  /** gor's --output-file, with %Y %m %d %H %M %S %NS %r %t %i; a `.gz` name is gzip-compressed. */
  readonly pathTemplate: string;
  /** --output-file-append: write to the template's name as is (no `_N` chunk index). */
  readonly append: boolean;
  /** --output-file-size-limit: start the next chunk once a file reaches this size (0 = none). */
  readonly sizeLimitBytes: number;
  /** --output-file-queue-limit: records per chunk, as gor (0 = none). */
  readonly queueLimit: number;
  /** --output-file-max-size-limit: stop writing once this output has written this much in all (0 = none). */
  readonly maxSizeBytes: number;
  /** --output-file-flush-interval: how long written records may sit in our buffer. */
  readonly flushIntervalMs: number;
  /** Copies waiting for the disk, by count and bytes; beyond them copies are refused. */
  readonly queue: QueueBounds;
}

export interface FileOutputDeps {
  readonly stats: Stats;
  readonly log: Logger;
  readonly now?: () => Date;
  /** %i in templates (default: a random per-process id). */
  readonly instanceId?: string;
}

/** A buffer this big is written without waiting for the flush interval. */
const BATCH_BYTES = 256 * 1024;
/** After a failed open, don't try again for this long (copies meanwhile are counted as errors). */
const REOPEN_BACKOFF_MS = 1000;

const INSTANCE_ID = Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, '0');

interface Item {
  readonly bytes: Buffer;
  readonly id: string;
  readonly type: string;
}

interface OpenFile {
  readonly path: string;
  readonly handle: FileHandle;
  readonly gz: boolean;
  /** Bytes known to be on disk in this file: after an error we truncate back to it. */
  size: number;
  records: number;
}

export type FileOutput = Output & {
  /** Writes everything queued now (tests, and the flush timer). */
  flush(): Promise<void>;
  /** Paths written to, in order of opening (bounded: the last 100). */
  readonly paths: readonly string[];
};

export function createFileOutput(opts: FileOutputOptions, deps: FileOutputDeps): FileOutput {
  return new FileOutputImpl(opts, deps);
}

function assertCount(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`file output: ${name} must be an integer >= ${min}, got ${v}`);
}

class FileOutputImpl extends QueuedOutput<Item> implements FileOutput {
  readonly paths: string[] = [];
  readonly #opts: FileOutputOptions;
  readonly #deps: FileOutputDeps;
  readonly #now: () => Date;
  readonly #perMessage: boolean;

  /** Taken from the queue, waiting to be written with the next flush (in flight for the base). */
  #batch: Item[] = [];
  #batchBytes = 0;
  #file: OpenFile | undefined;
  /** Expanded template of the current chunk series, and its index. */
  #base: string | undefined;
  #index = 0;
  #reopenAt = 0;
  #lastPath: string | undefined;
  /** Record bytes written over the output's life (before gzip, as gor counts), for --output-file-max-size-limit. */
  #writtenBytes = 0;
  /** The bytes of the batch being written now: out of #batch, not yet written. */
  #writingBytes = 0;
  #running: Promise<void> | undefined;
  #flushWanted = false;
  readonly #timer: NodeJS.Timeout;

  constructor(opts: FileOutputOptions, deps: FileOutputDeps) {
    const now = deps.now ?? (() => new Date());
    super(opts.pathTemplate, opts.queue, { stats: deps.stats, log: deps.log, now: () => now().getTime() });
    assertCount('sizeLimitBytes', opts.sizeLimitBytes, 0);
    assertCount('queueLimit', opts.queueLimit, 0);
    assertCount('maxSizeBytes', opts.maxSizeBytes, 0);
    if (!(opts.flushIntervalMs > 0)) throw new RangeError(`file output: flushIntervalMs must be positive, got ${opts.flushIntervalMs}`);
    this.#opts = opts;
    this.#deps = deps;
    this.#now = now;
    this.#perMessage = isPerMessageTemplate(opts.pathTemplate);
    this.#timer = setInterval(() => void this.flush(), opts.flushIntervalMs);
    this.#timer.unref();
  }

  /** Every type, as gor records them: requests (1), production's responses (2), shadows' responses (3). */
  wants(): boolean {
    return true;
  }

  protected admit(msg: Message): Admission<Item> {
    const max = this.#opts.maxSizeBytes;
    // gor stops writing once the output has written this much (the record that crosses it is
    // kept). Records still waiting for the disk count as written, or a burst would overshoot
    // by a queue; copies the queue refuses, or that fail to be written, never count (else a
    // burst into a full queue would switch the output off for good with nothing on disk).
    if (max > 0 && this.#writtenBytes + this.#writingBytes + this.#batchBytes + this.queuedBytes >= max) return 'size_limit';
    const enc = encodeRecord(messageToRecord(msg));
    if (!enc.ok) return 'unsafe_payload';
    return { item: { bytes: enc.bytes, id: msg.id, type: gorPayloadType(msg) }, size: enc.bytes.length };
  }

  protected pump(): void {
    if (this.#running) return;
    this.#running = this.#run()
      .catch((err: unknown) => this.#diskError('run', this.#file?.path ?? this.name, err))
      .finally(() => {
        this.#running = undefined;
        // Something arrived while we were finishing.
        if (this.queueDepth > 0 || (!this.isOpen && this.#batch.length > 0)) this.schedulePump();
      });
  }

  async flush(): Promise<void> {
    this.#flushWanted = true;
    this.pump();
    while (this.#running) await this.#running;
  }

  protected override async release(): Promise<void> {
    clearInterval(this.#timer);
    // A write still running after the deadline finishes on its own; close the file after it.
    while (this.#running) await this.#running;
    this.#batch = [];
    this.#batchBytes = 0;
    await this.#closeFile();
  }

  /** The only code that touches the disk: one at a time, in order. */
  async #run(): Promise<void> {
    for (;;) {
      if (this.isClosed) return;
      const item = this.take();
      if (item) {
        await this.#place(item);
        if (this.#batchBytes >= BATCH_BYTES) await this.#writeBatch();
        continue;
      }
      if (this.#flushWanted || !this.isOpen) {
        this.#flushWanted = false;
        await this.#writeBatch();
        if (this.queueDepth > 0) continue;
      }
      return;
    }
  }

  /** Routes one record into the current file's buffer, switching files as gor's naming rules say. */
  async #place(item: Item): Promise<void> {
    let path: string;
    try {
      path = await this.#pathFor(item);
    } catch (err) {
      this.#diskError('name', this.name, err);
      return this.failed('write', 1, { why: 'no file name' });
    }
    if (this.#file?.path !== path) {
      await this.#writeBatch();
      await this.#closeFile();
      if (this.#now().getTime() < this.#reopenAt) return this.failed('write', 1, { why: 'open failed, waiting to retry' });
      const ok = await this.#open(path);
      if (!ok) return this.failed('write', 1, { why: 'open failed' });
    }
    this.#batch.push(item);
    this.#batchBytes += item.bytes.length;
    this.#file!.records++;
  }

  async #pathFor(item: Item): Promise<string> {
    const base = expandTemplate(this.#opts.pathTemplate, {
      now: this.#now(),
      id: item.id,
      type: item.type,
      instanceId: this.#deps.instanceId ?? INSTANCE_ID,
    });
    if (this.#opts.append || this.#perMessage) return base;
    if (base !== this.#base) {
      // A new series (first write, or the time in the name moved on): continue after any
      // chunks already there, so a restart never truncates an earlier run's file.
      this.#base = base;
      this.#index = (await lastChunkIndex(base)) + 1;
      return chunkName(base, this.#index);
    }
    const f = this.#file;
    if (f && f.path === chunkName(base, this.#index)) {
      const pendingOnDisk = f.gz ? 0 : this.#batchBytes;
      const full =
        (this.#opts.queueLimit > 0 && f.records >= this.#opts.queueLimit) ||
        (this.#opts.sizeLimitBytes > 0 && f.size + pendingOnDisk >= this.#opts.sizeLimitBytes);
      if (full) this.#index++;
    }
    return chunkName(base, this.#index);
  }

  async #open(path: string): Promise<boolean> {
    try {
      await mkdir(dirname(path), { recursive: true });
      // Non-append chunks are fresh files (gor opens them O_TRUNC); reopening the file we
      // were writing (after an error) must not lose what it holds.
      const flags = this.#opts.append || path === this.#lastPath ? 'a' : 'w';
      const handle = await open(path, flags, 0o660);
      const size = flags === 'a' ? (await handle.stat()).size : 0;
      this.#file = { path, handle, gz: path.endsWith('.gz'), size, records: 0 };
      this.#lastPath = path;
      this.paths.push(path);
      if (this.paths.length > 100) this.paths.shift();
      return true;
    } catch (err) {
      this.#reopenAt = this.#now().getTime() + REOPEN_BACKOFF_MS;
      this.#diskError('open', path, err);
      return false;
    }
  }

  async #writeBatch(): Promise<void> {
    const items = this.#batch;
    if (items.length === 0) return;
    this.#batch = [];
    this.#batchBytes = 0;
    const f = this.#file;
    if (!f) return this.failed('write', items.length, { why: 'no open file' });
    const raw = Buffer.concat(items.map((i) => i.bytes));
    this.#writingBytes = raw.length;
    try {
      // One gzip member per flush: the file stays a valid (multi-member) gzip stream after
      // every flush, which gor's reader and ours both read.
      const data = f.gz ? await gzip(raw) : raw;
      let off = 0;
      while (off < data.length) {
        const { bytesWritten } = await f.handle.write(data, off, data.length - off, null);
        off += bytesWritten;
      }
      f.size += data.length;
      this.#writtenBytes += raw.length;
      this.#writingBytes = 0;
      this.delivered(items.length);
    } catch (err) {
      this.#writingBytes = 0;
      this.#diskError('write', f.path, err);
      this.failed('write', items.length);
      // Never leave half a record behind: cut the file back to its last good length.
      try {
        await f.handle.truncate(f.size);
      } catch (e) {
        this.#diskError('truncate', f.path, e);
      }
      await this.#closeFile();
    }
  }

  /** Logs a failed disk operation (rate-limited); the copies it cost are counted by failed(). */
  #diskError(op: string, path: string, err: unknown): void {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
    this.rlog.error(`${op}:${code}`, 'file-output-error', { dest: this.name, op, path, code, error: (err as Error).message });
  }

  async #closeFile(): Promise<void> {
    const f = this.#file;
    this.#file = undefined;
    if (!f) return;
    try {
      await f.handle.close();
    } catch (err) {
      this.#diskError('close', f.path, err);
    }
  }
}
