import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Summarises V8 .cpuprofile files written by `node --cpu-prof`: self time per function
 * (file:line), the hottest first, and the same summed per file. Used by
 * `npm run bench -- --profile` to say where our proxy spends its CPU.
 */
interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

export function summarise(dir: string, root: string, top = 30): string {
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const perFile = new Map<string, number>();
  let total = 0;
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.cpuprofile'))) {
    const p = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Profile;
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const keyOf = (n: Node) => {
      const url = n.callFrame.url.replace(`file://${root}/`, '').replace(/^file:\/\//, '');
      return `${n.callFrame.functionName || '(anonymous)'}  ${url ? `${url}:${n.callFrame.lineNumber + 1}` : '(native)'}`;
    };
    p.samples.forEach((id, i) => {
      const dt = p.timeDeltas[i] ?? 0;
      const n = byId.get(id);
      if (!n) return;
      const url = n.callFrame.url.replace(`file://${root}/`, '').replace(/^file:\/\//, '');
      const where = url ? `${url}:${n.callFrame.lineNumber + 1}` : '(native)';
      const key = `${n.callFrame.functionName || '(anonymous)'}  ${where}`;
      self.set(key, (self.get(key) ?? 0) + dt);
      // Inclusive: every distinct frame on the stack gets the sample once.
      const seen = new Set<string>();
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const k = keyOf(byId.get(cur)!);
        if (seen.has(k)) continue;
        seen.add(k);
        inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
      }
      const file = url || n.callFrame.functionName;
      perFile.set(file, (perFile.get(file) ?? 0) + dt);
      total += dt;
    });
  }
  const pct = (v: number) => `${((100 * v) / Math.max(1, total)).toFixed(1).padStart(5)}%`;
  const lines = [`self time, ${(total / 1e6).toFixed(1)} s sampled`, '', 'by function:'];
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`${pct(v)}  ${k}`);
  lines.push('', 'inclusive (our code):');
  for (const [k, v] of [...inclusive].filter(([k]) => /dist\//.test(k)).sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`${pct(v)}  ${k}`);
  lines.push('', 'by file:');
  for (const [k, v] of [...perFile].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`${pct(v)}  ${k}`);
  return lines.join('\n');
}
