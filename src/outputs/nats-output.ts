/**
 * --output-nats: every copy published to a NATS JetStream stream, one message per .gor record
 * (payload = the record's payload, meta fields as headers; see nats/records.ts).
 *
 * Production first: offer() only starts an asynchronous publish and returns. What bounds us
 * is a window of accepted-but-unacknowledged copies (count and bytes): when the broker is
 * slow the window fills and copies are dropped `broker_slow`; while we are not connected they
 * are dropped `broker_unavailable` (after a 2 s grace that covers a fail-over to another node).
 * The client reconnects on its own, for ever, and we log it.
 *
 * Once the broker acks a publish the record is in the (replicated) log: that is the guarantee
 * (at-least-once into the log; JetStream's de-duplication by message id makes a retried publish
 * land once). A publish that fails or is not acked within --output-nats-timeout is retried,
 * with backoff, until it is 3 timeouts old, then counted as an error. When close() begins, an
 * attempt still awaiting its ack is made again at once under the same id, so a copy whose ack
 * was lost is counted delivered within the close's grace instead of `shutdown`.
 *
 * Built on the shared output base (outputs/queued-output.ts: seen, refusals, close and its
 * `shutdown` leftovers, settlement), like every output. The base's queue holds a copy only
 * until the next turn's batch publishes it; from then until the ack it is in flight.
 * admit() bounds the two together (the window above), so the refusal is `broker_slow`, not
 * `queue_full`: a full window means the broker is not keeping up.
 */
import { hostname } from 'node:os';
import type { Message } from '../core/message.js';
import type { Output } from '../core/output.js';
import { UsageError } from '../core/errors.js';
import type { GorRecord } from '../gor/codec.js';
import { messageToRecord } from '../gor/records.js';
import type { Logger } from '../telemetry/logger.js';
import {
  authUsageError,
  classifyConnectError,
  connectionOptions,
  describeServers,
  loadNats,
  watchStatus,
  type NatsConnection,
  type NatsCore,
  type NatsJs,
} from '../nats/connect.js';
import { instanceName, messageId, recordHeaders, subjectMatches, subjectToken } from '../nats/records.js';
import type { NatsConnectionSettings, NatsOutputSettings } from '../nats/settings.js';
import { errorText } from './error-text.js';
import { QueuedOutput, type Admission, type QueuedOutputDeps } from './queued-output.js';

/** A copy is retried until it is this many --output-nats-timeout old (15 s by default). */
const RETRY_WINDOW_FACTOR = 3;
/**
 * Disconnected for less than this, copies are still accepted, bounded by our window, while
 * the client reconnects to another server of the cluster (well under a second). The client
 * drops what it buffered when it reconnects, so every attempt still awaiting its ack is
 * published again then, under its message id (stored once). Disconnected longer, copies are
 * dropped `broker_unavailable` instead of filling the window.
 */
const DOWN_GRACE_MS = 2000;
/** What a publish attempt still awaiting its ack settles as when it is to be made again at once (close() begins, or the connection came back). */
const ASK_AGAIN = Symbol('ask again');

/** The connected side of the output, opened before anything else starts (so errors exit 2). */
export interface NatsPublisher {
  readonly settings: NatsOutputSettings;
  readonly connection: NatsConnectionSettings;
  readonly subject: string;
  readonly instance: string;
  readonly core: NatsCore;
  /** Undefined until the first connection (the broker was down at start). */
  nc: NatsConnection | undefined;
  js: import('@nats-io/jetstream').JetStreamClient | undefined;
  /** Called when the background connect succeeds. */
  onConnected?: () => void;
  /** Closes a connection that is still being attempted. */
  abort(): void;
  /**
   * Set by the compare-summary publisher (nats/compare-summary.ts): the output leaves the
   * connection open at close, for the final summary taken after the outputs closed; that
   * publisher closes it.
   */
  holdConnection?: boolean;
}

/** The subjects a new stream is created with: `traffic.web-1` → `traffic.>`. */
export function streamSubjectsFor(subject: string): string[] {
  const tokens = subject.split('.');
  return tokens.length >= 2 ? [[...tokens.slice(0, -1), '>'].join('.')] : [subject];
}

/**
 * Connects and checks (or creates) the stream. Decisions at start-up:
 * - credentials refused, stream missing without --output-nats-create, subject outside the
 *   stream → UsageError naming the flag (exit 2, the app is not started);
 * - broker unreachable → start anyway (production first: the app must not depend on the
 *   log), copies are dropped `broker_unavailable` and the stream is checked once connected.
 */
