import { createHash } from 'node:crypto';
import { getHeader, type Header } from '../core/message.js';
import { decodeBody } from './decode.js';

/**
 * A response as comparison sees it: status, the compared headers (lowercased, built-in
 * volatile ones and framing removed), and the body with its content coding removed,
 * parsed as JSON, text, or reduced to a hash. Built once per answer (production's view is
 * shared by every candidate it is compared with).
 */

/** Headers that differ on every answer by design; never compared (documented in docs/compare.md). */
export const VOLATILE_HEADERS: ReadonlySet<string> = new Set([
  'date', 'age', 'expires', 'x-request-id', 'x-runtime', 'server-timing', 'via', 'x-amzn-trace-id',
  'x-amz-request-id', 'x-trace-id', 'traceparent', 'tracestate', 'x-correlation-id', 'cf-ray', 'report-to', 'nel',
  'x-response-time', 'x-heroku-queue-wait-time', 'x-heroku-dynos-in-use',
]);

/** How the message is framed, not what it says (the body is compared decoded). */
export const FRAMING_HEADERS: ReadonlySet<string> = new Set([
  'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'trailer', 'upgrade', 'proxy-connection',
]);

export type BodyView =
  | { readonly kind: 'empty' }
  | { readonly kind: 'json'; readonly value: unknown }
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'binary'; readonly hash: string; readonly bytes: number };

export interface ResponseView {
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: BodyView;
  /** Something odd about this answer, counted per destination (e.g. 'invalid_json', 'not_utf8'). */
  readonly anomaly?: string;
}

export type ViewResult = { readonly ok: true; readonly view: ResponseView } | { readonly ok: false; readonly reason: 'body_too_large' | 'undecodable' };

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function viewResponse(status: number, headers: readonly Header[], body: Buffer, maxBodyBytes: number): ViewResult {
  const hs = new Map<string, string>();
  for (const h of headers) {
    const name = h.name.toLowerCase();
    if (VOLATILE_HEADERS.has(name) || FRAMING_HEADERS.has(name)) continue;
    const prev = hs.get(name);
    hs.set(name, prev === undefined ? h.value.trim() : `${prev}, ${h.value.trim()}`);
  }
  if (body.length > maxBodyBytes) return { ok: false, reason: 'body_too_large' };
  const decoded = decodeBody(headers, body, maxBodyBytes);
  if (!decoded.ok) return decoded;
  const parsed = parseBody(getHeader(headers, 'content-type') ?? '', decoded.body);
  return { ok: true, view: { status, headers: hs, body: parsed.body, ...(parsed.anomaly ? { anomaly: parsed.anomaly } : {}) } };
}

function parseBody(contentType: string, b: Buffer): { body: BodyView; anomaly?: string } {
  if (b.length === 0) return { body: { kind: 'empty' } };
  const ct = contentType.toLowerCase();
  let text: string | undefined;
  try {
    text = utf8.decode(b);
  } catch {
    text = undefined;
  }
  const saysJson = /[/+]json\b/.test(ct);
  if (text !== undefined && (saysJson || (ct === '' && /^\s*[[{]/.test(text)))) {
    try {
      return { body: { kind: 'json', value: JSON.parse(text) } };
    } catch {
      return { body: { kind: 'text', text }, ...(saysJson ? { anomaly: 'invalid_json' } : {}) };
    }
  }
  const textual = ct === '' || ct.startsWith('text/') || /xml|javascript|x-www-form-urlencoded|json/.test(ct);
  if (text !== undefined && textual) return { body: { kind: 'text', text } };
  return {
    body: { kind: 'binary', hash: createHash('sha1').update(b).digest('hex'), bytes: b.length },
    ...(textual ? { anomaly: 'not_utf8' } : {}),
  };
}
