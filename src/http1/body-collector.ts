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
const MAX_PARTS = 8;

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
    // A kept piece keeps its whole read buffer alive as long as the copy: copy out pieces that
    // are a small part of theirs (a request's tail in a read that carried the next one too).
    const small = piece.length < SMALL_PIECE ? piece.buffer.byteLength > 2 * SMALL_PIECE : piece.length * 4 < piece.buffer.byteLength;
    this.#parts.push(small ? Buffer.from(piece) : piece);
  }

  /** Body bytes seen (decoded), copied or not. */
  get total(): number {
    return this.#total;
  }

  get overLimit(): boolean {
    return this.#over;
  }

  /**
   * The body as the pieces it was collected in, without joining them (none when empty, not
   * copying or over the cap). Many pieces (a body that trickled in) are joined all the same:
   * a writer hands the list to one writev, and a few large iovecs are what it does best.
   */
  finishParts(): Buffer[] {
    const parts = this.#parts;
    this.#parts = [];
    return parts.length > MAX_PARTS ? [Buffer.concat(parts, this.#total)] : parts;
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
