import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import type { Message } from '../core/message.js';
import { ACCEPTED, dropped, type DropReason, type OfferResult, type Output } from '../core/output.js';
import { encodeRecord } from '../gor/codec.js';
import { messageToRecord } from '../gor/records.js';
import { RateLimitedLog, type Logger } from '../telemetry/logger.js';
import type { Stats } from '../telemetry/stats.js';
import { chunkName, expandTemplate, isPerMessageTemplate, lastChunkIndex } from './file-path.js';

const gzip = promisify(gzipCb);

export interface FileOutputOptions {
  /** gor's --output-file, with %Y %m %d %H %M %S %NS %r %t %i; a `.gz` name is gzip-compressed. */
  readonly pathTemplate: string;
  /** --output-file-append: write to the template's name as is (no `_N` chunk index). */
  readonly append: boolean;
  /** --output-file-size-limit: start the next chunk once a file reaches this size (default 32 MiB; 0 = none). */
  readonly sizeLimitBytes?: number;
  /** --output-file-queue-limit: records per chunk (default 256, as gor; 0 = none). */
  readonly queueLimit?: number;
  /** --output-file-flush-interval: how long written records may sit in our buffer (gor default 1s). */
  readonly flushIntervalMs: number;
  /** Bound on bytes waiting for the disk (default 64 MiB); beyond it, copies are dropped `queue_full`. */
  readonly maxQueueBytes?: number;
}

export interface FileOutputDeps {
  readonly stats: Stats;
  readonly log: Logger;
  readonly now?: () => Date;
  /** %i in templates (default: a random per-process id). */
  readonly instanceId?: string;
}

export const FILE_OUTPUT_DEFAULTS = {
  sizeLimitBytes: 32 * 1024 * 1024,
  queueLimit: 256,
  maxQueueBytes: 64 * 1024 * 1024,
  /** Bound on queued copies by count, whatever their size. */
  maxQueueLength: 100_000,
  /** A buffer this big is written without waiting for the flush interval. */
  batchBytes: 256 * 1024,
  /** After a failed open, don't try again for this long (copies meanwhile are dropped). */
  reopenBackoffMs: 1000,
} as const;

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

class FileOutputImpl implements FileOutput {
  readonly name: string;
  readonly paths: string[] = [];
  readonly #opts: Required<Omit<FileOutputOptions, 'pathTemplate' | 'append' | 'flushIntervalMs'>> & FileOutputOptions;
  readonly #deps: FileOutputDeps;
  readonly #now: () => Date;
  readonly #errors: RateLimitedLog;
  readonly #warn: RateLimitedLog;
  readonly #perMessage: boolean;

  #queue: Item[] = [];
  #queueBytes = 0;
  #batch: Item[] = [];
  #batchBytes = 0;
  #file: OpenFile | undefined;
  /** Expanded template of the current chunk series, and its index. */
  #base: string | undefined;
  #index = 0;
  #reopenAt = 0;
  #lastPath: string | undefined;
  #state: 'open' | 'closing' | 'closed' = 'open';
  #running: Promise<void> | undefined;
  #flushWanted = false;
  #timer: NodeJS.Timeout;

  constructor(opts: FileOutputOptions, deps: FileOutputDeps) {
    this.name = opts.pathTemplate;
    this.#opts = {
      ...opts,
      sizeLimitBytes: opts.sizeLimitBytes ?? FILE_OUTPUT_DEFAULTS.sizeLimitBytes,
      queueLimit: opts.queueLimit ?? FILE_OUTPUT_DEFAULTS.queueLimit,
      maxQueueBytes: opts.maxQueueBytes ?? FILE_OUTPUT_DEFAULTS.maxQueueBytes,
    };
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
    this.#errors = new RateLimitedLog(deps.log, 1000, () => this.#now().getTime());
    this.#warn = new RateLimitedLog(deps.log, 1000, () => this.#now().getTime());
    this.#perMessage = isPerMessageTemplate(opts.pathTemplate);
    deps.stats.gauge(this.name, 'queue_depth', () => this.#queue.length + this.#batch.length);
    this.#timer = setInterval(() => void this.flush(), Math.max(1, opts.flushIntervalMs));
    this.#timer.unref();
  }

  wants(msg: Message): boolean {
    // gor's file output stores what its inputs give it: requests and the app's responses.
    return msg.type === 'request' || msg.type === 'response';
  }

