/**
 * The fleet view of comparisons: an instance running --compare with --output-nats publishes its
 * comparison report (the CompareReport JSON) to the same stream, every stats interval and at
 * exit, so `traffic-duplicator report --input-nats ...` can merge every instance's latest one.
 *
 * A summary is told from a record two ways, both deliberate:
 * - its own subject, `<record subject>.compare.<instance>` (inside the default stream subjects `traffic.>`),
 *   so a reader asks the stream for the last message of each subject and gets every instance's
 *   latest summary without reading the records;
 * - a `Td-Kind: compare-summary` header, so a replayer or nats-export reading the whole stream
 *   skips it (it is not a .gor record and must never reach a shadow).
 * No client code here: the NATS clients stay lazy (nats/connect.ts).
 */
import type { CompareReport } from '../compare/types.js';
import { RateLimitedLog, type Logger } from '../telemetry/logger.js';
import type { NatsPublisher } from '../outputs/nats-output.js';
import { subjectToken } from './records.js';

export const KIND_HEADER = 'Td-Kind';
export const COMPARE_SUMMARY = 'compare-summary';
/** The summary subject's last token. */
export const SUMMARY_TOKEN = 'compare';

/**
 * `<record subject>.compare.<instance>`: the instance is in it even though the default record
 * subject already names it, because instances may share one --output-nats-subject and each
 * must keep its own latest summary.
 */
export function summarySubject(recordSubject: string, instance: string): string {
  return `${recordSubject}.${SUMMARY_TOKEN}.${subjectToken(instance)}`;
}

/** Whether a stream subject is a summary subject (its next-to-last token is `compare`). */
export function isSummarySubject(subject: string): boolean {
  const t = subject.split('.');
  return t.length >= 3 && t[t.length - 2] === SUMMARY_TOKEN;
}

/** A message that is not a record (a summary, or a kind a later version adds): replayers skip it. */
export function isNotARecord(get: (name: string) => string): boolean {
  return get(KIND_HEADER) !== '';
}

/**
 * The JSON of a report, small enough for one message: samples are dropped (the fewest first
 * kept) until it fits `maxBytes` (the server's max_payload, 1 MB by default). Counts are never cut.
 */
export function encodeSummary(report: CompareReport, maxBytes: number): Uint8Array | undefined {
  for (const keep of [3, 1, 0]) {
    const r = keep === 3 ? report : withSamples(report, keep);
    const bytes = Buffer.from(JSON.stringify(r));
    if (bytes.length <= maxBytes) return bytes;
  }
  return undefined;
}

function withSamples(r: CompareReport, keep: number): CompareReport {
  return {
    ...r,
    destinations: r.destinations.map((d) => ({
      ...d,
      endpoints: d.endpoints.map((e) => ({ ...e, fields: e.fields.map((f) => ({ ...f, samples: f.samples.slice(0, keep) })) })),
    })),
  };
}

export interface SummaryPublisher {
  /** At exit: publishes the final report, then closes the connection, within `budgetMs` (at least 1 s). */
  final(report: CompareReport | undefined, budgetMs: number): Promise<void>;
}

/**
 * Publishes `report()` every `intervalMs` (unref'd; skipped while the previous publish is still
 * out) and the final one at exit. Off the critical path: failures are logged, rate-limited,
 * and the next interval tries again. The publisher's connection is held open (holdConnection)
 * so the final summary, taken after the outputs closed, can still go out.
 */
export function startSummaryPublisher(pub: NatsPublisher, report: () => CompareReport | undefined, intervalMs: number, log: Logger): SummaryPublisher {
  pub.holdConnection = true;
  const subject = summarySubject(pub.subject, pub.instance);
  const warn = new RateLimitedLog(log, 60_000);
  let busy = false;
  let published = 0;
  const publish = async (r: CompareReport | undefined): Promise<void> => {
    const js = pub.js;
    const nc = pub.nc;
    if (!r || !js || !nc || nc.isClosed()) return;
    try {
      const bytes = encodeSummary(r, nc.info?.max_payload ?? 1024 * 1024);
      if (!bytes) {
        warn.warn('size', 'compare-summary-dropped', { reason: 'too_large', subject });
        return;
      }
      const h = pub.core.headers();
      h.set(KIND_HEADER, COMPARE_SUMMARY);
      h.set('Td-Instance', pub.instance);
      await js.publish(subject, bytes, { headers: h, timeout: pub.settings.timeoutMs });
      if (published++ === 0) log.info('compare-summary-published', { subject, bytes: bytes.length });
    } catch (err) {
      warn.warn('pub', 'compare-summary-failed', { subject, error: (err as Error).message, note: 'the stream must take this subject (default stream subjects: traffic.>)' });
    }
  };
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    let r: CompareReport | undefined;
    try {
      r = report();
    } catch {
      r = undefined;
    }
    void publish(r).finally(() => (busy = false));
  }, intervalMs);
  timer.unref();
  return {
    async final(r, budgetMs) {
      clearInterval(timer);
      const until = Date.now() + Math.max(1000, budgetMs);
      await withTimeout(publish(r), Math.min(pub.settings.timeoutMs, until - Date.now()));
      const nc = pub.nc;
      if (nc) await withTimeout(nc.close().catch(() => {}), Math.max(200, Math.min(2000, until - Date.now())));
    },
  };
}

async function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  let t: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise((r) => (t = setTimeout(r, ms)))]);
  clearTimeout(t);
}