export async function openNatsPublisher(settings: NatsOutputSettings, deps: { log: Logger; env?: NodeJS.ProcessEnv }): Promise<NatsPublisher> {
  const conn = settings.connection!;
  const env = deps.env ?? process.env;
  const instance = instanceName(env, hostname());
  const subject = settings.subject ?? `traffic.${subjectToken(instance)}`;
  const { core, js } = await loadNats();
  const base = {
    ...connectionOptions(core, conn, settings.auth, `traffic-duplicator ${instance}`),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    reconnectJitter: 200,
    timeout: 3000,
    // What is published while disconnected waits in the client's buffer, bounded by our
    // window (max pending copies and bytes; offer() refuses after DOWN_GRACE_MS down). The
    // client drops that buffer when it reconnects: NatsOutput publishes those copies again.
    pingInterval: 10_000,
    maxPingOut: 2,
    // An Error (with its stack) per request just in case it times out costs more CPU than the
    // publish itself; our logs say what failed without the client's async traces.
    noAsyncTraces: true,
  };
  let aborted = false;
  const pub: NatsPublisher = {
    settings,
    connection: conn,
    subject,
    instance,
    core,
    nc: undefined,
    js: undefined,
    abort: () => {
      aborted = true;
    },
  };
  const labels = { dest: outputName(conn, settings.stream) };
  try {
    pub.nc = await core.connect(base);
  } catch (err) {
    if (classifyConnectError(err) === 'auth') throw authUsageError(conn, err);
    deps.log.warn('nats-unreachable', {
      ...labels,
      error: (err as Error).message,
      note: 'starting anyway: copies are dropped (broker_unavailable) until the broker answers',
    });
  }
  if (pub.nc) {
    await ensureStream(js, pub.nc, settings, subject, conn);
    pub.js = js.jetstream(pub.nc);
    return pub;
  }
  // Keep trying in the background, for ever (the relay is already serving).
  void (async () => {
    let delay = 1000;
    while (!aborted) {
      try {
        const nc = await core.connect(base);
        if (aborted) {
          await nc.close();
          return;
        }
        try {
          await ensureStream(js, nc, settings, subject, conn);
        } catch (err) {
          deps.log.error('nats-stream-problem', { ...labels, error: (err as Error).message, note: 'copies fail until the stream exists' });
        }
        pub.nc = nc;
        pub.js = js.jetstream(nc);
        deps.log.info('nats-connected', { ...labels, server: nc.getServer() });
        pub.onConnected?.();
        return;
      } catch (err) {
        if (classifyConnectError(err) === 'auth') {
          deps.log.error('nats-auth-refused', { ...labels, error: (err as Error).message, note: `fix the credentials of ${conn.flag}` });
        }
        await new Promise((r) => setTimeout(r, delay).unref());
        delay = Math.min(delay * 2, 10_000);
      }
    }
  })();
  return pub;
}

async function ensureStream(js: NatsJs, nc: NatsConnection, settings: NatsOutputSettings, subject: string, conn: NatsConnectionSettings): Promise<void> {
  let jsm: import('@nats-io/jetstream').JetStreamManager;
  try {
    jsm = await js.jetstreamManager(nc, { timeout: 5000 });
  } catch (err) {
    throw new UsageError('TD_BAD_VALUE', `${conn.flag} ${describeServers(conn)}: JetStream is not available (${(err as Error).message})`, 'enable JetStream on the server (nats-server -js, or jetstream {} in its config)');
  }
  const notFound = (err: unknown) => err instanceof js.JetStreamApiError && err.code === js.JetStreamApiCodes.StreamNotFound;
  let info: import('@nats-io/jetstream').StreamInfo;
  try {
    info = await jsm.streams.info(settings.stream);
  } catch (err) {
    if (!notFound(err)) throw err;
    if (!settings.create) {
      await nc.close().catch(() => {});
      throw new UsageError(
        'TD_BAD_VALUE',
        `--output-nats-stream ${settings.stream}: no such stream on ${describeServers(conn)}`,
        `create it (nats stream add ${settings.stream} --subjects '${streamSubjectsFor(subject)[0]}' --replicas 3), or pass --output-nats-create`,
      );
    }
    try {
      info = await jsm.streams.add({
        name: settings.stream,
        subjects: streamSubjectsFor(subject),
        storage: js.StorageType.File,
        num_replicas: settings.replicas,
        max_age: settings.maxAgeMs * 1_000_000,
        max_bytes: settings.maxBytes > 0 ? settings.maxBytes : -1,
        discard: js.DiscardPolicy.Old,
        duplicate_window: 2 * 60 * 1_000_000_000,
      });
    } catch (addErr) {
      // Several instances start at once: another one may have created it in between.
      try {
        info = await jsm.streams.info(settings.stream);
      } catch {
        throw new UsageError('TD_BAD_VALUE', `--output-nats-create: could not create stream ${settings.stream}: ${(addErr as Error).message}`, 'check the replicas against the cluster size and the account limits');
      }
    }
  }
  if (!info.config.subjects?.some((p) => subjectMatches(p, subject))) {
    await nc.close().catch(() => {});
    throw new UsageError(
      'TD_BAD_VALUE',
      `--output-nats-subject ${subject}: stream ${settings.stream} does not take it (its subjects: ${(info.config.subjects ?? []).join(', ') || 'none'})`,
      `publish on a subject the stream has, or add '${streamSubjectsFor(subject)[0]}' to the stream`,
    );
  }
}

