import type { Message } from '../core/message.js';
import { gorPayloadType } from '../core/message.js';
import { parseRequestBytes, parseResponseBytes, serializeRequest, serializeResponse } from '../http1/index.js';
import type { GorRecord } from './codec.js';

/** A message as gor would store or pipe it: meta fields plus the raw HTTP bytes. */
export function messageToRecord(msg: Message): GorRecord {
  if (msg.type === 'request') {
    return { type: '1', id: msg.id, timestampNs: msg.startNs, payload: serializeRequest(msg) };
  }
  return { type: gorPayloadType(msg), id: msg.id, timestampNs: msg.startNs, latencyNs: msg.latencyNs, payload: serializeResponse(msg) };
}

export type RecordParse = { readonly ok: true; readonly message: Message } | { readonly ok: false; readonly error: string };

/**
 * The record's HTTP payload parsed into a Message. `requestMethod` helps the response
 * parser with bodiless answers (HEAD).
 */
export function recordToMessage(rec: GorRecord, requestMethod?: string): RecordParse {
  if (rec.type === '1') return parseRequestBytes(rec.payload, { id: rec.id, startNs: rec.timestampNs });
  const meta = {
    id: rec.id,
    startNs: rec.timestampNs,
    latencyNs: rec.latencyNs ?? 0n,
    type: rec.type === '2' ? ('response' as const) : ('replayed-response' as const),
  };
  return parseResponseBytes(rec.payload, requestMethod === undefined ? meta : { ...meta, requestMethod });
}

/**
 * The methods whose answers are framed differently, remembered by request id for the answers
 * that follow in a stream of records (a file, the middleware's output, NATS): an answer to
 * HEAD has a Content-Length and no body, an answer to CONNECT opens a tunnel. Other methods
 * are not kept, so this stays tiny; it holds the last `cap` such ids at most.
 */
export class AnswerFraming {
  readonly #methods = new Map<string, string>();
  readonly #cap: number;

  constructor(cap = 10_000) {
    this.#cap = cap;
  }

  /** Notes a request's method, if its answer needs it. */
  request(id: string, method: string): void {
    if (method !== 'HEAD' && method !== 'CONNECT') return;
    this.#methods.delete(id);
    this.#methods.set(id, method);
    if (this.#methods.size > this.#cap) this.#methods.delete(this.#methods.keys().next().value as string);
  }

  /** recordToMessage, with the method of the request this answer is for when it matters. */
  parse(rec: GorRecord): RecordParse {
    if (rec.type === '1') {
      const parsed = recordToMessage(rec);
      if (parsed.ok && parsed.message.type === 'request') this.request(rec.id, parsed.message.method);
      return parsed;
    }
    return recordToMessage(rec, this.#methods.get(rec.id));
  }
}
