/**
 * GoReplay's .gor record format, byte-compatible with gor 0.10 … 2.x.
 *
 * A record on disk is
 *
 *   TYPE ' ' ID ' ' TIMESTAMP_NS [' ' LATENCY_NS] '\n'   ← the meta line
 *   raw HTTP payload (any bytes)
 *   '\n🐵🙈🙉\n'                                         ← gor's payloadSeparator
 *
 * gor's reader (input_file.go) reads line by line and ends a record at the first line that
 * is exactly `🐵🙈🙉\n`, then drops the one '\n' before it. So a payload is unsafe to store
 * when, framed as `\n` + payload + `\n`, it holds a line `🐵🙈🙉` — the record would be cut
 * in two. We refuse those instead of writing a file gor (or we) would misread.
 *
 * Header layouts seen in the wild:
 *   gor 0.x:        `1 <40-hex id> <ns>`                (3 fields)
 *   gor 1.x/2.x:    `1 <24-hex id> <ns> <latency ns>`   (requests carry latency -1)
 *   some forks:     a 4th field that is a source IP     (not an integer: ignored)
 * Extra fields after the 4th are ignored.
 */

export type GorPayloadType = '1' | '2' | '3';

export interface GorRecord {
  readonly type: GorPayloadType;
  readonly id: string;
  /** Request start, ns since the epoch (for responses too: the request's start). */
  readonly timestampNs: bigint;
  /** Request-to-response time; undefined when the header has none (3-field) or it is -1. */
  readonly latencyNs?: bigint;
  /** The raw HTTP bytes (head and body as they were captured). */
  readonly payload: Buffer;
}

/** gor's payloadSeparator, including both newlines. */
export const PAYLOAD_SEPARATOR = Buffer.from('\n\u{1F435}\u{1F648}\u{1F649}\n', 'utf8');
/** The separator line as gor's reader compares it (without the leading '\n'). */
const SEPARATOR_LINE = PAYLOAD_SEPARATOR.subarray(1);
/** The monkeys alone: the separator line's content. */
const MONKEYS = PAYLOAD_SEPARATOR.subarray(1, PAYLOAD_SEPARATOR.length - 1);
const NL = 0x0a;
const CR = 0x0d;

export type EncodeResult =
  | { readonly ok: true; readonly bytes: Buffer }
  | { readonly ok: false; readonly reason: 'unsafe_payload'; readonly error: string };

/** The meta line, with its '\n'. Requests get latency -1 as gor 1.x writes them. */
export function encodeMetaLine(rec: Pick<GorRecord, 'type' | 'id' | 'timestampNs' | 'latencyNs'>): Buffer {
  const latency = rec.latencyNs ?? -1n;
  return Buffer.from(`${rec.type} ${rec.id} ${rec.timestampNs} ${latency}\n`, 'latin1');
}

/**
 * True when a reader would see a separator line inside `payload`: a line (between '\n's,
 * counting the record's own framing newlines) that is `🐵🙈🙉`, optionally with a '\r'
 * (our reader accepts CRLF-converted files, so we refuse that form too).
 */
export function isPayloadSafe(payload: Buffer): boolean {
  let from = 0;
  for (;;) {
    const i = payload.indexOf(MONKEYS, from);
    if (i < 0) return true;
    const startsLine = i === 0 || payload[i - 1] === NL;
    let end = i + MONKEYS.length;
    if (end < payload.length && payload[end] === CR) end++;
    const endsLine = end === payload.length || payload[end] === NL;
    if (startsLine && endsLine) return false;
    from = i + 1;
  }
}

function validId(id: string): boolean {
  return id.length > 0 && !/[\s]/.test(id);
}

/** Encodes one record (meta line + payload + separator), or refuses an unsafe one. */
export function encodeRecord(rec: GorRecord): EncodeResult {
  if (!validId(rec.id)) return { ok: false, reason: 'unsafe_payload', error: `id ${JSON.stringify(rec.id)} contains whitespace or is empty` };
  if (!isPayloadSafe(rec.payload)) {
    return { ok: false, reason: 'unsafe_payload', error: `payload of ${rec.id} contains gor's separator line (🐵🙈🙉)` };
  }
  return { ok: true, bytes: Buffer.concat([encodeMetaLine(rec), rec.payload, PAYLOAD_SEPARATOR]) };
}

