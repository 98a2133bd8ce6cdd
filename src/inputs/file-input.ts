import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { UsageError } from '../core/errors.js';
import type { Message } from '../core/message.js';
import { GorRecordReader, type GorRecord } from '../gor/codec.js';
import { AnswerFraming } from '../gor/records.js';
import { RateLimitedLog, type Logger } from '../telemetry/logger.js';
import { TAP, type Stats } from '../telemetry/stats.js';
import { expandFilePattern } from './file-input-glob.js';

export interface FileInputOptions {
  /** --input-file 'PATTERN|SPEED%': each pattern replays on its own clock, as gor's inputs do. */
  readonly files: ReadonlyArray<{ readonly pattern: string; readonly speedPercent: number }>;
  /** --input-file-loop: start again from the top when every file is done. */
  readonly loop: boolean;
  /** --input-file-max-wait: no single pause between two records is longer than this. */
  readonly maxWaitMs?: number;
  /** --input-file-dry-run: read and count, estimate the replay duration, emit nothing. */
  readonly dryRun: boolean;
  /** Also emit type 2/3 records (original/replayed responses); by default they are skipped and counted. */
  readonly includeResponses?: boolean;
}

export interface FileInputDeps {
  emit(msg: Message): void;
  readonly stats: Stats;
  readonly log: Logger;
  /** Injected so tests check the schedule, not the wall clock. */
  sleep?(ms: number): Promise<void>;
  /** ms, monotonic enough for scheduling (default performance.now). */
  now?(): number;
}

export interface FileInputResult {
  /** Well-formed records read (every type). */
  records: number;
  /** Requests emitted (dry run: that would have been emitted). */
  requests: number;
  /** Response records (types 2 and 3) read but not replayed: a replay sends requests only. */
  responses: number;
  /** Records not emitted because they are broken: malformed framing or unparsable HTTP. */
  skipped: number;
  /** The replay's duration by the schedule (sum of the waits), which is gor's dry-run estimate. */
  durationNs: bigint;
}

