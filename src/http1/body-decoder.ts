import type { Header } from '../core/message.js';
import type { BodyCollector } from './body-collector.js';
import { FramingError } from './framing-errors.js';
import { parseTrailerSection } from './head-parser.js';
import { MAX_CHUNK_LINE_BYTES, MAX_CHUNK_SIZE_DIGITS, MAX_HEADER_BYTES } from './limits.js';
import { SectionReader } from './section-reader.js';

/**
 * Delimits one body in a byte stream and hands its decoded bytes to a BodyCollector.
 * `feed` returns the offset just past the body's last byte, or -1 if it needs more.
 */
export interface BodyDecoder {
  feed(chunk: Buffer, start: number): number;
  /** Trailer fields of a chunked body (after it ended), if any. */
  readonly trailers: Header[] | undefined;
}

/** Content-Length framing: counts bytes, no scanning at all. */
export class LengthDecoder implements BodyDecoder {
  #remaining: number;
  readonly #sink: BodyCollector;
  readonly trailers = undefined;

  constructor(length: number, sink: BodyCollector) {
    this.#remaining = length;
    this.#sink = sink;
  }

  feed(chunk: Buffer, start: number): number {
    const take = Math.min(this.#remaining, chunk.length - start);
    if (take > 0) this.#sink.add(chunk.subarray(start, start + take));
    this.#remaining -= take;
    return this.#remaining === 0 ? start + take : -1;
  }
}

/** RFC 9112 §6.3 rule 8: a response without framing ends when the connection does. */
export class UntilCloseDecoder implements BodyDecoder {
  readonly #sink: BodyCollector;
  readonly trailers = undefined;

  constructor(sink: BodyCollector) {
    this.#sink = sink;
  }

  feed(chunk: Buffer, start: number): number {
    if (start < chunk.length) this.#sink.add(chunk.subarray(start));
    return -1;
  }
}

// chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF (RFC 9112 §7.1), with
// chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ), a name a token
// and a value a token or a quoted-string. Extensions are ignored, but read as strictly as
// that: whitespace after the size with no ';' ("3 "), or a value of raw bytes, is refused by
// Node's parser and others, and a request the app refused must not reach a shadow (nor the
// requests pipelined after it).
const EXT_TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
const EXT_QUOTED = '"(?:[\\t \\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t \\x21-\\x7e\\x80-\\xff])*"';
const CHUNK_EXT = `[ \\t]*;[ \\t]*${EXT_TOKEN}(?:[ \\t]*=[ \\t]*(?:${EXT_TOKEN}|${EXT_QUOTED}))?`;
const CHUNK_LINE = new RegExp(`^([0-9A-Fa-f]+)(?:${CHUNK_EXT})*$`);

type ChunkState = 'size' | 'data' | 'data-cr' | 'data-lf' | 'trailers' | 'done';

/**
 * Chunked transfer coding (RFC 9112 §7.1): decodes into the collector and keeps trailers.
 * Chunk data is passed on as subarrays; only the size lines and the trailer section are
 * read line-wise (SectionReader, native indexOf).
 */
export class ChunkedDecoder implements BodyDecoder {
  readonly #sink: BodyCollector;
  #state: ChunkState = 'size';
  #remaining = 0;
  readonly #line = new SectionReader(MAX_CHUNK_LINE_BYTES, true);
  #trailerReader: SectionReader | undefined;
  trailers: Header[] | undefined;

  constructor(sink: BodyCollector) {
    this.#sink = sink;
  }

  feed(chunk: Buffer, start: number): number {
    let pos = start;
    while (pos < chunk.length) {
      switch (this.#state) {
        case 'size': {
          const end = this.#line.feed(chunk, pos);
          if (end < 0) return -1;
          pos = end;
          this.#remaining = chunkSize(this.#line.take());
          if (this.#remaining === 0) {
            this.#state = 'trailers';
            this.#trailerReader = new SectionReader(MAX_HEADER_BYTES);
          } else this.#state = 'data';
          break;
        }
        case 'data': {
          const take = Math.min(this.#remaining, chunk.length - pos);
          this.#sink.add(chunk.subarray(pos, pos + take));
          this.#remaining -= take;
          pos += take;
          if (this.#remaining === 0) this.#state = 'data-cr';
          break;
        }
        case 'data-cr':
          if (chunk[pos] !== 0x0d) throw new FramingError('bad_chunk_end');
          pos++;
          this.#state = 'data-lf';
          break;
        case 'data-lf':
          if (chunk[pos] !== 0x0a) throw new FramingError('bad_chunk_end');
          pos++;
          this.#state = 'size';
          break;
        case 'trailers': {
          const reader = this.#trailerReader!;
          const end = reader.feed(chunk, pos);
          if (end < 0) return -1;
          const fields = parseTrailerSection(reader.take());
          this.trailers = fields.length > 0 ? fields : undefined;
          this.#trailerReader = undefined;
          this.#state = 'done';
          return end;
        }
        case 'done':
          return pos;
      }
    }
    return -1;
  }
}

function chunkSize(line: Buffer): number {
  const m = CHUNK_LINE.exec(line.toString('latin1', 0, line.length - 2));
  if (!m) throw new FramingError('bad_chunk_size', JSON.stringify(line.toString('latin1', 0, Math.min(line.length, 40))));
  const hex = m[1]!.replace(/^0+(?=.)/, '');
  if (hex.length > MAX_CHUNK_SIZE_DIGITS) throw new FramingError('bad_chunk_size', 'too large');
  return parseInt(hex, 16);
}
