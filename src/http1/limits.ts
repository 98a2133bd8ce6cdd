/**
 * Per-connection caps of the HTTP/1.1 framer. They bound memory, not behaviour: anything
 * over a cap stops mirroring the connection (desync), it never changes what the app gets.
 */

/** Request/response header section, and a chunked body's trailer section (default 64 KiB, Node's own limit is 16 KiB). */
export const MAX_HEADER_BYTES = 64 * 1024;

/** A chunk-size line including its extensions (RFC 9112 §7.1.1 sets no limit; llhttp's is similar in spirit). */
export const MAX_CHUNK_LINE_BYTES = 4 * 1024;

/**
 * Requests whose head was read but whose final response has not, that the tap still copies
 * for mirroring. Deeper pipelining goes on being framed and paired, and each request is
 * counted as dropped `pipeline_depth` instead of copied.
 */
export const MAX_PENDING_REQUESTS = 256;

/** Past this pipelining depth even counting stops: the connection desyncs (counted once). */
export const MAX_TRACKED_REQUESTS = 16_384;

/** Chunk-size hex digits after leading zeros: 13 hex digits stay below 2^53 (exact in a JS number). */
export const MAX_CHUNK_SIZE_DIGITS = 13;