export type MetaParse =
  | { readonly ok: true; readonly type: GorPayloadType; readonly id: string; readonly timestampNs: bigint; readonly latencyNs?: bigint }
  | { readonly ok: false; readonly error: string };

const INT = /^-?\d{1,20}$/;

/** Parses a meta line (without or with its trailing "\n" / "\r\n"). */
export function parseMetaLine(line: string): MetaParse {
  const text = line.replace(/\r?\n$/, '').replace(/\r$/, '');
  const fields = text.split(' ');
  if (fields.length < 3) return { ok: false, error: `meta line ${JSON.stringify(clip(text))}: expected "TYPE ID TIMESTAMP[ LATENCY]"` };
  const [type, id, ts, lat] = fields as [string, string, string, string | undefined];
  if (type !== '1' && type !== '2' && type !== '3') return { ok: false, error: `payload type ${JSON.stringify(clip(type))}: expected 1, 2 or 3` };
  if (!validId(id)) return { ok: false, error: 'empty id in meta line' };
  if (!INT.test(ts) || ts.startsWith('-')) return { ok: false, error: `timestamp ${JSON.stringify(clip(ts))}: expected nanoseconds since the epoch` };
  let latencyNs: bigint | undefined;
  if (lat !== undefined && INT.test(lat)) {
    const l = BigInt(lat);
    if (l >= 0n) latencyNs = l;
  }
  return latencyNs === undefined
    ? { ok: true, type, id, timestampNs: BigInt(ts) }
    : { ok: true, type, id, timestampNs: BigInt(ts), latencyNs };
}

function clip(s: string, n = 60): string {
  return s.length > n ? s.slice(0, n) + '…' : s;
}

/** One record the reader could not use; `record` counts from 1 within `source`. */
export interface MalformedRecord {
  readonly source: string;
  readonly record: number;
  readonly line: number;
  readonly error: string;
}

export interface GorReaderOptions {
  /** Named in error messages, e.g. the file path. */
  readonly source: string;
  /** Called for every malformed record (the reader skips it and goes on). */
  onMalformed?(m: MalformedRecord): void;
  /** A record longer than this is skipped as malformed (bounded memory). Default 64 MiB. */
  readonly maxRecordBytes?: number;
}

/**
 * Streaming decoder: `push(chunk)` returns the records completed by that chunk; `end()`
 * checks the tail. Malformed records are skipped and reported through `onMalformed` with
 * the source, the record number and the line it started on. Memory: one record + one chunk.
 */
export class GorRecordReader {
  readonly #opts: GorReaderOptions;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Bytes of the current partial line (carried between chunks). */
  #line: Buffer[] = [];
  #lineBytes = 0;
  #lineNo = 0;
  #recordStartLine = 1;
  #oversized = false;
  records = 0;
  malformed = 0;
  truncated = 0;

  constructor(opts: GorReaderOptions) {
    this.#opts = opts;
  }