/** `dest=` in logs and stats: the servers and the stream, never credentials. */
export function outputName(conn: NatsConnectionSettings, stream: string): string {
  return `nats://${conn.servers[0]}${conn.servers.length > 1 ? `+${conn.servers.length - 1}` : ''}/${stream}`;
}

/** A copy on its way to the broker: queued for the next turn's batch, then published until acked. */
interface Copy {
  readonly rec: GorRecord;
  readonly bytes: number;
  readonly offeredAt: number;
}

export interface NatsOutputDeps extends QueuedOutputDeps {
  /** Publish the app's responses (type 2) too, not only the requests. */
  readonly responses?: boolean;
}

export function createNatsOutput(pub: NatsPublisher, deps: NatsOutputDeps): Output & { readonly pending: number } {
  return new NatsOutput(pub, deps);
}

class NatsOutput extends QueuedOutput<Copy> {
  readonly #pub: NatsPublisher;
  readonly #responses: boolean;
  /** Bytes of the copies taken from the queue and not settled yet (the queued ones are queuedBytes). */
  #publishingBytes = 0;
  #up = false;
  /** When the connection was lost (performance.now()). */
  #downSince = 0;
  #batchScheduled = false;
  /** One per publish attempt awaiting its ack: close() and a reconnect call them to ask again at once. */
  readonly #askAgain = new Set<() => void>();

  constructor(pub: NatsPublisher, deps: NatsOutputDeps) {
    const s = pub.settings;
    // admit() bounds the whole window (queued + awaiting acks) by --output-nats-max-pending
    // and -bytes, and lets one copy larger than the byte bound through an empty window; the
    // queue's own byte bound would refuse that copy, so it is left out of the way.
    super(outputName(pub.connection, s.stream), { maxItems: s.maxPending, maxBytes: Number.MAX_SAFE_INTEGER }, deps);
    this.#pub = pub;
    this.#responses = deps.responses === true;
    // The window the flags bound; in_flight alone is what the broker has not acked yet.
    deps.stats.gauge(this.name, 'unacked', () => this.pending);
    if (pub.nc) this.#attach(pub.nc);
    else pub.onConnected = () => pub.nc && this.#attach(pub.nc);
  }

  /** Copies accepted and not settled: queued for this turn's batch, or awaiting the broker's ack. */
  get pending(): number {
    return this.queueDepth + this.inFlight;
  }

  #attach(nc: NatsConnection): void {
    this.#up = !nc.isClosed();
    const setUp = (up: boolean) => {
      if (this.#up && !up) this.#downSince = performance.now();
      const back = !this.#up && up;
      this.#up = up;
      // What was published while down was dropped from the client's buffer at the reconnect:
      // publish those attempts again now rather than after their whole --output-nats-timeout
      // (a sub-second failover otherwise filled the window and cost seconds of broker_slow).
      if (back) this.#askAllAgain();
    };
    watchStatus(nc, this.log, { dest: this.name }, setUp);
    void nc.closed().then(() => {
      setUp(false);
      this.#downSince = -Infinity; // closed for good: drop at once
    });
  }

