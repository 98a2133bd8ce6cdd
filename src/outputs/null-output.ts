import type { Message } from '../core/message.js';
import { ACCEPTED, dropped, type OfferResult, type Output } from '../core/output.js';
import type { Stats } from '../telemetry/stats.js';

/** --output-null: accepts everything, writes nothing, counts it as mirrored (benchmarks, dry runs). */
export function createNullOutput(deps: { readonly stats: Stats }): Output {
  const name = 'null';
  let closed = false;
  return {
    name,
    wants: () => true,
    offer(_msg: Message): OfferResult {
      if (closed) {
        deps.stats.seen(name);
        return dropped('shutdown'); // counted by the fan-out
      }
      deps.stats.seen(name);
      deps.stats.mirrored(name);
      return ACCEPTED;
    },
    async close(): Promise<void> {
      closed = true;
    },
  };
}
