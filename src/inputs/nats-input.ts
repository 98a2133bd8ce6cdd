/**
 * --input-nats: replay records from a JetStream stream through a durable pull consumer. Every
 * replayer started with the same --input-nats-consumer shares it, so the broker hands each
 * record to one of them (work-queue semantics) and replayers can join or leave at any time.
 *
 * A record is acked only once the outputs are done with its copy: a batch is acked when every
 * copy handed to the outputs is mirrored, dropped or failed (counted), not merely queued. A
 * replayer that dies leaves its unacked records to be redelivered (after the consumer's ack
 * wait) to the others: at least once, and every redelivery is counted (`redelivered`).
 *
 * Rate control, per replayer: the original timing at a speed factor (`traffic|200%`, as
 * --input-file), or a fixed rate (`traffic|500`: 500 records/s from EACH replayer; a fleet of
 * k replayers sends k × 500). Fixed per replayer because a replayer can't know how many others
 * are running; divide the target by the fleet size.
 */
import { UsageError } from '../core/errors.js';
import type { Message } from '../core/message.js';
import { waitUnlessWoken, wakeAll } from '../core/wait.js';
import { AnswerFraming } from '../gor/records.js';
import { RateLimitedLog, type Logger } from '../telemetry/logger.js';
import { TAP, type Stats } from '../telemetry/stats.js';
import { classifyConnectError, authUsageError, connectionOptions, describeServers, loadNats, watchStatus, type NatsConnection } from '../nats/connect.js';
import { recordFromMessage } from '../nats/records.js';
import { isNotARecord } from '../nats/compare-summary.js';
import type { NatsInputSettings, NatsStartPoint } from '../nats/settings.js';

type JsMsg = import('@nats-io/jetstream').JsMsg;
type Consumer = import('@nats-io/jetstream').Consumer;

export interface NatsInputDeps {
  emit(msg: Message): void;
  readonly stats: Stats;
  readonly log: Logger;
  /** Also emit type 2/3 records (responses); by default they are acked, skipped and counted. */
  readonly includeResponses?: boolean;
  /**
   * Copies handed to the outputs and not yet mirrored, dropped or failed. Acks wait for 0,
   * which is also our backpressure: a batch (at most --input-nats-batch records, under every
   * output's queue bound) is only followed by the next once the outputs are done with it.
   */
  outstanding?(): number;
}

export interface NatsInputResult {
  /** Records received (every type, redeliveries included). */
  records: number;
  /** Requests emitted. */
  requests: number;
  /** Records acked without being emitted: malformed, unparsable HTTP, or responses. */
  skipped: number;
  /** Records the broker had delivered before (to a replayer that died or was too slow). */
  redelivered: number;
  /** Comparison summaries (Td-Kind header) met and skipped, part of `skipped`. */
  summaries: number;
}

export interface NatsInput {
  run(): Promise<NatsInputResult>;
  stop(): void;
}

/** A record held by pacing is kept alive (`working`) every third of the ack wait. */
const KEEPALIVE_FRACTION = 3;

const clamp = (n: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, n));

/** Waits for `p` at most `ms` (errors ignored): for clean-up that must not hang. */
async function withinMs(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => {}), new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

/**
 * Connects, checks the stream, finds or creates the durable consumer. Refuses to start (a
 * UsageError naming the flag) when the broker can't be reached or refuses the credentials,
 * or the stream is missing: a replayer has nothing to do without its log.
 */
export async function openNatsInput(settings: NatsInputSettings, deps: NatsInputDeps): Promise<NatsInput> {
  const conn = settings.connection!;
  const { core, js } = await loadNats();
  let nc: NatsConnection;
  try {
    nc = await core.connect({ ...connectionOptions(core, conn, settings.auth, `traffic-duplicator replayer ${settings.consumer}`), maxReconnectAttempts: -1, reconnectTimeWait: 1000, timeout: 5000, noAsyncTraces: true });
  } catch (err) {
    if (classifyConnectError(err) === 'auth') throw authUsageError(conn, err);
    throw new UsageError('TD_BAD_VALUE', `${conn.flag} ${describeServers(conn)}: cannot reach the broker (${(err as Error).message})`, 'check the URL and that the server is up; a replayer does not start without its stream');
  }
  try {
    const jsm = await js.jetstreamManager(nc, { timeout: 5000 });
    let last: number;
    try {
      last = (await jsm.streams.info(settings.stream)).state.last_seq;
    } catch (err) {
      if (err instanceof js.JetStreamApiError && err.code === js.JetStreamApiCodes.StreamNotFound) {
        throw new UsageError('TD_BAD_VALUE', `--input-nats-stream ${settings.stream}: no such stream on ${describeServers(conn)}`, 'name the stream the instances publish to (--output-nats-stream, default traffic)');
      }
      throw err;
    }
    await ensureConsumer(js, jsm, settings);
    const consumer = await js.jetstream(nc).consumers.get(settings.stream, settings.consumer);
    deps.log.info('input-nats-start', { stream: settings.stream, consumer: settings.consumer, servers: describeServers(conn), stream_last_seq: last, stop_at_end: settings.stopAtEnd || undefined, ...rateFields(settings) });
    watchStatus(nc, deps.log, { input: settings.stream }, () => {});
    return new NatsReplay(nc, consumer, settings, deps, last);
  } catch (err) {
    await nc.close().catch(() => {});
    throw err;
  }
}

