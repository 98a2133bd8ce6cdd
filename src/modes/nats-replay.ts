import type { Logger } from '../telemetry/logger.js';
import type { Mirror } from '../core/mirror.js';
import type { NatsInput } from '../inputs/nats-input.js';
import { onStopSignal } from './shutdown.js';

/**
 * `--input-nats`: replay records from the stream's shared consumer to the outputs, following
 * the stream live until stopped (SIGTERM, --exit-after) or, with --input-nats-stop-at-end,
 * until the end the stream had at start-up; then flush the outputs and exit.
 */
export async function runNatsReplay(options: { input: NatsInput; mirror: Mirror; log: Logger; flushMs: number }): Promise<number> {
  const { input, mirror } = options;
  // Installed until the outputs are flushed: a stop signal that arrives while we flush (the
  // input may end on its own, e.g. when the broker goes away) must not kill us mid-flush.
  const uninstall = onStopSignal(() => input.stop());
  try {
    await input.run();
  } finally {
    try {
      await mirror.close(options.flushMs);
    } finally {
      uninstall();
    }
  }
  return 0;
}
