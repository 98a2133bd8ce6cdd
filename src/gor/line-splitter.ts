/**
 * Splits a byte stream into '\n'-terminated lines (without the '\n'), holding at most
 * `maxLine` bytes of an unfinished line: a longer one is discarded up to its end and
 * reported once through `overflowed` / `takeOverflow()`.
 */
export class LineSplitter {
  #parts: Buffer[] = [];
  #bytes = 0;
  #discarding = false;
  #overflow: Buffer | undefined;

  constructor(private readonly maxLine: number) {}

  get overflowed(): boolean {
    return this.#overflow !== undefined;
  }

  /** The start of the line that was too long (for the log), clearing the flag. */
  takeOverflow(): Buffer {
    const o = this.#overflow ?? Buffer.alloc(0);
    this.#overflow = undefined;
    return o;
  }

  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const part = chunk.subarray(start, nl < 0 ? chunk.length : nl);
      if (!this.#discarding) {
        if (this.#bytes + part.length > this.maxLine) {
          this.#overflow = Buffer.concat([...this.#parts, part]).subarray(0, 80);
          this.#parts = [];
          this.#bytes = 0;
          this.#discarding = true;
        } else if (part.length > 0) {
          this.#parts.push(part);
          this.#bytes += part.length;
        }
      }
      if (nl < 0) return out;
      if (!this.#discarding) out.push(this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts, this.#bytes));
      this.#parts = [];
      this.#bytes = 0;
      this.#discarding = false;
      start = nl + 1;
    }
  }
}
