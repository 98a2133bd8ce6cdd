import { diffJson, type Redact } from './diff-json.js';
import { diffText } from './diff-text.js';
import { clip, MAX_DIFFS_PER_PAIR, type FieldDiff } from './field-diff.js';
import type { BodyView, ResponseView } from './response-view.js';

/** Every difference between production's answer and a candidate's: status, headers, body. */
export function diffResponses(prod: ResponseView, cand: ResponseView, redact: Redact): FieldDiff[] {
  const out: FieldDiff[] = [];
  if (prod.status !== cand.status) out.push({ path: 'status', kind: 'changed', production: String(prod.status), candidate: String(cand.status) });
  const showHeader = (name: string, v: string | undefined) => (v === undefined ? '(absent)' : redact(name) ? '[redacted]' : clip(v));
  for (const [name, v] of prod.headers) {
    const w = cand.headers.get(name);
    if (w === v) continue;
    out.push({ path: `header.${name}`, kind: w === undefined ? 'missing' : 'changed', production: showHeader(name, v), candidate: showHeader(name, w) });
  }
  for (const [name, w] of cand.headers) {
    if (!prod.headers.has(name)) out.push({ path: `header.${name}`, kind: 'extra', production: '(absent)', candidate: showHeader(name, w) });
  }
  for (const d of diffBodies(prod.body, cand.body, redact)) {
    if (out.length >= MAX_DIFFS_PER_PAIR) break;
    out.push(d);
  }
  return out;
}

function describe(b: BodyView): string {
  switch (b.kind) {
    case 'empty':
      return '(empty)';
    case 'json':
      return 'JSON';
    case 'text':
      return clip(`text: ${b.text}`);
    case 'binary':
      return `${b.bytes} bytes sha1:${b.hash.slice(0, 12)}`;
  }
}

export function diffBodies(a: BodyView, b: BodyView, redact: Redact): FieldDiff[] {
  if (a.kind === 'json' && b.kind === 'json') return diffJson(a.value, b.value, redact);
  if (a.kind === 'text' && b.kind === 'text') return diffText(a.text, b.text);
  if (a.kind === 'binary' && b.kind === 'binary') {
    return a.hash === b.hash ? [] : [{ path: 'body', kind: 'hash', production: describe(a), candidate: describe(b) }];
  }
  if (a.kind === 'empty' && b.kind === 'empty') return [];
  return [{ path: 'body', kind: 'type_changed', production: describe(a), candidate: describe(b) }];
}
