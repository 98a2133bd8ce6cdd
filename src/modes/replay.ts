import type { Logger } from '../telemetry/logger.js';
import { createFileInput, type FileInputOptions } from '../inputs/file-input.js';
import type { MirrorEngine } from '../engine/mirror-engine.js';
import { onStopSignal } from './shutdown.js';

export interface ReplayOptions {
  input: FileInputOptions;
  engine: MirrorEngine;
  log: Logger;
  /** How long to let outputs deliver what is queued once the files are done. */
  flushMs: number;
}

/**
 * `--input-file`: replay recorded requests to the outputs with their original timing,
 * then exit once everything is delivered (or counted as dropped).
 */
export async function runReplay(options: ReplayOptions): Promise<number> {
  const { engine, log } = options;
  const input = createFileInput(options.input, { emit: engine.input, stats: engine.stats, log });
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
    uninstall();
    await engine.close(options.flushMs);
  }
  return status;
}
