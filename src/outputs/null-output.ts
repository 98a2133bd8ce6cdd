import type { Message } from '../core/message.js';
import { QueuedOutput, type Admission, type QueueBounds, type QueuedOutputDeps } from './queued-output.js';

/**
 * --output-null: accepts everything, writes nothing, counts it as mirrored (benchmarks, dry
 * runs). It goes through the same queue as every output so that it measures, and is
 * counted, like one.
 */
class NullOutput extends QueuedOutput<true> {
  wants(): boolean {
    return true;
  }

  protected admit(_msg: Message): Admission<true> {
    return { item: true, size: 1 };
  }

  protected pump(): void {
    let n = 0;
    while (this.take() !== undefined) n++;
    if (n > 0) this.delivered(n);
  }
}

/** `name` is `dest=` in stats and logs ('null' for --output-null; tests give stand-ins their own). */
export function createNullOutput(bounds: QueueBounds, deps: QueuedOutputDeps, name = 'null'): QueuedOutput<true> {
  return new NullOutput(name, bounds, deps);
}
