/**
 * The few views of a request gor's modifiers use (gor's proto/proto.go), expressed on our
 * parsed RequestMessage instead of raw bytes. Each function notes where it follows gor.
 */
import type { Header, RequestMessage } from '../core/message.js';
import { sameName, withChanges } from '../core/message.js';

/**
 * gor's `proto.Header`: the FIRST field whose name matches case-insensitively, its value
 * trimmed of bytes below 0x21 at both ends; '' when absent, and a present but empty value
 * is treated exactly like a missing header. (gor's reader differs on one spelling: it keeps
 * one space of `Name: ` with nothing after it, so there a filter sees a present ' '. We read
 * `Name: ` and `Name:` alike; docs/coming-from-gor.md lists it among the differences.)
 */
export function gorHeader(headers: readonly Header[], name: string): string {
  for (const h of headers) if (sameName(h.name, name)) return trimControls(h.value);
  return '';
}

function trimControls(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && value.charCodeAt(start) < 0x21) start++;
  while (end > start && value.charCodeAt(end - 1) < 0x21) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

/**
 * gor's `proto.SetHeader`: replaces the value of the FIRST field with that name (keeping
 * its spelling, its position and any later duplicates); if there is none, inserts the
 * field FIRST, right after the request line. Returns the same message when the value is
 * already that.
 */
export function gorSetHeader(req: RequestMessage, name: string, value: string): RequestMessage {
  const headers = req.headers;
  let i = 0;
  while (i < headers.length && !sameName(headers[i]!.name, name)) i++;
  if (i === headers.length) return withChanges(req, { headers: [{ name, value }, ...headers] });
  const found = headers[i]!;
  if (found.value === value) return req;
  const next = headers.slice();
  next[i] = { name: found.name, value };
  return withChanges(req, { headers: next });
}

export function withTarget(req: RequestMessage, target: string): RequestMessage {
  return target === req.target ? req : withChanges(req, { target });
}

/**
 * A query parameter as gor's `proto.PathParam` finds it in the request-target: the first
 * `&name=`, or failing that the first `?name=`; the value runs to the next `&` or the end
 * of the target. Not URL-decoded. Build once per parameter name (no allocation per request).
 */
export class GorParam {
  readonly #amp: string;
  readonly #question: string;
  constructor(readonly name: string) {
    this.#amp = `&${name}=`;
    this.#question = `?${name}=`;
  }

  /** Where the value starts in `target`, or -1 when the parameter is absent. */
  valueStart(target: string): number {
    let at = target.indexOf(this.#amp);
    if (at < 0) at = target.indexOf(this.#question);
    return at < 0 ? -1 : at + this.#amp.length;
  }

  /** Where the value that starts at `start` ends. */
  static valueEnd(target: string, start: number): number {
    const amp = target.indexOf('&', start);
    return amp < 0 ? target.length : amp;
  }

  /** gor's `proto.SetPathParam`: replace the value where found, else append `?name=value` or `&name=value`. */
  set(target: string, value: string): string {
    const start = this.valueStart(target);
    if (start >= 0) return target.slice(0, start) + value + target.slice(GorParam.valueEnd(target, start));
    return `${target}${target.includes('?') ? '&' : '?'}${this.name}=${value}`;
  }
}
