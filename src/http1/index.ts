/**
 * HTTP/1.1 framing (RFC 9112) for mirroring: whole-message parse/serialize for the .gor
 * codec and middleware, and the pieces the tap streams through.
 */
export { parseRequestBytes, parseResponseBytes, type ParseResult } from './message-parser.js';
export { serializeRequest, serializeResponse } from './serialize.js';
export { FramingError, isFramingError, type FramingErrorReason } from './framing-errors.js';
export { MAX_HEADER_BYTES } from './limits.js';
export { StreamParser, type StreamHooks, type HeadDecision, type AfterMessage } from './stream-parser.js';
export { requestFraming, responseFraming, mayLeaveHttp, type BodyFraming } from './framing.js';
export { parseRequestHead, parseResponseHead, type RequestHead, type ResponseHead } from './head-parser.js';
export { BodyCollector } from './body-collector.js';
