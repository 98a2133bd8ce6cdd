import { sameName, type Header, type RequestMessage, type ResponseMessage } from '../core/message.js';

/**
 * Writes a Message back as HTTP/1.1 bytes: start line, the headers in their original
 * order and case, then the body.
 *
 * A Message's body is already de-chunked, so its original framing headers can be wrong
 * for it: `Transfer-Encoding: chunked` would make the receiver wait for chunk sizes that
 * are not there, and a Content-Length may be stale after a rewrite. GoReplay is known to
 * corrupt exactly this (it replays a de-chunked body under the original TE/CL headers),
 * and a shadow must receive a correctly framed body — so we replace `Transfer-Encoding`
 * with a correct `Content-Length` at the same position and fix any Content-Length.
 * Trailers cannot follow a Content-Length body and are not written (RFC 9110 §6.5.1
 * discourages merging them into the header section).
 *
 * Bodiless messages stay bodiless: a GET without framing headers gets no
 * `Content-Length: 0`. A response with an empty body keeps its Content-Length as is,
 * because it may answer a HEAD or be a 304, where Content-Length describes the
 * representation, not these bytes (RFC 9110 §8.6).
 */
export function serializeRequest(msg: RequestMessage): Buffer {
  const head = `${msg.method} ${msg.target} ${msg.version}\r\n`;
  return assemble(head, frameHeaders(msg.headers, msg.body.length, true), msg.body);
}

export function serializeResponse(msg: ResponseMessage): Buffer {
  const head = `${msg.version} ${msg.status}${msg.reason ? ' ' + msg.reason : ' '}\r\n`;
  return assemble(head, frameHeaders(msg.headers, msg.body.length, false), msg.body);
}

function frameHeaders(headers: readonly Header[], bodyLength: number, isRequest: boolean): readonly Header[] {
  let hasFraming = false;
  for (const h of headers) {
    if (sameName(h.name, 'content-length') || sameName(h.name, 'transfer-encoding')) {
      hasFraming = true;
      break;
    }
  }
  if (!hasFraming) {
    // A body with no framing ("rest of the bytes" in some captures) needs a length to be sent on.
    return bodyLength > 0 ? [...headers, { name: 'Content-Length', value: String(bodyLength) }] : headers;
  }
  const keepResponseLength = !isRequest && bodyLength === 0 && headers.some((h) => sameName(h.name, 'content-length'));
  if (keepResponseLength) return headers.filter((h) => !sameName(h.name, 'transfer-encoding'));
  const out: Header[] = [];
  let placed = false;
  for (const h of headers) {
    const isCl = sameName(h.name, 'content-length');
    if (!isCl && !sameName(h.name, 'transfer-encoding')) {
      out.push(h);
    } else if (!placed) {
      out.push({ name: isCl ? h.name : 'Content-Length', value: String(bodyLength) });
      placed = true;
    }
  }
  return out;
}

function assemble(startLine: string, headers: readonly Header[], body: Buffer): Buffer {
  let head = startLine;
  for (const h of headers) head += `${h.name}: ${h.value}\r\n`;
  head += '\r\n';
  const headBytes = Buffer.from(head, 'latin1');
  return body.length === 0 ? headBytes : Buffer.concat([headBytes, body], headBytes.length + body.length);
}
