import type { Row } from './stats.js';
import type { Workload } from './wrk.js';

/**
 * A hand-written SVG: two panels (req/s, p99 latency), one group of bars per workload,
 * one bar per contender, values printed on the bars. No dependencies, readable on GitHub.
 */
const COLORS: Record<string, string> = {
  direct: '#9e9e9e',
  'td-1': '#90caf9',
  'td-2': '#1e88e5',
  'td-2-w64': '#5c6bc0',
  'td-3': '#0d47a1',
  'nginx-1': '#a5d6a7',
  'nginx-2': '#43a047',
  'nginx-3': '#1b5e20',
};

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function panel(rows: Row[], workloads: Workload[], contenders: string[], y0: number, title: string, value: (r: Row) => number, unit: (v: number) => string): string {
  const W = 960, H = 260, left = 70, right = 20, top = 30, bottom = 40;
  const plotW = W - left - right, plotH = H - top - bottom;
  const vmax = niceMax(Math.max(...rows.map(value).filter(Number.isFinite)));
  const groupW = plotW / workloads.length;
  const barW = Math.min(36, (groupW * 0.8) / contenders.length);
  const parts: string[] = [`<g transform="translate(0,${y0})">`, `<text x="${left}" y="18" font-size="14" font-weight="bold">${esc(title)}</text>`];
  for (let i = 0; i <= 4; i++) {
    const v = (vmax * i) / 4, y = top + plotH - (plotH * i) / 4;
    parts.push(`<line x1="${left}" x2="${W - right}" y1="${y}" y2="${y}" stroke="#e0e0e0"/>`);
    parts.push(`<text x="${left - 6}" y="${y + 4}" font-size="11" text-anchor="end" fill="#555">${esc(unit(v))}</text>`);
  }
  workloads.forEach((w, gi) => {
    const gx = left + gi * groupW + (groupW - barW * contenders.length) / 2;
    contenders.forEach((c, ci) => {
      const r = rows.find((x) => x.contender === c && x.workload === w.name);
      if (!r || !Number.isFinite(value(r))) return;
      const h = (plotH * value(r)) / vmax, x = gx + ci * barW, y = top + plotH - h;
      parts.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(barW - 3).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[c] ?? '#777'}"><title>${esc(`${c} ${w.name}: ${unit(value(r))}`)}</title></rect>`);
      parts.push(`<text x="${(x + (barW - 3) / 2).toFixed(1)}" y="${(y - 3).toFixed(1)}" font-size="9" text-anchor="middle" fill="#333">${esc(unit(value(r)))}</text>`);
    });
    parts.push(`<text x="${(left + gi * groupW + groupW / 2).toFixed(1)}" y="${top + plotH + 18}" font-size="12" text-anchor="middle">${esc(w.label)}</text>`);
  });
  parts.push(`<line x1="${left}" x2="${W - right}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/>`, '</g>');
  return parts.join('\n');
}

export function chartSvg(rows: Row[], workloads: Workload[], contenders: string[], subtitle: string): string {
  const W = 960;
  const legend = contenders
    .map((c, i) => `<rect x="${70 + i * 105}" y="34" width="12" height="12" fill="${COLORS[c] ?? '#777'}"/><text x="${86 + i * 105}" y="45" font-size="12">${esc(c)}</text>`)
    .join('\n');
  const k = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(v >= 10_000 ? 0 : 1)}k` : v.toFixed(0));
  const msf = (v: number) => (v >= 10 ? `${v.toFixed(0)}ms` : `${v.toFixed(1)}ms`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="620" viewBox="0 0 ${W} 620" font-family="sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
<text x="70" y="22" font-size="16" font-weight="bold">traffic-duplicator vs nginx mirror vs direct (td-N / nginx-N: N shadow destinations)</text>
<text x="${W - 20}" y="612" font-size="11" text-anchor="end" fill="#555">${esc(subtitle)}</text>
${legend}
${panel(rows, workloads, contenders, 60, 'Throughput, requests/s (higher is better)', (r) => r.rps, k)}
${panel(rows, workloads, contenders, 340, 'p99 latency, ms (lower is better)', (r) => r.p99, msf)}
</svg>
`;
}
