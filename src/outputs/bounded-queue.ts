/**
 * A FIFO bounded by count and by bytes. `push` never blocks: when either bound would
 * be passed it refuses the newest item and says which bound (ARCHITECTURE.md, rule 3).
 *
 * Backed by a growable ring, so shift() is O(1) and the array never grows past the
 * largest depth actually reached (not `maxItems` up front: most queues stay near empty).
 */
export type PushResult = 'ok' | 'full' | 'over_bytes';

export class BoundedQueue<T> {
  #ring: (T | undefined)[] = [];
  #sizes: number[] = [];
  #head = 0;
  #length = 0;
  #bytes = 0;

  constructor(
    /** Most items held at once (gor --output-http-queue-len). */
    readonly maxItems: number,
    /** Most bytes held at once, as estimated by the caller per item. */
    readonly maxBytes: number,
  ) {
    if (!Number.isInteger(maxItems) || maxItems < 1) throw new RangeError(`maxItems must be a positive integer, got ${maxItems}`);
    if (!(maxBytes > 0)) throw new RangeError(`maxBytes must be positive, got ${maxBytes}`);
  }

  get length(): number {
    return this.#length;
  }

  get bytes(): number {
    return this.#bytes;
  }

  push(item: T, size: number): PushResult {
    if (this.#length >= this.maxItems) return 'full';
    if (this.#bytes + size > this.maxBytes) return 'over_bytes';
    if (this.#length === this.#ring.length) this.#grow();
    const i = (this.#head + this.#length) % this.#ring.length;
    this.#ring[i] = item;
    this.#sizes[i] = size;
    this.#length++;
    this.#bytes += size;
    return 'ok';
  }

  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const i = this.#head;
    const item = this.#ring[i];
    this.#ring[i] = undefined; // let the message be collected
    this.#bytes -= this.#sizes[i]!;
    this.#head = (i + 1) % this.#ring.length;
    this.#length--;
    return item;
  }

  /** Removes and returns everything still queued (used at shutdown to count leftovers). */
  drain(): T[] {
    const out: T[] = [];
    for (let item = this.shift(); item !== undefined; item = this.shift()) out.push(item);
    return out;
  }

  #grow(): void {
    const cap = Math.min(this.maxItems, Math.max(8, this.#ring.length * 2));
    const ring: (T | undefined)[] = new Array(cap);
    const sizes: number[] = new Array(cap);
    for (let n = 0; n < this.#length; n++) {
      const j = (this.#head + n) % this.#ring.length;
      ring[n] = this.#ring[j];
      sizes[n] = this.#sizes[j]!;
    }
    this.#ring = ring;
    this.#sizes = sizes;
    this.#head = 0;
  }
}
