/**
 * Gathers a body's bytes for mirroring, up to a cap, without ever buffering past it.
 *
 * Pieces are kept as subarrays and joined once at the end (one copy per body, no
 * per-byte work). Tiny pieces are copied instead, so a chunked body sent as many
 * small chunks cannot pin many large relay buffers in memory.
 * Past the cap it only counts: the message will be dropped whole (`body_too_large`),
 * never truncated — a truncated body would be a different request.
 */
const SMALL_PIECE = 512;

export class BodyCollector {
  readonly #limit: number;
  readonly #copy: boolean;
  #parts: Buffer[] = [];
  #total = 0;
  #over = false;

  /** @param copy false: count only (responses when they are not captured) */
  constructor(limit: number, copy: boolean) {
    this.#limit = limit;
    this.#copy = copy;
  }

  /** The body's length is announced (Content-Length): over the cap we skip copying from the start. */
  expect(length: number): void {
    if (length > this.#limit) this.#markOver();
  }

  add(piece: Buffer): void {
    if (piece.length === 0) return;
    this.#total += piece.length;
    if (this.#over) return;
    if (this.#total > this.#limit) {
      this.#markOver();
      return;
    }
    if (!this.#copy) return;
    this.#parts.push(piece.length < SMALL_PIECE && piece.buffer.byteLength > 2 * SMALL_PIECE ? Buffer.from(piece) : piece);
  }

  /** Body bytes seen (decoded), copied or not. */
  get total(): number {
    return this.#total;
  }

  get overLimit(): boolean {
    return this.#over;
  }

  /** The whole body (one concat), or an empty buffer when not copying or over the cap. */
  finish(): Buffer {
    const parts = this.#parts;
    this.#parts = [];
    if (parts.length === 1) return parts[0]!;
    return parts.length === 0 ? EMPTY : Buffer.concat(parts, this.#total);
  }

  #markOver(): void {
    this.#over = true;
    this.#parts = [];
  }
}

const EMPTY = Buffer.alloc(0);
