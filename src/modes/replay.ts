import type { Logger } from '../telemetry/logger.js';
import type { Stats } from '../telemetry/stats.js';
import { createFileInput, type FileInputOptions } from '../inputs/file-input.js';
import type { Mirror } from '../core/mirror.js';
import { onStopSignal } from './shutdown.js';

export interface ReplayOptions {
  input: FileInputOptions;
  mirror: Mirror;
  /** The mirror's counters (the file input counts what it skips). */
  stats: Stats;
  log: Logger;
  /** How long to let outputs deliver what is queued once the files are done. */
  flushMs: number;
}

/**
 * `--input-file`: replay recorded requests to the outputs with their original timing,
 * then exit once everything is delivered (or counted as dropped).
 */
export async function runReplay(options: ReplayOptions): Promise<number> {
  const { mirror, log } = options;
  const input = createFileInput(options.input, { emit: (msg) => mirror.input(msg), stats: options.stats, log });
  const uninstall = onStopSignal(() => input.stop());
  let status = 0;
  try {
    const result = await input.run();
    log.info(options.input.dryRun ? 'dry-run' : 'replay-done', {
      records: result.records,
      requests: result.requests,
      responses: result.responses,
      skipped: result.skipped,
      duration_ms: Number(result.durationNs / 1_000_000n),
    });
    // Garbage in (not a .gor capture at all) must not look like a successful empty replay.
    if (result.records === 0 && result.skipped > 0) {
      log.error('replay-failed', {
        reason: 'no .gor records found',
        skipped: result.skipped,
        hint: 'is it a .gor capture? records start with a "1 <id> <timestamp>" line and end with 🐵🙈🙉',
      });
      status = 1;
    }
  } finally {
    // The stop handler stays until the outputs are flushed: a signal during the flush must
    // not kill us mid-flush (the flush is bounded by flushMs already).
    try {
      await mirror.close(options.flushMs);
    } finally {
      uninstall();
    }
  }
  return status;
}
