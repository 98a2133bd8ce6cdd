import type { CompareReport, DestinationReport, EndpointReport, FieldReport, Percentiles } from './types.js';

/**
 * The report as HTML: per destination, endpoints sorted by difference rate, status changes,
 * differing fields with their noise beside them, side-by-side samples, latency. One
 * implementation for both views: `renderReportHtml` is the self-contained page that
 * --compare-report FILE.html writes; `renderComparisonHtml` (with `REPORT_CSS`) is the same
 * content as a fragment, which the admin live page polls and inserts (src/admin/page.ts).
 * Every value from the report goes through escapeHtml: samples are real request and response
 * bytes, i.e. attacker-controlled.
 */
export interface RenderOptions {
  /** Page title (default "traffic-duplicator: comparison"). */
  readonly title?: string;
  /** Seconds between reloads (a <meta refresh>); none by default. */
  readonly refreshSeconds?: number;
}

export function escapeHtml(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Styles for the report's markup; the live page embeds them too. */
export const REPORT_CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}
h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.2em;margin:1.5em 0 .3em;border-bottom:2px solid #ddd}
h3{font-size:1.05em;margin:1.2em 0 .3em}.meta{color:#666}
table{border-collapse:collapse;margin:.3em 0 .8em}td,th{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f5f5f5}.num{text-align:right;font-variant-numeric:tabular-nums}
.difference{color:#b00020;font-weight:600}.noise{color:#8a6d00}.ignored{color:#777}
.bad{background:#fdecea}.ok{background:#eef8ee}code,pre{font:12px ui-monospace,monospace}
pre{margin:0;white-space:pre-wrap;word-break:break-all;max-width:40em}
details{margin:.2em 0}.slower{color:#b00020}.faster{color:#1b5e20}
`;

export function renderReportHtml(report: CompareReport, opts: RenderOptions = {}): string {
  const title = opts.title ?? 'traffic-duplicator: comparison';
  const refresh = opts.refreshSeconds ? `<meta http-equiv="refresh" content="${Math.max(1, Math.floor(opts.refreshSeconds))}">` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">${refresh}
<title>${escapeHtml(title)}</title><style>${REPORT_CSS}</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">instance <b data-instance>${escapeHtml(report.instance)}</b> · started ${escapeHtml(report.started)} · updated ${escapeHtml(report.updated)}.
With several instances (dynos), each compares only the requests it received.</p>
${renderComparisonHtml(report)}
</body></html>
`;
}

/** The comparison itself (no document around it): what the store holds, then each destination. */
export function renderComparisonHtml(report: CompareReport): string {
  const st = report.store;
  return `<p class="meta">${report.sample_percent}% of requests compared · store ${kb(st.bytes)} of ${kb(st.max_bytes)}, ${st.pending} pending${st.samples_dropped ? `, ${st.samples_dropped} samples not kept` : ''}${st.errors ? `, ${st.errors} comparison errors` : ''}.</p>
${report.destinations.map(destinationHtml).join('\n')}`;
}

function kb(n: number): string {
  return n >= 1048576 ? `${(n / 1048576).toFixed(1)} MB` : `${Math.round(n / 1024)} KB`;
}

function destinationHtml(d: DestinationReport): string {
  const unpaired = Object.entries(d.unpaired);
  const anomalies = Object.entries(d.anomalies ?? {});
  return `<section class="destination" data-url="${escapeHtml(d.url)}">
<h2>${d.role === 'control' ? 'Control' : 'Candidate'} <code>${escapeHtml(d.url)}</code></h2>
<p>${d.compared} compared, <span class="${d.different ? 'difference' : ''}">${d.different} different</span> (${rate(d.different, d.compared)})${
    unpaired.length ? ` · not compared: ${unpaired.map(([k, n]) => `${escapeHtml(k)} ${n}`).join(', ')}` : ''
  }${anomalies.length ? ` · odd answers: ${anomalies.map(([k, n]) => `${escapeHtml(k)} ${n}`).join(', ')}` : ''}${
    d.endpoints_overflow ? ` · ${d.endpoints_overflow} pairs on endpoints past the cap (OTHER /*)` : ''
  }</p>
<table class="endpoints"><tr><th>endpoint</th><th class="num">compared</th><th class="num">different</th><th>statuses (production → ${d.role})</th><th class="num">p50 Δ ms</th><th class="num">p99 Δ ms</th></tr>
${d.endpoints
  .map(
    (e) => `<tr class="${e.different ? 'bad' : 'ok'}"><td><a href="#${anchor(d, e)}"><code>${escapeHtml(e.method)} ${escapeHtml(e.route)}</code></a></td><td class="num">${e.compared}</td><td class="num">${e.different} (${rate(e.different, e.compared)})</td><td>${statusesText(e)}</td><td class="num">${delta(e.latency_ms.delta.p50)}</td><td class="num">${delta(e.latency_ms.delta.p99)}</td></tr>`,
  )
  .join('\n')}
</table>
${d.endpoints.map((e) => endpointHtml(d, e)).join('\n')}
</section>`;
}

function anchor(d: DestinationReport, e: EndpointReport): string {
  return encodeURIComponent(`${d.url} ${e.method} ${e.route}`).replace(/%/g, '_');
}

function rate(n: number, of: number): string {
  return of === 0 ? '–' : `${Math.round((n / of) * 1000) / 10}%`;
}

function delta(ms: number): string {
  const cls = ms > 0 ? 'slower' : ms < 0 ? 'faster' : '';
  return `<span class="${cls}">${ms > 0 ? '+' : ''}${ms}</span>`;
}

function statusesText(e: EndpointReport): string {
  const parts: string[] = [];
  for (const [p, row] of Object.entries(e.statuses)) {
    for (const [c, n] of Object.entries(row)) parts.push(p === c ? `${escapeHtml(p)} ×${n}` : `<span class="difference">${escapeHtml(p)}→${escapeHtml(c)} ×${n}</span>`);
  }
  return parts.join(', ');
}

function pctRow(name: string, p: Percentiles): string {
  return `<tr><td>${name}</td><td class="num">${p.p50}</td><td class="num">${p.p90}</td><td class="num">${p.p99}</td><td class="num">${p.count}</td></tr>`;
}

function endpointHtml(d: DestinationReport, e: EndpointReport): string {
  const l = e.latency_ms;
  return `<div class="endpoint" id="${anchor(d, e)}" data-endpoint="${escapeHtml(e.method)} ${escapeHtml(e.route)}">
<h3><code>${escapeHtml(e.method)} ${escapeHtml(e.route)}</code> — ${e.different} of ${e.compared} different</h3>
<table class="latency"><tr><th>latency ms</th><th class="num">p50</th><th class="num">p90</th><th class="num">p99</th><th class="num">n</th></tr>
${pctRow('production', l.production)}${pctRow(d.role, l.candidate)}${pctRow(`Δ (${d.role} − production)`, l.delta)}</table>
${
  e.fields.length === 0
    ? '<p>No differing fields.</p>'
    : `<table class="fields"><tr><th>field</th><th>kind</th><th class="num">different</th><th class="num">noise</th><th>verdict</th><th>samples (production | ${d.role})</th></tr>
${e.fields.map((f) => fieldHtml(f, d.role)).join('\n')}</table>`
}${e.fields_overflow ? `<p>${e.fields_overflow} more differing fields not kept (cap).</p>` : ''}
</div>`;
}

function fieldHtml(f: FieldReport, role: DestinationReport['role']): string {
  const samples = f.samples
    .map(
      (s, i) => `<details${i === 0 ? ' open' : ''}><summary><code>${escapeHtml(s.method)} ${escapeHtml(s.target)}</code></summary><table><tr><th>production</th><th>${role}</th></tr><tr><td><pre>${escapeHtml(s.production)}</pre></td><td><pre>${escapeHtml(s.candidate)}</pre></td></tr></table></details>`,
    )
    .join('');
  return `<tr data-path="${escapeHtml(f.path)}" data-verdict="${f.verdict}"><td><code>${escapeHtml(f.path)}</code></td><td>${escapeHtml(f.kind)}</td><td class="num">${f.different}</td><td class="num">${f.noise}</td><td class="${f.verdict}" title="${escapeHtml(f.reason ?? '')}">${f.verdict}</td><td>${samples}</td></tr>`;
}
