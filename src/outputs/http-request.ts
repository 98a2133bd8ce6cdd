import { sameName, type RequestMessage } from '../core/message.js';
import type { ErrorKind } from '../core/output.js';
import { requestBodyParts, requestHead } from '../http1/serialize.js';

/**
 * Turning a captured request into the request a shadow receives, and naming why a
 * delivery failed. Pure functions: http-output.ts does the I/O.
 */

/** The parts of a destination URL that shape every request sent to it. */
export interface Destination {
  readonly origin: string; // scheme://host[:port]
  /** `host[:port]` as a Host header (default ports omitted, as URL.host does). */
  readonly host: string;
  /** The URL's path without a trailing slash ('' for none): prepended to each target, as gor does. */
  readonly prefix: string;
  readonly https: boolean;
  /** TLS server name for https (undefined for an IP literal, where SNI is not allowed: RFC 6066 §3). */
  readonly servername: string | undefined;
}

export function parseDestination(url: string): Destination {
  const u = new URL(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError(`output URL must be http:// or https://, got ${url}`);
  const prefix = u.pathname === '/' ? '' : u.pathname.replace(/\/+$/, '');
  const hostname = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  const isIp = /^[\d.]+$/.test(hostname) || hostname.includes(':');
  return {
    origin: u.origin,
    host: u.host,
    prefix,
    https: u.protocol === 'https:',
    servername: u.protocol === 'https:' && !isIp ? hostname : undefined,
  };
}

export function requestPath(target: string, prefix: string): string {
  if (prefix === '') return target;
  if (target.startsWith('/')) return prefix + target;
  // absolute-form (a proxy-style request): keep its path and query under the prefix
  try {
    const u = new URL(target);
    return prefix + u.pathname + u.search;
  } catch {
    return prefix + '/' + target;
  }
}

/**
 * Fields that concern only production's own client connection (RFC 9110 §7.6.1), dropped
 * from a copy because the copy travels on our pooled keep-alive connection:
 * `Connection` (a `close` would make the shadow close our pool's connection) and the
 * fields it lists, `Keep-Alive`, `Proxy-Connection`, `Upgrade` (a shadow must not switch
 * our pooled connection to another protocol), and `Expect` (we send the whole body at once
 * and do not wait for a 100 Continue).
 */
const CONNECTION_FIELDS = new Set(['connection', 'keep-alive', 'proxy-connection', 'upgrade', 'expect']);

/** Connection options that are not field names to drop: the body's framing and Host must stay whatever Connection says. */
const NEVER_LISTED = new Set(['close', 'keep-alive', 'host', 'content-length', 'transfer-encoding']);

/**
 * The exact bytes a shadow receives for one copy — request line, header section and framed
 * body — ready to be written on a pooled keep-alive connection. This is the one seam between
 * "what a copy is" (the message, gor's Host rule, the user's modifiers) and "how it is sent"
 * (http-output.ts): the sender writes these buffers and nothing else.
 *
 * A copy is production's request as received, edited in place (README "What a shadow
 * receives"): Host is the destination's unless preserved; the destination's path prefix
 * goes before the target; the connection's own fields go (CONNECTION_FIELDS); an HTTP/1.0
 * request line says HTTP/1.1, because our connection is a persistent HTTP/1.1 one (a 1.0
 * request asks the shadow to close it after answering, and a 1.0 body is always
 * Content-Length framed, so nothing else changes); a body stored without framing gets a
 * Content-Length. The body is sent as received, chunked framing included.
 */
export function shadowWireBytes(msg: RequestMessage, dest: Destination, preserveHost: boolean): Buffer[] {
  let listed: Set<string> | undefined;
  let host: string | undefined;
  for (const h of msg.headers) {
    if (sameName(h.name, 'connection')) {
      for (const token of h.value.split(',')) {
        const t = token.trim().toLowerCase();
        if (t !== '' && !NEVER_LISTED.has(t)) (listed ??= new Set()).add(t);
      }
    } else if (host === undefined && sameName(h.name, 'host')) host = h.value;
  }
  const drop = listed === undefined ? dropConnectionField : (lower: string) => CONNECTION_FIELDS.has(lower) || listed.has(lower);
  const head = requestHead(msg, {
    target: dest.prefix === '' ? msg.target : requestPath(msg.target, dest.prefix),
    version: msg.version === 'HTTP/1.0' ? 'HTTP/1.1' : msg.version,
    host: preserveHost && host !== undefined ? host : dest.host,
    drop,
    frameBody: true,
  });
  // The body's pieces as read (a 64 KiB POST usually arrives in two): written with one writev.
  const parts = requestBodyParts(msg);
  return parts.length === 0 ? [head] : [head, ...parts];
}

function dropConnectionField(lower: string): boolean {
  return CONNECTION_FIELDS.has(lower);
}

/** Bytes a queued request holds, for the queue's byte bound (the body dominates). */
export function estimateSize(msg: RequestMessage): number {
  // From the raw bytes when there are some: reading `body` would decode a chunked body.
  if (msg.raw) return 64 + msg.raw.head.bytes.length + msg.raw.bodyLength;
  let n = 64 + msg.method.length + msg.target.length + msg.body.length;
  for (const h of msg.headers) n += h.name.length + h.value.length + 4;
  return n;
}

// ErrorKind lives in core/output.ts beside DropReason; re-exported for http-output.ts's import.
export type { ErrorKind };

const CODE_KINDS: Record<string, ErrorKind> = {
  ECONNREFUSED: 'connect_refused',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  ECONNABORTED: 'reset',
  UND_ERR_SOCKET: 'reset', // "other side closed"
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  ETIMEDOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'tls',
  SELF_SIGNED_CERT_IN_CHAIN: 'tls',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'tls',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'tls',
  CERT_HAS_EXPIRED: 'tls',
  ERR_TLS_CERT_ALTNAME_INVALID: 'tls',
};

/** Walks the error and its causes (undici wraps socket errors) for a known code. */
export function classifyError(err: unknown): ErrorKind {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      const kind = CODE_KINDS[code];
      if (kind) return kind;
      if (code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || code.startsWith('CERT_')) return 'tls';
    }
    e = (e as { cause?: unknown }).cause;
  }
  return 'other';
}
