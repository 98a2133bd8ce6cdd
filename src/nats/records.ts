/**
 * One .gor record ⇄ one JetStream message: the payload is exactly the record's payload (the
 * raw HTTP bytes), and the meta line's fields travel as headers, so gor's tools get the same
 * record back (nats-export) and a replayer needs nothing but the message.
 */
import type { GorPayloadType, GorRecord } from '../gor/codec.js';

export const HEADER = {
  type: 'Gor-Type',
  id: 'Gor-Id',
  /** Request start, ns since the epoch (as in the meta line). */
  timestamp: 'Gor-Timestamp',
  /** Request-to-response ns; -1 for requests (as gor 1.x writes them). */
  latency: 'Gor-Latency',
  /** Which dyno / pod captured it. */
  instance: 'Td-Instance',
} as const;

/** The record's header values, in the order above. */
export function recordHeaders(rec: GorRecord, instance: string): Array<[string, string]> {
  return [
    [HEADER.type, rec.type],
    [HEADER.id, rec.id],
    [HEADER.timestamp, String(rec.timestampNs)],
    [HEADER.latency, String(rec.latencyNs ?? -1n)],
    [HEADER.instance, instance],
  ];
}

/**
 * JetStream's de-duplication key (Nats-Msg-Id): a request and its response share gor's id,
 * so the type is part of it. A retried publish reuses it, so a retry never duplicates.
 */
export function messageId(rec: Pick<GorRecord, 'type' | 'id'>): string {
  return `${rec.id}-${rec.type}`;
}

export type HeaderGet = (name: string) => string;

/** The record back from a message's headers and payload, or why it can't be. */
export function recordFromMessage(get: HeaderGet, payload: Uint8Array): { ok: true; record: GorRecord; instance: string } | { ok: false; error: string } {
  const type = get(HEADER.type);
  const id = get(HEADER.id);
  const ts = get(HEADER.timestamp);
  const lat = get(HEADER.latency);
  if (type !== '1' && type !== '2' && type !== '3') return { ok: false, error: `header ${HEADER.type}=${JSON.stringify(type)}: expected 1, 2 or 3` };
  if (!id || /\s/.test(id)) return { ok: false, error: `header ${HEADER.id} is missing or has whitespace` };
  if (!/^\d{1,20}$/.test(ts)) return { ok: false, error: `header ${HEADER.timestamp}=${JSON.stringify(ts)}: expected nanoseconds since the epoch` };
  const latencyNs = /^\d{1,20}$/.test(lat) ? BigInt(lat) : undefined;
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const record: GorRecord = latencyNs === undefined
    ? { type: type as GorPayloadType, id, timestampNs: BigInt(ts), payload: buf }
    : { type: type as GorPayloadType, id, timestampNs: BigInt(ts), latencyNs, payload: buf };
  return { ok: true, record, instance: get(HEADER.instance) };
}

/** `DYNO` on Heroku (web.3), the hostname elsewhere (the pod name on Kubernetes). */
export function instanceName(env: NodeJS.ProcessEnv, hostname: string): string {
  return env.DYNO || hostname || 'unknown';
}

/** A subject token from an instance name: dots, spaces and wildcards would split or widen it. */
export function subjectToken(s: string): string {
  return s.replace(/[.\s*>]/g, '-') || 'unknown';
}

/** NATS subject matching: `*` one token, `>` the rest (one or more tokens). */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== '*' && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}