function rateFields(s: NatsInputSettings): Record<string, number> {
  return s.rate.kind === 'speed' ? { speed_percent: s.rate.percent } : { rate_per_second: s.rate.n };
}

async function ensureConsumer(js: typeof import('@nats-io/jetstream'), jsm: import('@nats-io/jetstream').JetStreamManager, s: NatsInputSettings): Promise<void> {
  try {
    await jsm.consumers.info(s.stream, s.consumer);
    return;
  } catch (err) {
    if (!(err instanceof js.JetStreamApiError && err.code === js.JetStreamApiCodes.ConsumerNotFound)) throw err;
  }
  try {
    await jsm.consumers.add(s.stream, {
      durable_name: s.consumer,
      ack_policy: js.AckPolicy.Explicit,
      ack_wait: s.ackWaitMs * 1_000_000,
      max_ack_pending: 20_000,
      ...deliverPolicy(js, s.start),
    });
  } catch (err) {
    // Replayers started together race to create it: the first wins, the rest use it.
    try {
      await jsm.consumers.info(s.stream, s.consumer);
    } catch {
      throw err;
    }
  }
}

function deliverPolicy(js: typeof import('@nats-io/jetstream'), start: NatsStartPoint) {
  switch (start.kind) {
    case 'all':
      return { deliver_policy: js.DeliverPolicy.All };
    case 'new':
      return { deliver_policy: js.DeliverPolicy.New };
    case 'sequence':
      return { deliver_policy: js.DeliverPolicy.StartSequence, opt_start_seq: start.seq };
    case 'time':
      return { deliver_policy: js.DeliverPolicy.StartTime, opt_start_time: start.at.toISOString() };
  }
}

