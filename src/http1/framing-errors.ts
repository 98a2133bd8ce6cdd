/**
 * Why a byte stream could not be framed as HTTP/1.1. Each reason is a stable code: it is
 * logged as `at=tap-desync reason=<code>` and returned by the whole-message parsers.
 *
 * These are the shapes that RFC 9112 tells a server to reject (or that two parsers could
 * frame differently — request smuggling). A mirror that guessed would send its shadows a
 * different message than the app received, so we stop mirroring instead.
 */
export type FramingErrorReason =
  | 'bare_lf' // a line ended in LF without CR (RFC 9112 §2.2: we do not accept it)
  | 'bare_cr' // a CR not followed by LF (RFC 9112 §2.2: MUST be rejected or replaced)
  | 'obs_fold' // a field line starting with SP/HTAB (RFC 9112 §5.2: obsolete line folding)
  | 'header_too_large' // header or trailer section over the cap (see limits.ts)
  | 'bad_request_line' // not `method SP target SP version` (HTTP/0.9, garbage)
  | 'bad_status_line'
  | 'bad_version' // not HTTP/1.0 or HTTP/1.1
  | 'bad_header_name' // empty, not a token, or whitespace before the colon (RFC 9112 §5.1)
  | 'bad_header_value' // control characters in a field value (RFC 9110 §5.5)
  | 'cl_and_te' // Content-Length with Transfer-Encoding (RFC 9112 §6.1: smuggling vector)
  | 'duplicate_content_length' // more than one Content-Length field (RFC 9112 §6.3 rule 5)
  | 'bad_content_length' // not 1*DIGIT, or a list
  | 'unsupported_transfer_encoding' // anything but exactly `chunked` (RFC 9112 §6.3 rule 4)
  | 'bad_chunk_size' // chunk-size not 1*HEXDIG, or too large (RFC 9112 §7.1)
  | 'chunk_line_too_long' // chunk-size line (with extensions) over the cap
  | 'bad_chunk_end' // chunk-data not followed by CRLF
  | 'too_many_pipelined' // more requests in flight than we keep for pairing
  | 'upgrade_overflow'; // too many bytes after an Upgrade/CONNECT request before its answer

export class FramingError extends Error {
  readonly reason: FramingErrorReason;
  constructor(reason: FramingErrorReason, detail?: string) {
    super(detail ? `${reason}: ${detail}` : reason);
    this.name = 'FramingError';
    this.reason = reason;
  }
}

export function isFramingError(e: unknown): e is FramingError {
  return e instanceof FramingError;
}
