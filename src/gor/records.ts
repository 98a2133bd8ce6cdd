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
