/**
 * `npm run bench:compare`: what `--compare` costs (issue 9). One JSON app answering ~2 KB
 * documents (bench/compare-app.mjs), two shadows (a candidate with a small difference, and a
 * control running production's version; both carry noise), and our sidecar from dist/ with
 * the bins' node flags, in three configurations:
 *
 *   off   --output-http CANDIDATE --output-http CONTROL            (two shadows, no comparison)
 *   100%  --output-http CANDIDATE --compare-control CONTROL --compare
 *   10%   the same with --compare-sample 10%
 *
 * The three run side by side (idle when not loaded) and wrk loads them in alternating rounds
 * (off, 100%, 10%, off, …) so that the shared machine's drift hits each alike. Per round:
 * req/s, p99, proxy CPU per request (from /proc, the window includes the settle time after
 * wrk stops, where deferred comparison work lands); per configuration: peak RSS and the pairs
 * compared (from the stats lines). Ratios are against compare-off.
 *
 * Bounded: ROUNDS (default 4) × 3 wrk runs of BENCH_SECONDS (default 5) each; every process
 * is stopped at the end. Writes bench/compare-results.md.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTd, TD_STATS_MS, type Contender } from './contenders.js';
import { spawnChild, stopAll, sleep, type Child } from './proc.js';
import { cpuSeconds, peakRssMb } from './proc-stats.js';
import { ensureTools } from './tools.js';
import { runWrk, WRK_DONE_LUA, type WrkResult } from './wrk.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Math.max(3, Number(process.env.BENCH_ROUNDS ?? 4));
const CONNECTIONS = 20;
/** Distinct ids wrk cycles through: endpoints repeat, so noise learning has identical requests. */
const IDS = 1000;
/** After each wrk run: copies and deferred comparisons finish, and a stats line reports them. */
const SETTLE_MS = 4 * TD_STATS_MS;

interface Config {
  key: 'off' | 'on' | 'sample';
  label: string;
  args: (candidate: string, control: string) => string[];
}

const CONFIGS: Config[] = [
  { key: 'off', label: 'compare off (2 shadows)', args: (cand, ctrl) => ['--output-http', cand, '--output-http', ctrl] },
  { key: 'on', label: '--compare (100%)', args: (cand, ctrl) => ['--output-http', cand, '--compare-control', ctrl, '--compare'] },
  { key: 'sample', label: '--compare-sample 10%', args: (cand, ctrl) => ['--output-http', cand, '--compare-control', ctrl, '--compare', '--compare-sample', '10%'] },
];

interface RoundResult {
  wrk: WrkResult;
  cpuPerReqMs: number;
}

async function startApp(role: string): Promise<{ child: Child; url: string; port: number }> {
  const child = spawnChild(`app-${role}`, process.execPath, [path.join(HERE, 'compare-app.mjs'), role]);
  const port = Number((await child.waitFor(/LISTENING (\d+)/, 15_000))[1]);
  return { child, url: `http://127.0.0.1:${port}`, port };
}

