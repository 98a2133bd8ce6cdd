import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { getHeader, type Header } from '../core/message.js';

/**
 * Removes a response's content coding (gzip, deflate, br) so that two answers compressed
 * differently still compare equal. The decoded size is capped: a small gzip bomb must not
 * become a gigabyte in our 512 MB dyno (zlib stops at maxOutputLength and throws).
 */
export type Decoded = { readonly ok: true; readonly body: Buffer } | { readonly ok: false; readonly reason: 'body_too_large' | 'undecodable' };

export function decodeBody(headers: readonly Header[], body: Buffer, maxBytes: number): Decoded {
  const coding = (getHeader(headers, 'content-encoding') ?? '').trim().toLowerCase();
  if (coding === '' || coding === 'identity') return { ok: true, body };
  // Several codings are applied in order (RFC 9110 §8.4): undo them last first.
  const codings = coding.split(',').map((c) => c.trim()).filter((c) => c !== '' && c !== 'identity').reverse();
  let out = body;
  try {
    for (const c of codings) {
      const opts = { maxOutputLength: Math.max(1, maxBytes) };
      if (c === 'gzip' || c === 'x-gzip') out = gunzipSync(out, opts);
      else if (c === 'br') out = brotliDecompressSync(out, opts);
      else if (c === 'deflate') out = inflateDeflate(out, opts);
      else return { ok: false, reason: 'undecodable' };
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, reason: code === 'ERR_BUFFER_TOO_LARGE' ? 'body_too_large' : 'undecodable' };
  }
  return { ok: true, body: out };
}

/** "deflate" is meant to be zlib-wrapped, but some servers send raw deflate: accept both. */
function inflateDeflate(b: Buffer, opts: { maxOutputLength: number }): Buffer {
  try {
    return inflateSync(b, opts);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw err;
    return inflateRawSync(b, opts);
  }
}