  push(chunk: Buffer): GorRecord[] {
    const out: GorRecord[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NL, start);
      if (nl < 0) {
        if (start < chunk.length) this.#addLinePart(chunk.subarray(start));
        return out;
      }
      this.#addLinePart(chunk.subarray(start, nl + 1));
      this.#endLine(out);
      start = nl + 1;
    }
  }

  /**
   * Call at end of input. A tail without a separator is a record cut short (a writer
   * killed mid-flush): gor silently drops it; we skip it too but report it as malformed,
   * because a half-written request must not be replayed. Blank tails are ignored.
   */
  end(): GorRecord[] {
    if (this.#lineBytes > 0) {
      this.#lineNo++;
      this.#appendToRecord(Buffer.concat(this.#line, this.#lineBytes));
      this.#line = [];
      this.#lineBytes = 0;
    }
    if (this.#oversized || Buffer.concat(this.#pending, this.#pendingBytes).toString('latin1').trim() !== '') {
      this.truncated++;
      this.#report('file ends inside a record (no 🐵🙈🙉 separator after it): truncated capture?');
    }
    this.#resetRecord();
    return [];
  }

  #addLinePart(part: Buffer): void {
    this.#line.push(part);
    this.#lineBytes += part.length;
  }

  #endLine(out: GorRecord[]): void {
    this.#lineNo++;
    const line = this.#line.length === 1 ? this.#line[0]! : Buffer.concat(this.#line, this.#lineBytes);
    this.#line = [];
    this.#lineBytes = 0;
    if (isSeparatorLine(line)) {
      const raw = Buffer.concat(this.#pending, this.#pendingBytes);
      // Drop the '\n' (or "\r\n" in a CRLF-converted file) that belongs to the separator.
      let cut = raw.length;
      if (cut > 0 && raw[cut - 1] === NL) cut--;
      if (line[line.length - 2] === CR && cut > 0 && raw[cut - 1] === CR) cut--;
      this.#finishRecord(raw.subarray(0, cut), out);
      this.#resetRecord();
      return;
    }
    this.#appendToRecord(line);
  }

  #appendToRecord(line: Buffer): void {
    if (this.#oversized) return;
    const max = this.#opts.maxRecordBytes ?? 64 * 1024 * 1024;
    if (this.#pendingBytes + line.length > max) {
      this.#oversized = true;
      this.#pending = [];
      this.#pendingBytes = 0;
      return;
    }
    this.#pending.push(line);
    this.#pendingBytes += line.length;
  }

  #resetRecord(): void {
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#oversized = false;
    this.#recordStartLine = this.#lineNo + 1;
  }

  #report(error: string): void {
    const record = this.records + this.malformed + 1;
    this.malformed++;
    this.#opts.onMalformed?.({ source: this.#opts.source, record, line: this.#recordStartLine, error });
  }

  #finishRecord(raw: Buffer, out: GorRecord[]): void {
    const bad = (error: string) => this.#report(error);
    if (this.#oversized) return bad(`record longer than ${this.#opts.maxRecordBytes ?? 64 * 1024 * 1024} bytes`);
    // Tolerate blank lines between records (hand-edited or concatenated files).
    let s = 0;
    while (s < raw.length && (raw[s] === NL || raw[s] === CR)) s++;
    const nl = raw.indexOf(NL, s);
    if (nl < 0) return bad('record has no meta line (expected "TYPE ID TIMESTAMP[ LATENCY]\\n" before the payload)');
    const meta = parseMetaLine(raw.subarray(s, nl).toString('latin1'));
    if (!meta.ok) return bad(meta.error);
    this.records++;
    const rec: GorRecord =
      meta.latencyNs === undefined
        ? { type: meta.type, id: meta.id, timestampNs: meta.timestampNs, payload: raw.subarray(nl + 1) }
        : { type: meta.type, id: meta.id, timestampNs: meta.timestampNs, latencyNs: meta.latencyNs, payload: raw.subarray(nl + 1) };
    out.push(rec);
  }
}

function isSeparatorLine(line: Buffer): boolean {
  if (line.length === SEPARATOR_LINE.length) return line.equals(SEPARATOR_LINE);
  // CRLF quirk: a file that went through a Windows editor / git autocrlf.
  return (
    line.length === SEPARATOR_LINE.length + 1 &&
    line[line.length - 2] === CR &&
    line.subarray(0, MONKEYS.length).equals(MONKEYS)
  );
}

/** Decodes a whole buffer (tests, small files). */
export function decodeAll(bytes: Buffer, opts: GorReaderOptions): { records: GorRecord[]; reader: GorRecordReader } {
  const reader = new GorRecordReader(opts);
  const records = [...reader.push(bytes), ...reader.end()];
  return { records, reader };
}