export interface FileInput {
  run(): Promise<FileInputResult>;
  stop(): void;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function createFileInput(opts: FileInputOptions, deps: FileInputDeps): FileInput {
  for (const f of opts.files) {
    if (!(f.speedPercent > 0) || !Number.isFinite(f.speedPercent)) {
      throw new UsageError('TD_BAD_VALUE', `input-file ${JSON.stringify(f.pattern)}: speed must be a positive percentage, got ${f.speedPercent}`, "e.g. --input-file 'requests.gor|200%'");
    }
  }
  if (opts.maxWaitMs !== undefined && !(opts.maxWaitMs >= 0)) {
    throw new UsageError('TD_BAD_VALUE', `input-file-max-wait must be >= 0, got ${opts.maxWaitMs}`);
  }
  let stopped = false;
  let wake: (() => void) | undefined;
  const stopSignal = new Promise<void>((r) => (wake = r));
  const sleep = deps.sleep ?? defaultSleep;
  const now = deps.now ?? (() => performance.now());
  const warn = new RateLimitedLog(deps.log, 1000, () => Date.now());

  async function replayPattern(pattern: string, speedPercent: number, total: FileInputResult): Promise<void> {
    const factor = speedPercent / 100;
    for (let pass = 1; !stopped; pass++) {
      const paths = await expandFilePattern(pattern);
      deps.log.info('input-file-start', { pattern, files: paths.length, pass, speed_percent: speedPercent, dry_run: opts.dryRun || undefined });
      const before = total.records;
      const answers = new AnswerFraming();
      let lastTs: bigint | undefined;
      let scheduled = now();
      const onMalformed: NonNullable<Malformed> = (m) => {
        total.skipped++;
        deps.stats.error(TAP, 'input_file_malformed');
        warn.warn(`malformed:${m.source}`, 'input-file-malformed', { file: m.source, record: m.record, line: m.line, error: m.error });
      };
      // A file that can't be read to its end (a .gz cut short when its writer was killed, a
      // file that is not gzip): its records so far are replayed, the other files go on, as
      // gor closes that one reader. Logged and counted, never a crash of the whole replay.
      const onUnreadable = (file: string, err: Error) => {
        deps.stats.error(TAP, 'input_file_unreadable');
        deps.log.warn('input-file-unreadable', { file, error: err.message, note: 'the records read before this were replayed; the other files go on' });
      };
      for await (const { rec, path } of mergeByTimestamp(paths, onMalformed, onUnreadable)) {
        if (stopped) break;
        total.records++;
        // Pace on every record (as gor does), whether or not it is emitted.
        if (lastTs !== undefined) {
          const diffNs = rec.timestampNs - lastTs;
          if (diffNs < 0n) {
            deps.stats.error(TAP, 'input_file_out_of_order');
          } else {
            let waitMs = Number(diffNs) / 1e6 / factor;
            if (opts.maxWaitMs !== undefined && opts.maxWaitMs > 0 && waitMs > opts.maxWaitMs) waitMs = opts.maxWaitMs;
            total.durationNs += BigInt(Math.round(waitMs * 1e6));
            scheduled += waitMs;
            if (!opts.dryRun) {
              const delay = scheduled - now();
              if (delay > 0) await Promise.race([sleep(delay), stopSignal]);
              if (stopped) break;
            }
          }
        }
        if (lastTs === undefined || rec.timestampNs >= lastTs) lastTs = rec.timestampNs;
        if (rec.type !== '1' && !opts.includeResponses) {
          total.responses++;
          continue;
        }
        const parsed = answers.parse(rec);
        if (!parsed.ok) {
          total.skipped++;
          deps.stats.error(TAP, 'input_file_bad_http');
          warn.warn(`badhttp:${path}`, 'input-file-skip', { file: path, id: rec.id, error: parsed.error });
          continue;
        }
        if (rec.type === '1') total.requests++;
        if (!opts.dryRun) {
          try {
            deps.emit(parsed.message);
          } catch (err) {
            deps.stats.error(TAP, 'mirror_error');
            warn.warn('emit', 'input-file-emit-error', { error: (err as Error).message });
          }
        }
      }
      if (!opts.loop) return;
      if (total.records === before) {
        deps.log.warn('input-file-loop-empty', { pattern, note: 'no records in a whole pass; not looping' });
        return;
      }
    }
  }

  return {
    async run(): Promise<FileInputResult> {
      const total: FileInputResult = { records: 0, requests: 0, responses: 0, skipped: 0, durationNs: 0n };
      await Promise.all(opts.files.map((f) => replayPattern(f.pattern, f.speedPercent, total)));
      deps.log.info('input-file-done', {
        records: total.records,
        requests: total.requests,
        responses: total.responses || undefined,
        skipped: total.skipped,
        duration_ms: Number(total.durationNs / 1_000_000n),
        dry_run: opts.dryRun || undefined,
      });
      return total;
    },
    stop(): void {
      stopped = true;
      wake?.();
    },
  };
}

type Malformed = ConstructorParameters<typeof GorRecordReader>[0]['onMalformed'];

type Unreadable = (path: string, err: Error) => void;

/**
 * The records of one file, in file order, decoded chunk by chunk (gzip when the name ends
 * in .gz). A read error ends this file: `onUnreadable` is told, and what was decoded before
 * it is still given (a record cut short by it is reported malformed by the reader).
 */
async function* readRecords(path: string, onMalformed: Malformed, onUnreadable: Unreadable): AsyncGenerator<GorRecord> {
  const reader = new GorRecordReader(onMalformed ? { source: path, onMalformed } : { source: path });
  const file = createReadStream(path, { highWaterMark: 64 * 1024 });
  let stream: Readable = file;
  // zlib loads only for a .gz file (idle memory of every replay without one).
  if (path.endsWith('.gz')) {
    const gunzip = (await import('node:zlib')).createGunzip();
    // pipe() does not pass the file's errors on: the gunzip stream is what we iterate.
    file.on('error', (err) => gunzip.destroy(err));
    stream = file.pipe(gunzip);
  }
  try {
    for await (const chunk of stream) yield* reader.push(chunk as Buffer);
  } catch (err) {
    onUnreadable(path, err as Error);
  } finally {
    stream.destroy();
    file.destroy();
  }
  yield* reader.end();
}

/**
 * Streaming k-way merge by timestamp: one record per file is held at a time (plus the
 * current chunk's worth inside each reader), so memory does not grow with the files.
 */
async function* mergeByTimestamp(paths: string[], onMalformed: NonNullable<Malformed>, onUnreadable: Unreadable): AsyncGenerator<{ rec: GorRecord; path: string }> {
  const sources = paths.map((path) => ({ path, it: readRecords(path, onMalformed, onUnreadable), head: undefined as GorRecord | undefined }));
  try {
    const live: typeof sources = [];
    for (const s of sources) {
      const r = await s.it.next();
      if (!r.done) {
        s.head = r.value;
        live.push(s);
      }
    }
    while (live.length > 0) {
      let min = 0;
      for (let i = 1; i < live.length; i++) if (live[i]!.head!.timestampNs < live[min]!.head!.timestampNs) min = i;
      const s = live[min]!;
      yield { rec: s.head!, path: s.path };
      const r = await s.it.next();
      if (r.done) live.splice(min, 1);
      else s.head = r.value;
    }
  } finally {
    await Promise.all(sources.map((s) => s.it.return(undefined)));
  }
}
