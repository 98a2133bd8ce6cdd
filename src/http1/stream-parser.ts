import type { Header } from '../core/message.js';
import { BodyCollector } from './body-collector.js';
import { ChunkedDecoder, LengthDecoder, UntilCloseDecoder, type BodyDecoder } from './body-decoder.js';
import type { BodyFraming } from './framing.js';
import { FramingError } from './framing-errors.js';
import { SectionReader } from './section-reader.js';

/** What the owner decides once a head is read: the head itself, its framing, and where its body goes. */
export interface HeadDecision<H> {
  readonly head: H;
  readonly framing: BodyFraming;
  readonly body: BodyCollector;
  /**
   * Also collects the body's bytes as they came, transfer coding included (a chunked body
   * with its size lines, extensions and trailers), for copies sent as production's bytes.
   */
  readonly rawBody?: BodyCollector;
  /** The head's bytes, kept by an owner that attaches them to its message. */
  readonly headBytes?: Buffer;
}

/** After a message: keep parsing, hold the bytes until `resume()`, or stop for good (tunnel). */
export type AfterMessage = 'continue' | 'pause' | 'stop';

export interface StreamHooks<H> {
  /** The first byte of a new message arrived (for timestamps). */
  begin(): void;
  /** Parses the head bytes and decides the framing; throws FramingError. */
  head(bytes: Buffer): HeadDecision<H>;
  /** The message is complete. */
  complete(head: H, body: BodyCollector, trailers: Header[] | undefined, framing: BodyFraming, decision: HeadDecision<H>): AfterMessage;
}

export interface StreamParserOptions {
  maxHeaderBytes: number;
  /** Requests: skip CRLFs between messages (RFC 9112 §2.2). */
  skipLeadingEmptyLines: boolean;
  /** Cap on bytes held while paused (after an Upgrade/CONNECT request, until its answer). */
  maxHeldBytes: number;
  /** Validates the start line as soon as it is complete (see SectionReader). */
  checkStartLine?: (line: string) => void;
}

/**
 * Cuts one direction of an HTTP/1.1 connection into messages: head (SectionReader),
 * then a body decoder chosen by the owner's framing decision. Any split of the stream
 * gives the same messages. It throws FramingError on unframeable bytes; the owner
 * (the tap) catches that and stops mirroring the connection.
 */
export class StreamParser<H> {
  readonly #hooks: StreamHooks<H>;
  readonly #options: StreamParserOptions;
  readonly #headReader: SectionReader;
  #begun = false;
  #current: { decision: HeadDecision<H>; decoder: BodyDecoder } | undefined;
  #mode: 'running' | 'paused' | 'stopped' = 'running';
  #held: Buffer[] = [];
  #heldBytes = 0;

  constructor(hooks: StreamHooks<H>, options: StreamParserOptions) {
    this.#hooks = hooks;
    this.#options = options;
    this.#headReader = new SectionReader(options.maxHeaderBytes, false, options.skipLeadingEmptyLines, options.checkStartLine);
  }

  /** A message has started (its first byte was read) and is not complete yet. */
  get inMessage(): boolean {
    return this.#begun;
  }

  get stopped(): boolean {
    return this.#mode === 'stopped';
  }

  feed(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.#mode === 'stopped') return;
      if (this.#mode === 'paused') {
        this.#hold(pos === 0 ? chunk : chunk.subarray(pos));
        return;
      }
      if (!this.#current) {
        if (!this.#begun) {
          this.#begun = true;
          this.#hooks.begin();
        }
        const end = this.#headReader.feed(chunk, pos);
        if (end < 0) return;
        pos = end;
        const decision = this.#hooks.head(this.#headReader.take());
        const decoder = decoderFor(decision);
        if (!decoder) {
          this.#finish(decision, undefined);
          continue;
        }
        this.#current = { decision, decoder };
        if (pos === chunk.length) return;
      }
      const end = this.#current.decoder.feed(chunk, pos);
      this.#current.decision.rawBody?.add(chunk.subarray(pos, end < 0 ? chunk.length : end));
      if (end < 0) return;
      pos = end;
      const { decision, decoder } = this.#current;
      this.#current = undefined;
      this.#finish(decision, decoder.trailers);
    }
  }

  /** The connection ended: a read-until-close body completes; anything else unfinished is discarded. */
  end(): void {
    const cur = this.#current;
    this.#current = undefined;
    if (cur && cur.decoder instanceof UntilCloseDecoder && this.#mode === 'running') {
      this.#finish(cur.decision, undefined);
    }
    this.#mode = 'stopped';
    this.#held = [];
  }

  /** Continues after a 'pause', parsing the bytes held meanwhile. */
  resume(): void {
    if (this.#mode !== 'paused') return;
    this.#mode = 'running';
    const held = this.#held;
    this.#held = [];
    this.#heldBytes = 0;
    for (const c of held) this.feed(c);
  }

  stop(): void {
    this.#mode = 'stopped';
    this.#current = undefined;
    this.#held = [];
    this.#headReader.reset();
  }

  #finish(decision: HeadDecision<H>, trailers: Header[] | undefined): void {
    this.#begun = false;
    const next = this.#hooks.complete(decision.head, decision.body, trailers, decision.framing, decision);
    if (decision.framing.kind === 'tunnel' && next !== 'pause') this.#mode = 'stopped';
    else if (next === 'stop') this.#mode = 'stopped';
    else if (next === 'pause') this.#mode = 'paused';
  }

  #hold(bytes: Buffer): void {
    this.#heldBytes += bytes.length;
    if (this.#heldBytes > this.#options.maxHeldBytes) throw new FramingError('upgrade_overflow');
    this.#held.push(bytes);
  }
}

function decoderFor(d: HeadDecision<unknown>): BodyDecoder | undefined {
  switch (d.framing.kind) {
    case 'length':
      if (d.framing.length === 0) return undefined;
      d.body.expect(d.framing.length);
      return new LengthDecoder(d.framing.length, d.body);
    case 'chunked':
      return new ChunkedDecoder(d.body);
    case 'until-close':
      return new UntilCloseDecoder(d.body);
    default:
      return undefined;
  }
}
