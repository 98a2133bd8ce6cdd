import { FramingError } from './framing-errors.js';

const CR = 0x0d;
const LF = 0x0a;

/**
 * Finds the end of a CRLF-terminated section across any split of the stream: a head or
 * trailer section (up to and including its empty line) or a single line (a chunk-size line).
 *
 * It jumps from LF to LF with `indexOf`, so the cost is one native scan per line, never a
 * JS loop per byte. Bytes are kept as subarrays and joined once, only when the section
 * spans chunks; a section within one chunk is returned without copying.
 *
 * Every LF must follow a CR (RFC 9112 §2.2): a bare LF throws `bare_lf` at once, so a
 * stream of LF-only lines cannot sit here until the size cap.
 */
export class SectionReader {
  readonly #maxBytes: number;
  readonly #singleLine: boolean;
  readonly #skipLeadingEmptyLines: boolean;
  #parts: Buffer[] = [];
  #length = 0;
  #lastByte = -1;
  /** Bytes of the current, unfinished line already seen (so a lone CRLF can be told from a line ending). */
  #lineLength = 0;
  #lines = 0;
  #result: Buffer | undefined;
  readonly #checkFirstLine: ((line: string) => void) | undefined;

  /**
   * @param singleLine stop after the first line (chunk-size line) instead of at an empty line
   * @param skipLeadingEmptyLines RFC 9112 §2.2: a server SHOULD ignore CRLFs before a request-line
   * @param checkFirstLine validates the start line as soon as it is complete (throws), so an
   *   HTTP/0.9 request (one line, no empty line) desyncs at once instead of waiting for bytes
   */
  constructor(maxBytes: number, singleLine = false, skipLeadingEmptyLines = false, checkFirstLine?: (line: string) => void) {
    this.#checkFirstLine = checkFirstLine;
    this.#maxBytes = maxBytes;
    this.#singleLine = singleLine;
    this.#skipLeadingEmptyLines = skipLeadingEmptyLines;
  }

  /**
   * Reads from `chunk[start..]`. Returns the offset just past the section (then `take()` it),
   * or -1 when every byte was consumed and more are needed.
   */
  feed(chunk: Buffer, start: number): number {
    let from = start; // first byte of the section within this chunk
    let pos = start;
    for (;;) {
      const lf = chunk.indexOf(LF, pos);
      if (lf === -1) {
        const rest = chunk.length - from;
        if (rest > 0) {
          this.#grow(rest);
          this.#parts.push(chunk.subarray(from));
          this.#lastByte = chunk[chunk.length - 1]!;
          this.#lineLength += chunk.length - pos;
        }
        return -1;
      }
      const before = lf > from ? chunk[lf - 1]! : this.#lastByte;
      if (before !== CR) throw new FramingError('bare_lf');
      this.#lineLength += lf - pos + 1;
      pos = lf + 1;
      const empty = this.#lineLength === 2;
      this.#lineLength = 0;
      if (empty && this.#lines === 0 && this.#skipLeadingEmptyLines) {
        // Drop the CRLF (and its CR if it came in an earlier chunk).
        this.#parts = [];
        this.#length = 0;
        this.#lastByte = -1;
        from = pos;
        continue;
      }
      if (empty || this.#singleLine) {
        this.#grow(pos - from);
        const last = chunk.subarray(from, pos);
        this.#result = this.#parts.length === 0 ? last : Buffer.concat([...this.#parts, last]);
        return pos;
      }
      if (this.#lines === 0 && this.#checkFirstLine) this.#checkFirstLine(this.#firstLine(chunk, from, pos));
      this.#lines++;
    }
  }

  /** The section's bytes, CRLFs included; resets the reader for the next section. */
  take(): Buffer {
    const r = this.#result ?? Buffer.alloc(0);
    this.reset();
    return r;
  }

  reset(): void {
    this.#parts = [];
    this.#length = 0;
    this.#lastByte = -1;
    this.#lineLength = 0;
    this.#lines = 0;
    this.#result = undefined;
  }

  #firstLine(chunk: Buffer, from: number, end: number): string {
    // The line may span chunks, and its CR may be in an earlier one than its LF.
    const line = this.#parts.length === 0 ? chunk.subarray(from, end) : Buffer.concat([...this.#parts, chunk.subarray(from, end)]);
    return line.toString('latin1', 0, line.length - 2);
  }

  #grow(n: number): void {
    this.#length += n;
    if (this.#length > this.#maxBytes) {
      throw new FramingError(this.#singleLine ? 'chunk_line_too_long' : 'header_too_large', `over ${this.#maxBytes} bytes`);
    }
  }
}
