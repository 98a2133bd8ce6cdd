import type { Config } from '../config/index.js';
import type { Message, RequestMessage, ResponseMessage } from '../core/message.js';
import type { Output } from '../core/output.js';
import type { Logger } from '../telemetry/logger.js';
import type { Stats } from '../telemetry/stats.js';
import { Comparator } from './comparator.js';
import { ReportFile } from './report-file.js';

/**
 * How comparison plugs into the engine (loaded only when --compare is on):
 * - each compared HTTP output keeps answers up to --compare-max-body and reports them
 *   (onResponse) or their failure (onCopyFailed);
 * - each compared output is wrapped so that a sampled request is awaited once its copy is
 *   accepted, or counted `dropped:<reason>` when it is not;
 * - production's answers come from the tap (or a .gor file) through production().
 */
export interface CompareWiring {
  readonly comparison: Comparator;
  /** What a compared HTTP output needs besides its usual options. */
  httpOptions(name: string): {
    responseBufferBytes: number;
    onResponse: (resp: ResponseMessage, req: RequestMessage) => void;
    onCopyFailed: (req: RequestMessage, kind: string) => void;
  };
  wrap(output: Output): Output;
  production(msg: ResponseMessage): void;
  /** Writes --compare-report every `intervalMs` (unref'd timer). */
  startReporting(intervalMs: number): void;
  /** Compares what is ready, counts the rest, writes the final report. */
  close(): void;
}

export function createCompareWiring(config: Config, deps: { stats: Stats; log: Logger; productionMayLead: boolean }): CompareWiring {
  const c = config.compare;
  // 'URL|0%' builds no output (gor sends nothing there): nothing to compare either.
  const destinations = config.httpOutputs.filter((o) => !(o.limit?.kind === 'percent' && o.limit.n === 0)).map((o) => ({ name: o.url, role: o.url === c.control ? ('control' as const) : ('candidate' as const) }));
  const comparison = new Comparator(
    {
      destinations,
      samplePercent: c.samplePercent,
      maxBodyBytes: c.maxBodyBytes,
      ignore: c.ignore,
      routes: c.routes,
      redact: c.redact,
      // A half waits for the copy's whole-request timeout, plus the time it may sit in the queue.
      pendingTtlMs: Math.max(10_000, config.outputHttp.timeoutMs * 2 + 5_000),
      productionMayLead: deps.productionMayLead,
    },
    { stats: deps.stats, log: deps.log },
  );
  const file = c.reportFile ? new ReportFile(c.reportFile, deps.log) : undefined;
  let timer: NodeJS.Timeout | undefined;
  const safeReport = () => {
    try {
      return comparison.report();
    } catch (err) {
      deps.log.warn('compare-report-failed', { message: err instanceof Error ? err.message : String(err) });
      return undefined;
    }
  };
  deps.log.info('compare', {
    destinations: destinations.map((d) => `${d.name}(${d.role})`).join(','),
    sample_percent: c.samplePercent,
    max_body: c.maxBodyBytes,
    report: c.reportFile,
  });

  return {
    comparison,
    httpOptions: (name) => ({
      // One byte over the cap tells "exactly the cap" from "cut at the cap" (body_too_large).
      responseBufferBytes: c.maxBodyBytes + 1,
      onResponse: (resp) => comparison.answer(name, resp),
      onCopyFailed: (req, kind) => comparison.failed(name, req.id, kind),
    }),
    wrap(output) {
      if (!comparison.isCompared(output.name)) return output;
      return {
        name: output.name,
        wants: (msg: Message) => output.wants(msg),
        close: (graceMs: number) => output.close(graceMs),
        offer(msg: Message) {
          if (msg.type !== 'request' || !comparison.sampled(msg.id)) return output.offer(msg);
          // Awaited before the copy can be answered (the output starts it in a later microtask).
          const r = output.offer(msg);
          if (r.accepted) comparison.expect(output.name, msg);
          else comparison.notSent(output.name, r.reason);
          return r;
        },
      };
    },
    production: (msg) => comparison.production(msg),
    startReporting(intervalMs) {
      if (!file || timer) return;
      timer = setInterval(() => {
        const r = safeReport();
        if (r) file.write(r);
      }, intervalMs);
      timer.unref();
    },
    close() {
      if (timer) clearInterval(timer);
      comparison.close();
      const r = file ? safeReport() : undefined;
      if (r) file!.writeNow(r);
    },
  };
}
