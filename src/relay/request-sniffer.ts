import { SectionReader } from '../http1/section-reader.js';
import { parseRequestHead, type RequestHead } from '../http1/head-parser.js';
import { requestFraming, mayLeaveHttp, type BodyFraming } from '../http1/framing.js';
import { BodyCollector } from '../http1/body-collector.js';
import { ChunkedDecoder, LengthDecoder, type BodyDecoder } from '../http1/body-decoder.js';
import { MAX_HEADER_BYTES } from '../http1/limits.js';

/** A request the relay answers itself (the admin path) instead of passing it to the app. */
export interface LocalRequest {
  readonly head: RequestHead;
  readonly body: Buffer;
  /** The body was over the cap (it was read and discarded): answer 413. */
  readonly bodyTooLarge: boolean;
}

export interface SnifferSink {
  /** Exact client bytes for the app, in order. */
  forward(bytes: Buffer): void;
  /** A request head was forwarded (its method pairs it with the app's response). */
  forwarded(method: string): void;
  /** A local request is complete. The sniffer now holds every later byte until `resume()`. */
  local(req: LocalRequest): void;
  /** A local request whose framing is ambiguous: it can't be answered safely; close the connection. */
  unframeable(): void;
}

type State = 'head' | 'forward-body' | 'local-body' | 'held' | 'raw';

/**
 * Splits a client's byte stream at request boundaries so that requests for one path can be
 * answered locally while every other byte goes to the app exactly as received: head bytes
 * are the bytes read (not a re-serialization), bodies are passed on as they arrive, and
 * only a head is ever buffered (up to the header cap).
 *
 * It decides per request, not per connection (Heroku's router reuses connections), and after
 * a local request it holds later bytes until the owner has answered it, so answers go out in
 * request order. Anything it cannot frame — garbage, a head over the cap, an ambiguous body,
 * a protocol switch — turns it into a plain pipe for the rest of the connection: the app gets
 * the bytes and decides, as without the sniffer.
 */
export class RequestSniffer {
  readonly #isLocal: (target: string) => boolean;
  readonly #sink: SnifferSink;
  readonly #maxLocalBody: number;
  readonly #reader = new SectionReader(MAX_HEADER_BYTES);
  #state: State = 'head';
  #headParts: Buffer[] = [];
  #decoder: BodyDecoder | undefined;
  #local: { head: RequestHead; body: BodyCollector } | undefined;
  #held: Buffer[] = [];

  constructor(isLocal: (target: string) => boolean, sink: SnifferSink, maxLocalBody: number) {
    this.#isLocal = isLocal;
    this.#sink = sink;
    this.#maxLocalBody = maxLocalBody;
  }

  /** Holding bytes after a local request, until `resume()`. */
  get holding(): boolean {
    return this.#state === 'held';
  }

  feed(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      switch (this.#state) {
        case 'raw':
          this.#sink.forward(pos === 0 ? chunk : chunk.subarray(pos));
          return;
        case 'held':
          this.#held.push(pos === 0 ? chunk : chunk.subarray(pos));
          return;
        case 'head': {
          let end: number;
          try {
            end = this.#reader.feed(chunk, pos);
          } catch {
            this.#giveUp(chunk, pos);
            return;
          }
          if (end < 0) {
            this.#headParts.push(chunk.subarray(pos));
            return;
          }
          this.#headParts.push(chunk.subarray(pos, end));
          pos = end;
          this.#onHead(this.#reader.take());
          break;
        }
        case 'forward-body': {
          let end: number;
          try {
            end = this.#decoder!.feed(chunk, pos);
          } catch {
            this.#state = 'raw';
            continue;
          }
          if (end < 0) {
            this.#sink.forward(chunk.subarray(pos));
            return;
          }
          this.#sink.forward(chunk.subarray(pos, end));
          pos = end;
          this.#decoder = undefined;
          this.#state = 'head';
          break;
        }
        case 'local-body': {
          let end: number;
          try {
            end = this.#decoder!.feed(chunk, pos);
          } catch {
            this.#unframeable();
            return;
          }
          if (end < 0) return;
          pos = end;
          this.#finishLocal();
          break;
        }
      }
    }
  }

  /**
   * The client sent its last byte. A head still being read will never complete: its bytes go
   * to the app as read, as the plain relay would have passed them (the app decides what an
   * incomplete request gets). Bytes of an unfinished local request are ours, not the app's.
   */
  end(): void {
    if (this.#state !== 'head' || this.#headParts.length === 0) return;
    const parts = this.#headParts;
    this.#headParts = [];
    this.#reader.reset();
    this.#state = 'raw';
    for (const p of parts) this.#sink.forward(p);
  }

  /** The local answer was written: carry on with the bytes held meanwhile. */
  resume(): void {
    if (this.#state !== 'held') return;
    this.#state = 'head';
    const held = this.#held;
    this.#held = [];
    for (const c of held) this.feed(c);
  }

  #onHead(section: Buffer): void {
    const parts = this.#headParts;
    this.#headParts = [];
    const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    if (section.length === 2) {
      // A stray CRLF between requests (RFC 9112 §2.2): the app's to ignore.
      this.#sink.forward(bytes);
      return;
    }
    let head: RequestHead;
    try {
      head = parseRequestHead(section);
    } catch {
      this.#sink.forward(bytes);
      this.#state = 'raw';
      return;
    }
    if (this.#isLocal(head.target)) {
      let framing: BodyFraming;
      try {
        framing = requestFraming(head);
      } catch {
        this.#unframeable();
        return;
      }
      const body = new BodyCollector(this.#maxLocalBody, true);
      this.#local = { head, body };
      this.#decoder = decoderFor(framing, body);
      if (this.#decoder) this.#state = 'local-body';
      else this.#finishLocal();
      return;
    }
    this.#sink.forward(bytes);
    this.#sink.forwarded(head.method);
    if (mayLeaveHttp(head)) {
      // After CONNECT or Upgrade the stream may stop being HTTP: never look again.
      this.#state = 'raw';
      return;
    }
    let framing: BodyFraming;
    try {
      framing = requestFraming(head);
    } catch {
      this.#state = 'raw';
      return;
    }
    this.#decoder = decoderFor(framing, new BodyCollector(0, false));
    this.#state = this.#decoder ? 'forward-body' : 'head';
  }

  #finishLocal(): void {
    const { head, body } = this.#local!;
    this.#local = undefined;
    this.#decoder = undefined;
    this.#state = 'held';
    const bodyTooLarge = body.overLimit;
    this.#sink.local({ head, body: bodyTooLarge ? Buffer.alloc(0) : body.finish(), bodyTooLarge });
  }

  #unframeable(): void {
    this.#state = 'held';
    this.#held = [];
    this.#sink.unframeable();
  }

  /** The head could not be read: pass what was buffered and everything after it through. */
  #giveUp(chunk: Buffer, pos: number): void {
    const parts = this.#headParts;
    this.#headParts = [];
    this.#reader.reset();
    for (const p of parts) this.#sink.forward(p);
    this.#state = 'raw';
    this.#sink.forward(chunk.subarray(pos));
  }
}

function decoderFor(framing: BodyFraming, body: BodyCollector): BodyDecoder | undefined {
  if (framing.kind === 'length') {
    if (framing.length === 0) return undefined;
    body.expect(framing.length);
    return new LengthDecoder(framing.length, body);
  }
  if (framing.kind === 'chunked') return new ChunkedDecoder(body);
  return undefined;
}
