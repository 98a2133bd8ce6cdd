/**
 * Minimal raw HTTP/1.1 <-> RequestMessage conversion for the pipeline tests (Content-Length
 * bodies only; the real parser lives in src/http1 and is tested there). Latin1, like the
 * real parser: one char per byte.
 */
import type { Header, RequestMessage } from '../../src/core/message.js';

export function parseRaw(raw: string): RequestMessage {
  const headEnd = raw.indexOf('\r\n\r\n');
  if (headEnd < 0) throw new Error(`no end of head in ${JSON.stringify(raw)}`);
  const [requestLine = '', ...lines] = raw.slice(0, headEnd).split('\r\n');
  const [method = '', target = '', version = ''] = requestLine.split(' ');
  const headers: Header[] = lines.map((line) => {
    const colon = line.indexOf(':');
    return { name: line.slice(0, colon), value: line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '') };
  });
  return {
    type: 'request',
    id: '0123456789abcdef01234567',
    startNs: 1n,
    method,
    target,
    version,
    headers,
    body: Buffer.from(raw.slice(headEnd + 4), 'latin1'),
  };
}

export function toRaw(msg: RequestMessage): string {
  let out = `${msg.method} ${msg.target} ${msg.version}\r\n`;
  for (const h of msg.headers) out += `${h.name}: ${h.value}\r\n`;
  return out + '\r\n' + msg.body.toString('latin1');
}

/** Freezes a message and its header array and fields, so a test catches any mutation. */
export function deepFreeze(msg: RequestMessage): RequestMessage {
  for (const h of msg.headers) Object.freeze(h);
  Object.freeze(msg.headers);
  return Object.freeze(msg);
}
