/**
 * The live page: one self-contained HTML document (no external assets, no build step). It
 * polls `api/report` for what the admin adds (live counters with their controls, the
 * instance), set with textContent; and `api/comparison.html` for the comparison, which is
 * compare's own rendering (src/compare/report-html.ts, the same as the .html report file,
 * escaped there: samples are real request and response bytes, i.e. attacker-controlled).
 *
 * @param base the admin surface's base path with a trailing slash ('/' or '/__traffic-duplicator/'),
 *   so the page's calls work under --admin-path as well as on --admin-listen.
 * @param comparisonCss compare's REPORT_CSS for its fragment ('' with comparison off).
 */
export function renderPage(base = '/', comparisonCss = ''): string {
  return PAGE.replace('__REPORT_CSS__', () => comparisonCss).replace('__BASE__', () => JSON.stringify(base));
}

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>traffic-duplicator</title>
<style>__REPORT_CSS__</style>
<style>
:root{--bg:#fff;--fg:#1d2330;--mute:#6b7280;--line:#e5e7eb;--bad:#b42318;--badbg:#fef3f2;--warn:#b54708;--ok:#067647;--noise:#6941c6;--noisebg:#f4f3ff}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:var(--fg);background:#f8fafc}
header{background:#111827;color:#fff;padding:12px 20px;display:flex;gap:18px;align-items:baseline;flex-wrap:wrap}
header h1{font-size:17px;margin:0}header .mute{color:#9ca3af}
main{padding:16px 20px;max-width:1400px}
section{background:var(--bg);border:1px solid var(--line);border-radius:8px;padding:12px 16px;margin-bottom:16px}
h2{font-size:15px;margin:0 0 8px}h3{font-size:14px;margin:14px 0 6px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--mute);font-size:12px;text-transform:uppercase;letter-spacing:.03em}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.mute{color:var(--mute)}.bad{color:var(--bad);font-weight:600}.ok{color:var(--ok)}.warn{color:var(--warn)}
.pill{display:inline-block;border-radius:10px;padding:0 7px;font-size:12px;margin:1px 2px;background:#f2f4f7}
.pill.difference{background:var(--badbg);color:var(--bad)}.pill.noise{background:var(--noisebg);color:var(--noise)}.pill.ignored{color:var(--mute)}
.note{font-size:12px;color:var(--mute);margin:4px 0 0}
.samples{display:grid;grid-template-columns:1fr 1fr;gap:6px;margin:4px 0 8px}
pre{margin:0;padding:6px 8px;background:#f8fafc;border:1px solid var(--line);border-radius:4px;white-space:pre-wrap;word-break:break-all;font-size:12px;max-height:140px;overflow:auto}
.endpoint{border-top:2px solid var(--line);padding-top:6px;margin-top:10px}
button{font:inherit;font-size:12px;padding:2px 8px;border:1px solid #d0d5dd;border-radius:4px;background:#fff;cursor:pointer}
input.pct{width:56px;font:inherit;font-size:12px}
#err{color:var(--bad)}
#candidates section{background:var(--bg);border:1px solid var(--line);border-radius:8px;padding:4px 16px 12px;margin-bottom:16px}
</style></head>
<body>
<header><h1>traffic-duplicator</h1><span>instance <b id="instance">…</b></span><span class="mute" id="updated"></span><span class="mute" id="comparison"></span><span id="err"></span></header>
<main>
<p class="note" id="instance-note"></p>
<section><h2>Destinations (live counters)</h2><table id="counters"><thead><tr>
<th>destination</th><th>seen</th><th>mirrored</th><th>dropped (by reason)</th><th>errors (by kind)</th><th>queue</th><th>control</th></tr></thead><tbody></tbody></table>
<p class="note" id="tap"></p></section>
<div id="candidates"></div>
</main>
<script>
"use strict";
const BASE = __BASE__;
function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) { if (k === 'class') e.className = v; else if (k.startsWith('on')) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v); }
  for (const k of kids.flat()) if (k !== undefined && k !== null) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
}
const num = (n) => (n === undefined || n === null ? '–' : Number(n).toLocaleString('en-US'));
const pills = (obj, cls) => Object.entries(obj || {}).filter(([, v]) => v > 0).map(([k, v]) => h('span', { class: 'pill ' + (cls || '') }, k + ' ' + num(v)));
async function control(params) {
  const r = await fetch(BASE + 'api/control', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(params), credentials: 'same-origin' });
  if (!r.ok) document.getElementById('err').textContent = 'control: ' + (await r.text());
  refresh();
}
function countersRow(c) {
  const ctl = c.control;
  const controls = ctl ? [
    ctl.paused ? h('button', { onclick: () => control({ action: 'resume', dest: c.dest }) }, 'resume') : h('button', { onclick: () => control({ action: 'pause', dest: c.dest }) }, 'pause'),
    ' sample ', h('input', { class: 'pct', type: 'number', min: '0', max: '100', value: String(ctl.sample_percent), onchange: (ev) => control({ action: 'sample', dest: c.dest, percent: ev.target.value }) }), '%',
    ctl.paused ? h('span', { class: 'pill warn' }, 'paused') : null,
  ] : [];
  return h('tr', {}, h('td', {}, c.dest), h('td', { class: 'n' }, num(c.seen)), h('td', { class: 'n' }, num(c.mirrored)),
    h('td', {}, pills(c.dropped)), h('td', {}, pills(c.errors, 'difference')), h('td', { class: 'n' }, num(c.queue_depth)), h('td', {}, controls));
}
// The comparison is re-drawn every poll: keep the samples the user opened (or closed) as they were.
function detailsKey(d) {
  const dest = d.closest('[data-url]'), ep = d.closest('[data-endpoint]'), row = d.closest('[data-path]');
  return [dest && dest.dataset.url, ep && ep.dataset.endpoint, row && row.dataset.path, d.querySelector('summary') && d.querySelector('summary').textContent].join('|');
}
async function refreshComparison() {
  const res = await fetch(BASE + 'api/comparison.html', { credentials: 'same-origin', cache: 'no-store' });
  if (!res.ok) throw new Error('HTTP ' + res.status);
  const html = await res.text();
  const c = document.getElementById('candidates');
  const open = new Map([...c.querySelectorAll('details')].map((d) => [detailsKey(d), d.open]));
  // Escaped by the server (compare's renderer); the CSP forbids inline handlers' sources anyway.
  c.innerHTML = html;
  for (const d of c.querySelectorAll('details')) { const k = detailsKey(d); if (open.has(k)) d.open = open.get(k); }
}
function render(r) {
  document.getElementById('instance').textContent = r.instance;
  document.getElementById('instance-note').textContent = r.instance_note;
  document.getElementById('updated').textContent = 'updated ' + new Date(r.updated).toLocaleTimeString();
  document.getElementById('comparison').textContent = 'comparison ' + r.comparison;
  document.querySelector('#counters tbody').replaceChildren(...r.counters.map(countersRow));
  const t = r.tap || {};
  document.getElementById('tap').textContent = 'tap: ' + num(t.seen) + ' requests framed' + Object.entries(t.dropped || {}).map(([k, v]) => ', ' + k + ' ' + num(v)).join('');
  const c = document.getElementById('candidates');
  if (r.comparison !== 'on') c.replaceChildren(h('section', {}, h('h2', {}, 'Comparison is off'), h('p', { class: 'mute' }, 'Start with --compare to compare each --output-http destination\\'s answers with production\\'s.')));
}
async function refresh() {
  try {
    const res = await fetch(BASE + 'api/report', { credentials: 'same-origin', cache: 'no-store' });
    if (!res.ok) throw new Error('HTTP ' + res.status);
    const r = await res.json();
    render(r);
    if (r.comparison === 'on') await refreshComparison();
    document.getElementById('err').textContent = '';
    document.body.dataset.loaded = 'true';
  } catch (e) { document.getElementById('err').textContent = 'refresh failed: ' + e.message; }
}
refresh();
setInterval(refresh, 2000);
</script>
</body></html>
`;