  wants(msg: Message): boolean {
    return msg.type === 'request' || (msg.type === 'response' && this.#responses);
  }

  protected admit(msg: Message): Admission<Copy> {
    if (!this.#pub.js || (!this.#up && performance.now() - this.#downSince > DOWN_GRACE_MS)) return 'broker_unavailable';
    const rec = messageToRecord(msg);
    const bytes = rec.payload.length;
    const s = this.#pub.settings;
    const window = this.pending;
    if (window >= s.maxPending || (this.queuedBytes + this.#publishingBytes + bytes > s.maxPendingBytes && window > 0)) return 'broker_slow';
    return { item: { rec, bytes, offeredAt: performance.now() }, size: bytes };
  }

  protected pump(): void {
    // Publish on the next turn, together with every copy offered in this one: the client
    // then writes them to its socket in one go instead of one write per copy.
    if (this.#batchScheduled) return;
    this.#batchScheduled = true;
    setImmediate(() => {
      this.#batchScheduled = false;
      for (let c = this.take(); c !== undefined; c = this.take()) {
        // A bug here leaves the copy in flight: logged now, counted `shutdown` at close.
        this.#publish(c).catch((err: unknown) => this.rlog.error('bug:publish', 'mirror-error', { dest: this.name, kind: 'mirror_error', where: 'publish', message: errorText(err) }));
      }
    });
  }

  override close(graceMs: number): Promise<void> {
    this.#askAllAgain();
    return super.close(graceMs);
  }

  /** Every publish attempt still awaiting its ack is made again at once, under its message id. */
  #askAllAgain(): void {
    for (const askAgain of this.#askAgain) askAgain();
  }

  /**
   * The base counted what was still unacked as `shutdown`; the connection is closed unless
   * the compare summary still needs it. Closing flushes, which never ends while the broker
   * is unreachable: the base bounds how long close() waits for it.
   */
  protected override async release(): Promise<void> {
    this.#pub.abort();
    const nc = this.#pub.nc;
    if (nc && !this.#pub.holdConnection) await nc.close();
  }

  /** Publishes one copy until it is acked (delivered) or its retry window is over (failed). */
  async #publish(c: Copy): Promise<void> {
    const { core, settings: s } = this.#pub;
    const h = core.headers();
    for (const [k, v] of recordHeaders(c.rec, this.#pub.instance)) h.set(k, v);
    // Retried (same message id: stored once) until the retry window closes: a cluster losing
    // a node answers "no responders" / "jetstream not enabled" for a few seconds while it
    // elects new leaders, and the copies of those seconds should land all the same.
    const deadline = c.offeredAt + RETRY_WINDOW_FACTOR * s.timeoutMs;
    let backoff = 100;
    let lastErr: unknown;
    this.#publishingBytes += c.bytes;
    try {
      // Closing does not stop a retry: close() waits its grace for in-flight copies and
      // counts what is still unpublished then as `shutdown`, not as a broker error.
      while (!this.isClosed) {
        try {
          const attempt = this.#pub.js!.publish(this.#pub.subject, c.rec.payload, { msgID: messageId(c.rec), headers: h, timeout: s.timeoutMs });
          // An attempt still waiting when close() begins may be one whose ack was lost (the
          // broker stored the copy, then a node died before answering), and its timeout can
          // outlast the close's grace. Asked again under the same message id, JetStream
          // answers at once: a duplicate's ack if it has the copy, a new one if it has not.
          // The same after a reconnect, which dropped what the client had not sent. (An
          // attempt made after close() began is simply awaited.)
          if ((this.isOpen ? await this.#untilAskedAgain(attempt) : await attempt) === ASK_AGAIN) {
            attempt.catch(() => {});
            continue;
          }
          return this.delivered(1, performance.now() - c.offeredAt);
        } catch (err) {
          lastErr = err;
          if (performance.now() + backoff >= deadline) break;
          await this.#waitUp(backoff, deadline);
          backoff = Math.min(backoff * 2, 2000);
        }
      }
      // After close the base has counted it `shutdown` and ignores this.
      this.failed(errorKind(lastErr), 1, { id: c.rec.id, error: errorText(lastErr) });
    } finally {
      this.#publishingBytes -= c.bytes;
    }
  }

  /** The attempt's ack, or ASK_AGAIN if close() begins or the connection comes back first. */
  async #untilAskedAgain<T>(attempt: Promise<T>): Promise<T | typeof ASK_AGAIN> {
    let askAgain!: () => void;
    const askedAgain = new Promise<typeof ASK_AGAIN>((resolve) => (askAgain = () => resolve(ASK_AGAIN)));
    this.#askAgain.add(askAgain);
    try {
      return await Promise.race([attempt, askedAgain]);
    } finally {
      this.#askAgain.delete(askAgain);
    }
  }

  /** Sleeps `ms`, and then for as long as we are disconnected (never past `deadline`). */
  async #waitUp(ms: number, deadline: number): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    while (!this.#up && this.isOpen && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }
}

function errorKind(err: unknown): string {
  const e = err as { name?: string; message?: string; code?: number };
  const text = `${e?.name ?? ''} ${e?.message ?? ''}`.toLowerCase();
  if (text.includes('timeout')) return 'broker_timeout';
  if (text.includes('no responders') || text.includes('503')) return 'no_stream_responders';
  if (text.includes('closed') || text.includes('disconnect')) return 'broker_disconnected';
  return 'broker_error';
}
