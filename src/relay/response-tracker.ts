import { SectionReader } from '../http1/section-reader.js';
import { parseResponseHead } from '../http1/head-parser.js';
import { responseFraming } from '../http1/framing.js';
import { BodyCollector } from '../http1/body-collector.js';
import { ChunkedDecoder, LengthDecoder, UntilCloseDecoder, type BodyDecoder } from '../http1/body-decoder.js';
import { MAX_HEADER_BYTES } from '../http1/limits.js';

/**
 * Counts the app's complete answers on one connection, so a locally answered request is
 * answered only after the app's answers to every earlier request have been relayed (the
 * client reads answers in request order). It only counts: bytes are relayed by the pipe.
 *
 * If the answers stop being countable HTTP (a tunnel after 101 or CONNECT, bytes it cannot
 * frame), it says so with `lost`, and the owner stops waiting on it.
 */
export class ResponseTracker {
  readonly #reader = new SectionReader(MAX_HEADER_BYTES);
  readonly #methods: string[] = [];
  #decoder: BodyDecoder | undefined;
  #lost = false;

  /** A request went to the app: one more final answer to wait for. */
  expect(method: string): void {
    if (!this.#lost) this.#methods.push(method);
  }

  /** Requests forwarded to the app whose final answer has not been relayed in full. */
  get outstanding(): number {
    return this.#methods.length;
  }

  get lost(): boolean {
    return this.#lost;
  }

  feed(chunk: Buffer): void {
    let pos = 0;
    try {
      while (pos < chunk.length && !this.#lost) {
        if (this.#decoder) {
          const end = this.#decoder.feed(chunk, pos);
          if (end < 0) return;
          pos = end;
          this.#decoder = undefined;
          this.#methods.shift();
          continue;
        }
        const end = this.#reader.feed(chunk, pos);
        if (end < 0) return;
        pos = end;
        const head = parseResponseHead(this.#reader.take());
        const framing = responseFraming(head, this.#methods[0]);
        if (framing.kind === 'tunnel') {
          this.#lose();
          return;
        }
        if (head.status < 200) continue; // interim (100, 103): the final answer follows
        const body = new BodyCollector(0, false);
        if (framing.kind === 'length' && framing.length > 0) this.#decoder = new LengthDecoder(framing.length, body);
        else if (framing.kind === 'chunked') this.#decoder = new ChunkedDecoder(body);
        else if (framing.kind === 'until-close') this.#decoder = new UntilCloseDecoder(body);
        else this.#methods.shift();
      }
    } catch {
      this.#lose();
    }
  }

  #lose(): void {
    this.#lost = true;
    this.#methods.length = 0;
    this.#decoder = undefined;
  }
}