  offer(msg: Message): OfferResult {
    try {
      this.#deps.stats.seen(this.name);
      // Refusals are returned, and counted by the fan-out.
      if (this.#state !== 'open') return dropped('shutdown');
      const enc = encodeRecord(messageToRecord(msg));
      if (!enc.ok) {
        this.#warn.warn('unsafe', 'file-output-drop', { dest: this.name, reason: 'unsafe_payload', id: msg.id, error: enc.error });
        return dropped('unsafe_payload');
      }
      const len = enc.bytes.length;
      if (this.#queue.length >= FILE_OUTPUT_DEFAULTS.maxQueueLength || this.#queueBytes + this.#batchBytes + len > this.#opts.maxQueueBytes) {
        return dropped('queue_full');
      }
      this.#queue.push({ bytes: enc.bytes, id: msg.id, type: msg.type === 'request' ? '1' : msg.type === 'response' ? '2' : '3' });
      this.#queueBytes += len;
      this.#kick();
      return ACCEPTED;
    } catch (err) {
      this.#deps.log.error('file-output-bug', { dest: this.name, error: (err as Error).message });
      return dropped('mirror_error');
    }
  }

  async flush(): Promise<void> {
    this.#flushWanted = true;
    this.#kick();
    while (this.#running) await this.#running;
  }

  async close(graceMs: number): Promise<void> {
    if (this.#state !== 'open') return;
    this.#state = 'closing';
    clearInterval(this.#timer);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), graceMs)));
    const done = this.flush().then(() => 'done' as const);
    const how = await Promise.race([done, deadline]);
    clearTimeout(timer);
    this.#state = 'closed';
    if (how === 'timeout') {
      const left = this.#queue.length + this.#batch.length;
      this.#queue = [];
      this.#batch = [];
      this.#queueBytes = this.#batchBytes = 0;
      if (left > 0) {
        this.#deps.stats.dropped(this.name, 'shutdown', left);
        this.#deps.log.warn('file-output-drop', { dest: this.name, reason: 'shutdown', count: left });
      }
      // Whatever write is in flight finishes on its own; close the file after it.
      void (this.#running ?? Promise.resolve()).then(() => this.#closeFile());
      return;
    }
    await this.#closeFile();
  }

  #kick(): void {
    if (this.#running) return;
    this.#running = this.#run().finally(() => {
      this.#running = undefined;
      // Something arrived while we were finishing.
      if (this.#queue.length > 0 && this.#state !== 'closed') this.#kick();
    });
  }

  /** The only code that touches the disk: one at a time, in order. */
  async #run(): Promise<void> {
    for (;;) {
      const item = this.#queue.shift();
      if (item) {
        this.#queueBytes -= item.bytes.length;
        await this.#place(item);
        if (this.#batchBytes >= FILE_OUTPUT_DEFAULTS.batchBytes) await this.#writeBatch();
        continue;
      }
      if (this.#flushWanted || this.#state !== 'open') {
        this.#flushWanted = false;
        await this.#writeBatch();
        if (this.#queue.length > 0) continue;
      }
      return;
    }
  }

  /** Routes one record into the current file's buffer, switching files as gor's naming rules say. */
  async #place(item: Item): Promise<void> {
    if (this.#state === 'closed') return this.#dropItems([item], 'shutdown');
    const path = await this.#pathFor(item);
    if (this.#file?.path !== path) {
      await this.#writeBatch();
      await this.#closeFile();
      if (this.#now().getTime() < this.#reopenAt) return this.#failItems([item]);
      const ok = await this.#open(path);
      if (!ok) return this.#failItems([item]);
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
      this.#reopenAt = this.#now().getTime() + FILE_OUTPUT_DEFAULTS.reopenBackoffMs;
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
    if (!f) return this.#failItems(items);
    const raw = Buffer.concat(items.map((i) => i.bytes));
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
      for (let n = 0; n < items.length; n++) this.#deps.stats.mirrored(this.name);
    } catch (err) {
      this.#diskError('write', f.path, err);
      this.#failItems(items);
      // Never leave half a record behind: cut the file back to its last good length.
      try {
        await f.handle.truncate(f.size);
      } catch (e) {
        this.#diskError('truncate', f.path, e);
      }
      await this.#closeFile();
    }
  }

  #dropItems(items: Item[], reason: DropReason): void {
    if (items.length > 0) this.#deps.stats.dropped(this.name, reason, items.length);
  }

  /** Accepted copies that could not be written: one `errors.write` per copy. */
  #failItems(items: Item[]): void {
    for (let n = 0; n < items.length; n++) this.#deps.stats.error(this.name, 'write');
  }

  /** Logs a failed disk operation (rate-limited); the copies it cost are counted by #failItems. */
  #diskError(op: string, path: string, err: unknown): void {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
    this.#errors.error(`${op}:${code}`, 'file-output-error', { dest: this.name, op, path, code, error: (err as Error).message });
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