/** GETs over IDS ids, and the done() hook bench/wrk.ts's parser reads. */
function writeLua(dir: string): string {
  const file = path.join(dir, 'compare.lua');
  writeFileSync(
    file,
    [
      'local n = 0',
      'request = function()',
      `  n = (n + 1) % ${IDS}`,
      '  return wrk.format("GET", "/items/" .. n)',
      'end',
      ...WRK_DONE_LUA,
      '',
    ].join('\n'),
  );
  return file;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Sum of one counter over every destination of a contender. */
function total(td: Contender, name: string): number {
  let n = 0;
  for (const t of td.counters!.snapshot().values()) n += t[name] ?? 0;
  return n;
}

async function main(): Promise<void> {
  const tools = ensureTools();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'td-bench-compare-'));
  try {
    const [prod, cand, ctrl] = await Promise.all([startApp('production'), startApp('candidate'), startApp('control')]);
    const lua = writeLua(dir);
    const tds = new Map<Config['key'], Contender>();
    for (const c of CONFIGS) tds.set(c.key, await startTd(`td-${c.key}`, prod.port, [], c.args(cand.url, ctrl.url)));

    // Warm-up: JIT, sockets to the app and shadows, the comparison module loaded.
    for (const c of CONFIGS) await runWrk(tools.wrk, lua, tds.get(c.key)!.port, 1, CONNECTIONS);
    await sleep(SETTLE_MS);
    const start = new Map([...tds].map(([k, td]) => [k, { requests: 0, compared: total(td, 'compare.compared'), mirrored: total(td, 'mirrored') }]));

    const rounds = new Map<Config['key'], RoundResult[]>(CONFIGS.map((c) => [c.key, []]));
    for (let r = 1; r <= ROUNDS; r++) {
      for (const c of CONFIGS) {
        const td = tds.get(c.key)!;
        const pid = td.pids()[0]!;
        const cpu0 = cpuSeconds(pid);
        const wrk = await runWrk(tools.wrk, lua, td.port, SECONDS, CONNECTIONS);
        await sleep(SETTLE_MS);
        const cpu = cpuSeconds(pid) - cpu0;
        rounds.get(c.key)!.push({ wrk, cpuPerReqMs: (cpu / wrk.requests) * 1000 });
        start.get(c.key)!.requests += wrk.requests;
        const errs = Object.values(wrk.errors).reduce((a, b) => a + b, 0);
        console.log(`round ${r} ${c.label}: ${wrk.rps.toFixed(0)} req/s, p99 ${wrk.p99.toFixed(1)} ms, CPU ${((cpu / wrk.requests) * 1000).toFixed(3)} ms/req${errs ? `, wrk errors ${errs}` : ''}`);
      }
    }
    await sleep(SETTLE_MS);

    interface Summary { c: Config; rps: number; p99: number; cpu: number; rss: number; requests: number; compared: number; mirrored: number; dropped: number; errors: number }
    const sums: Summary[] = CONFIGS.map((c) => {
      const td = tds.get(c.key)!;
      const rs = rounds.get(c.key)!;
      const s = start.get(c.key)!;
      let dropped = 0;
      let errors = 0;
      for (const t of td.counters!.snapshot().values()) {
        for (const [k, v] of Object.entries(t)) {
          if (k.startsWith('dropped')) dropped += v;
          if (k.startsWith('errors')) errors += v;
        }
      }
      return {
        c,
        rps: median(rs.map((x) => x.wrk.rps)),
        p99: median(rs.map((x) => x.wrk.p99)),
        cpu: median(rs.map((x) => x.cpuPerReqMs)),
        rss: peakRssMb(td.pids()[0]!),
        requests: s.requests,
        compared: total(td, 'compare.compared') - s.compared,
        mirrored: total(td, 'mirrored') - s.mirrored,
        dropped,
        errors,
      };
    });
    const base = sums[0]!;
    const ratio = (x: number, b: number) => (b > 0 ? `${(x / b).toFixed(2)}×` : '–');
    const load = os.loadavg().map((l) => l.toFixed(1)).join(' ');
    const md = [
      `# Cost of --compare (\`npm run bench:compare\`)`,
      '',
      `${new Date().toISOString().slice(0, 16)}Z · ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim() ?? '?'}), shared with other jobs (load average at the end ${load}) · node ${process.version}`,
      `· wrk -t1 -c${CONNECTIONS} keep-alive GETs over ${IDS} ids, ~2 KB JSON answers · ${ROUNDS} rounds × ${SECONDS} s per configuration, alternating`,
      `· two shadows: a candidate (a changed price on every 5th id) and a control (production's version); every answer has a timestamp and a request id (noise).`,
      '',
      'Medians over the rounds; pairs compared: candidate and control each against production (% of 2 × requests); CPU is the proxy process only (utime+stime from /proc, including the settle time after each run); peak RSS is VmHWM over the whole run.',
      '',
      '| configuration | req/s | p99 ms | proxy CPU ms/req | peak RSS MB | copies mirrored | pairs compared | dropped / errors |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...sums.map((s) => `| ${s.c.label} | ${s.rps.toFixed(0)} | ${s.p99.toFixed(1)} | ${s.cpu.toFixed(3)} | ${s.rss.toFixed(0)} | ${s.mirrored} | ${s.compared} (${s.requests ? ((s.compared / (2 * s.requests)) * 100).toFixed(0) : 0}%) | ${s.dropped} / ${s.errors} |`),
      '',
      '| against compare off | req/s | p99 | CPU per request | peak RSS |',
      '| --- | ---: | ---: | ---: | ---: |',
      ...sums.slice(1).map((s) => `| ${s.c.label} | ${ratio(s.rps, base.rps)} | ${ratio(s.p99, base.p99)} | ${ratio(s.cpu, base.cpu)} | ${ratio(s.rss, base.rss)} |`),
      '',
      'Per round (req/s · p99 ms · CPU ms/req):',
      '',
      ...CONFIGS.map((c) => `- ${c.label}: ${rounds.get(c.key)!.map((x) => `${x.wrk.rps.toFixed(0)} · ${x.wrk.p99.toFixed(1)} · ${x.cpuPerReqMs.toFixed(3)}`).join(' | ')}`),
      '',
    ].join('\n');
    writeFileSync(path.join(HERE, 'compare-results.md'), md);
    console.log(`\n${md}`);
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

process.on('SIGINT', () => void stopAll().then(() => process.exit(130)));
await main();