class NatsReplay implements NatsInput {
  #stopped = false;
  /** Whoever waits on something stop() must cut short (a sleep, a fetch): called on stop. */
  readonly #onStop = new Set<() => void>();
  #iter: { stop(): void } | undefined;
  readonly #warn: RateLimitedLog;
  /** Pacing: the first record's timestamp and when it went out. */
  #baseTs: bigint | undefined;
  #baseWall = 0;
  #sent = 0;
  /** HEAD/CONNECT request ids read, so their recorded answers parse (no body after HEAD). */
  readonly #answers = new AnswerFraming();
  /** When the first and the last request went to the outputs (the replay's own measure of its rate). */
  #firstEmit: number | undefined;
  #lastEmit = 0;
  /** Records of the current batch received and not yet handled. */
  #arrived: JsMsg[] = [];
  /** Records of the current batch handed to the outputs and not yet acked. */
  #held: JsMsg[] = [];
  /**
   * When the current batch was last kept alive (working()). The broker redelivers a record
   * not acked within the ack wait, to another replayer, so the batch is touched every third
   * of it across all the waits it lives through (pacing is many short waits), not per wait.
   */
  #lastTouch = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly consumer: Consumer,
    private readonly s: NatsInputSettings,
    private readonly deps: NatsInputDeps,
    /** The stream's last sequence at start-up: --input-nats-stop-at-end stops after it. */
    private readonly endSeq: number,
  ) {
    this.#warn = new RateLimitedLog(deps.log, 1000);
  }

  stop(): void {
    this.#stopped = true;
    this.#iter?.stop();
    wakeAll(this.#onStop);
  }

  async run(): Promise<NatsInputResult> {
    const total: NatsInputResult = { records: 0, requests: 0, skipped: 0, redelivered: 0, summaries: 0 };
    let batch = this.#initialBatch();
    let reachedEnd = false;
    try {
      while (!this.#stopped && !reachedEnd) {
        let got = 0;
        const started = performance.now();
        try {
          const iter = await this.#unlessStopped(this.consumer.fetch({ max_messages: batch, expires: 1000 }));
          if (!iter) break;
          this.#iter = iter;
          this.#held = [];
          // The fetch drops what it buffered once its pull request expires, so it is read
          // into #arrived at once, and pacing works from there (records are still handled as
          // they arrive: a half-full batch at the stream's end costs no wait).
          this.#arrived = [];
          this.#lastTouch = performance.now(); // delivered just now
          let fetched = false;
          let wake: (() => void) | undefined;
          const reader = (async () => {
            try {
              for await (const m of iter) {
                this.#arrived.push(m);
                wake?.();
              }
            } finally {
              fetched = true;
              wake?.();
            }
          })();
          for (;;) {
            const m = this.#arrived.shift();
            if (!m) {
              if (fetched || this.#stopped) break;
              await this.#unlessStopped(new Promise<void>((r) => (wake = r)));
              wake = undefined;
              continue;
            }
            got++;
            if (this.#stopped || reachedEnd || (this.s.stopAtEnd && m.info.streamSequence > this.endSeq)) {
              // Not ours to replay (stopping, or past the end): straight back to the others.
              m.nak();
              if (!this.#stopped) reachedEnd = true;
              continue;
            }
            total.records++;
            if (m.info.deliveryCount > 1) total.redelivered++;
            if ((await this.#replayOne(m, total)) === 'stopped') {
              m.nak();
              continue;
            }
            this.#held.push(m);
          }
          if (this.#stopped) iter.stop();
          await this.#unlessStopped(reader);
          this.#iter = undefined;
          await this.#ackWhenDelivered();
        } catch (err) {
          if (this.#stopped) break;
          this.#warn.warn('fetch', 'input-nats-fetch-failed', { stream: this.s.stream, error: (err as Error).message });
          await this.#sleep(500);
          continue;
        }
        if (got === 0) {
          if (this.s.stopAtEnd && (await this.#unlessStopped(this.#atEnd()))) break;
          continue;
        }
        batch = this.#nextBatch(batch, got, performance.now() - started);
      }
    } finally {
      await this.#ackWhenDelivered(5000).catch(() => {});
      // Acks are fire-and-forget: flush them before we go, or they'd be redelivered. Bounded:
      // with the broker gone, a flush would wait for ever.
      await withinMs(this.nc.flush(), 2000);
      await withinMs(this.nc.close(), 2000);
    }
    const spanMs = this.#firstEmit === undefined ? 0 : this.#lastEmit - this.#firstEmit;
    this.deps.log.info('input-nats-done', {
      stream: this.s.stream,
      consumer: this.s.consumer,
      ...total,
      duration_ms: Math.round(spanMs),
      // Requests per second between the first and the last one sent.
      rate_per_s: total.requests > 1 && spanMs > 0 ? Number(((total.requests - 1) / (spanMs / 1000)).toFixed(1)) : undefined,
    });
    return total;
  }

  /**
   * The last record of a batch waits for all the pacing before it; it must still be acked
   * within the ack wait, or the broker gives it to another replayer (a duplicate). So a batch
   * holds at most half an ack wait's worth of records, by the rate (fixed) or as measured.
   */
  #initialBatch(): number {
    if (this.s.rate.kind === 'per-second') return clamp(Math.floor((this.s.rate.n * this.s.ackWaitMs) / 2000), 1, this.s.batch);
    return Math.min(10, this.s.batch);
  }

  #nextBatch(batch: number, got: number, ms: number): number {
    if (this.s.rate.kind === 'per-second') return batch;
    const perRecord = ms / got;
    const fits = perRecord > 0 ? Math.floor(this.s.ackWaitMs / 2 / perRecord) : this.s.batch;
    // Grow gently (a quiet period in the original timing may follow), shrink at once.
    return clamp(Math.min(fits, batch * 2), 1, this.s.batch);
  }

  /** Sleeps `ms`, or less if stop() is called. */
  async #sleep(ms: number): Promise<void> {
    await waitUnlessWoken(ms, this.#onStop);
  }

  /** `p`'s value, or undefined as soon as stop() is called (a fetch may hang while the broker is gone). */
  #unlessStopped<T>(p: Promise<T>): Promise<T | undefined> {
    if (this.#stopped) return Promise.resolve(undefined);
    return new Promise<T | undefined>((resolve, reject) => {
      const done = () => {
        this.#onStop.delete(done);
        resolve(undefined);
      };
      this.#onStop.add(done);
      p.then(
        (v) => {
          this.#onStop.delete(done);
          resolve(v);
        },
        (e: unknown) => {
          this.#onStop.delete(done);
          reject(e);
        },
      );
    });
  }

  async #atEnd(): Promise<boolean> {
    try {
      const ci = await this.consumer.info(false);
      // Records another replayer holds (num_ack_pending) may still come back if it dies.
      return ci.num_pending === 0 && ci.num_ack_pending === 0 && ci.delivered.stream_seq >= this.endSeq;
    } catch {
      return false;
    }
  }

  /** Paces, parses and emits one record. */
  async #replayOne(m: JsMsg, total: NatsInputResult): Promise<'ok' | 'stopped'> {
    // A comparison summary (nats/compare-summary.ts) shares the stream: never a copy to send.
    if (isNotARecord((name) => m.headers?.get(name) ?? '')) {
      total.skipped++;
      total.summaries++;
      return 'ok';
    }
    const parsed = recordFromMessage((name) => m.headers?.get(name) ?? '', m.data);
    if (!parsed.ok) {
      total.skipped++;
      this.deps.stats.error(TAP, 'input_nats_malformed');
      this.#warn.warn('malformed', 'input-nats-malformed', { stream: this.s.stream, seq: m.seq, error: parsed.error });
      return 'ok';
    }
    const rec = parsed.record;
    if ((await this.#wait(m, this.#delayFor(rec.timestampNs))) === 'stopped') return 'stopped';
    this.#sent++;
    if (rec.type !== '1' && !this.deps.includeResponses) {
      total.skipped++;
      return 'ok';
    }
    const msg = this.#answers.parse(rec);
    if (!msg.ok) {
      total.skipped++;
      this.deps.stats.error(TAP, 'input_nats_bad_http');
      this.#warn.warn('badhttp', 'input-nats-skip', { stream: this.s.stream, id: rec.id, error: msg.error });
      return 'ok';
    }
    if (rec.type === '1') total.requests++;
    const t = performance.now();
    this.#firstEmit ??= t;
    this.#lastEmit = t;
    try {
      this.deps.emit(msg.message);
    } catch (err) {
      this.deps.stats.error(TAP, 'mirror_error');
      this.#warn.warn('emit', 'input-nats-emit-error', { error: (err as Error).message });
    }
    return 'ok';
  }

  /** Sleeps `ms` (stop wakes it), telling the broker we are working on `m` so it is not redelivered. */
  async #wait(m: JsMsg, ms: number): Promise<'ok' | 'stopped'> {
    const until = performance.now() + ms;
    const slice = Math.max(10, Math.min(1000, this.s.ackWaitMs / KEEPALIVE_FRACTION / 2));
    for (;;) {
      if (this.#stopped) return 'stopped';
      this.#keepAlive(m);
      const left = until - performance.now();
      if (left <= 0) return 'ok';
      await this.#sleep(Math.min(left, slice));
    }
  }

  /** Tells the broker the batch (and `current`, being paced) is still being worked on, when a third of the ack wait has passed. */
  #keepAlive(current?: JsMsg): void {
    const now = performance.now();
    if (now - this.#lastTouch <= this.s.ackWaitMs / KEEPALIVE_FRACTION) return;
    current?.working();
    for (const h of this.#held) h.working();
    for (const a of this.#arrived) a.working();
    this.#lastTouch = now;
  }

  /**
   * Acks the batch once the outputs have finished with every copy handed to them (each
   * destination's seen = mirrored + dropped + errors): a replayer killed before that leaves
   * the batch to be redelivered, so nothing it was still sending is lost.
   */
  async #ackWhenDelivered(maxMs = Infinity): Promise<void> {
    const held = this.#held;
    if (held.length === 0) return;
    const until = performance.now() + maxMs;
    while ((this.deps.outstanding?.() ?? 0) > 0 && performance.now() < until) {
      this.#keepAlive();
      await new Promise((r) => setTimeout(r, 2));
    }
    for (const m of held) m.ack();
    this.#held = [];
  }

  /** ms to wait before sending the next record, by the rate settings. */
  #delayFor(ts: bigint): number {
    const now = performance.now();
    if (this.#baseTs === undefined) {
      this.#baseTs = ts;
      this.#baseWall = now;
      return 0;
    }
    const target =
      this.s.rate.kind === 'per-second'
        ? this.#baseWall + (this.#sent * 1000) / this.s.rate.n
        : ts < this.#baseTs
          ? now
          : this.#baseWall + Number(ts - this.#baseTs) / 1e6 / (this.s.rate.percent / 100);
    return target - now;
  }
}
