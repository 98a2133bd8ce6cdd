import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { Comparator } from '../../src/compare/comparator.js';
import { renderReportHtml } from '../../src/compare/report-html.js';
import type { ResponseMessage } from '../../src/core/message.js';

const answer = (type: ResponseMessage['type'], id: string, status: number, body: unknown): ResponseMessage => ({
  type, id, startNs: 0n, latencyNs: 1_000_000n, version: 'HTTP/1.1', status, reason: '',
  headers: [{ name: 'content-type', value: 'application/json' }], body: Buffer.from(JSON.stringify(body)),
});

test('the HTML report is one self-contained page with the findings, and escapes what the apps said', async () => {
  const c = new Comparator({ destinations: [{ name: 'http://cand/', role: 'candidate' }], samplePercent: 100, maxBodyBytes: 1 << 20, ignore: [], routes: [], redact: [] });
  c.expect('http://cand/', { type: 'request', id: 'r1', startNs: 0n, method: 'GET', target: '/p/1?q=<x>', version: 'HTTP/1.1', headers: [], body: Buffer.alloc(0) });
  c.production(answer('response', 'r1', 200, { name: '<script>alert(1)</script>' }));
  c.answer('http://cand/', answer('replayed-response', 'r1', 500, { name: 'ok' }));
  for (let i = 0; i < 1000 && c.report().store.pending > 0; i++) await tick();
  const html = renderReportHtml(c.report(), { title: 'T', refreshSeconds: 5 });
  c.close();
  assert.match(html, /^<!doctype html>/);
  assert.match(html, /<meta http-equiv="refresh" content="5">/);
  assert.doesNotMatch(html, /<script/i, 'no script, not even the one production answered');
  assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.doesNotMatch(html, /\b(src|href)="(https?:)?\/\//, 'no external assets');
  for (const s of ['GET /p/:id', 'body.name', 'difference', '200→500', 'http://cand/']) assert.ok(html.includes(s), s);
});
