/**
 * npm run bench:variants -- --variant 'name[@main.js]=node flags|KEY=value|our flags' … [--seconds 5] [--rounds 3] [--cold]
 *
 * Side by side, in one run, variants of our proxy that differ in how node starts (V8
 * flags, environment), in flags of ours (after the third `|`) or in the build they run
 * (`name@/tmp/old/dist/cli/main.js=`, e.g. a `git worktree` of the previous commit, built):
 * the tool for "change one thing, measure side by side". Every variant is started by the
 * bench's startTd, so it gets the shipped nodeFlagsFor() (the bins' options for this Node)
 * first, then its own; `base` (no extra flag) is always included. Two recording shadows,
 * the bench's app, wrk -c50, rounds alternating between variants. Prints, per variant and
 * workload: req/s, p99, CPU ms per 1,000 requests, the lowest delivery (copies a shadow
 * received ÷ requests wrk completed: a variant that drops copies looks cheap), and the
 * highest RSS / V8 heap / external memory the variant's own stats lines reported, and at the
 * end its idle and peak (VmHWM) RSS.
 *
 * `--cold` measures the first seconds instead, as the bench's cold-start section does: a
 * fresh proxy per round and variant, two shadows of which one is https, GET keep-alive from
 * the moment its port accepts, no warm-up; req/s, p99, CPU, peak RSS and delivery per round,
 * and their medians (`--seconds` defaults to 3 there).
 *
 *   npm run bench:variants -- --variant 'old24=--max-old-space-size=24' --variant 'arena=|MALLOC_ARENA_MAX=2'
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseStatsLine } from '../src/telemetry/stats-line.js';
import { startTd, TD_MAIN, type Contender } from './contenders.js';
import { cpuSeconds, peakRssMb, rssMb } from './proc-stats.js';
import { sleep, stopAll } from './proc.js';
import { lowestDeliveryPct, settledCounts, startShadow, tsNode, type Shadow } from './shadows.js';
import { ensureTools } from './tools.js';
import { runWrk, WORKLOADS, writeScript } from './wrk.js';
import { coldStart, type ColdRound } from './cold.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));

interface Variant {
  name: string;
  main: string;
  nodeArgs: string[];
  /** Flags of ours after the bench's (e.g. --output-http-workers 8). */
  tdArgs: string[];
  env: Record<string, string>;
}

interface Running extends Variant {
  td: Contender;
  pid: number;
  /** Highest sample#memory.* values seen since the last reset. */
  peak: { rss: number; heap: number; external: number };
}

interface Options {
  variants: Variant[];
  seconds: number;
  rounds: number;
  workloads: string[];
  cold: boolean;
}

function parseArgs(argv: string[]): Options {
  const variants: Variant[] = [{ name: 'base', main: TD_MAIN, nodeArgs: [], tdArgs: [], env: {} }];
  let seconds = 0;
  let cold = false;
  let rounds = 3;
  let workloads = WORKLOADS.map((w) => w.name);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--variant') {
      const spec = value();
      const eq = spec.indexOf('=');
      if (eq <= 0) throw new Error(`--variant ${spec}: expected name=node flags|KEY=value|our flags`);
      const [flags = '', envPart = '', ours = ''] = spec.slice(eq + 1).split('|');
      const env = Object.fromEntries(envPart.split(/\s+/).filter(Boolean).map((kv) => kv.split('=', 2) as [string, string]));
      const [name = '', main = TD_MAIN] = spec.slice(0, eq).split('@');
      variants.push({ name, main, nodeArgs: flags.split(/\s+/).filter(Boolean), tdArgs: ours.split(/\s+/).filter(Boolean), env });
    } else if (a === '--seconds') seconds = Number(value());
    else if (a === '--rounds') rounds = Number(value());
    else if (a === '--workloads') workloads = value().split(',');
    else if (a === '--cold') cold = true;
    else throw new Error(`unknown option ${a}`);
  }
  return { variants, seconds: seconds || (cold ? 3 : 5), rounds, workloads, cold };
}

/** One variant, started by the bench's own startTd (two shadows, its stats lines read for memory). */
async function start(v: Variant, appPort: number, shadows: Shadow[]): Promise<Running> {
  const peak = { rss: 0, heap: 0, external: 0 };
  const onLine = (l: string) => {
    const s = parseStatsLine(l);
    if (!s || s.dest !== 'process') return;
    peak.rss = Math.max(peak.rss, s.samples.get('memory.rss_mb') ?? 0);
    peak.heap = Math.max(peak.heap, s.samples.get('memory.heap_used_mb') ?? 0);
    peak.external = Math.max(peak.external, s.samples.get('memory.external_mb') ?? 0);
  };
  const td = await startTd(`td-${v.name}`, appPort, shadows, v.tdArgs, v.nodeArgs, { main: v.main, env: v.env, onLine });
  return { ...v, td, pid: td.pids()[0]!, peak };
}

const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** --cold: fresh proxies, traffic at once, one http and one https shadow; alternating variants. */
async function coldRounds(opts: Options, wrkBin: string, tmp: string, appPort: number): Promise<void> {
  const w = WORKLOADS[0]!;
  const script = writeScript(tmp, w);
  const shadows = [await startShadow('ok', 'cold-ok'), await startShadow('tls', 'cold-tls')];
  const res = new Map<string, ColdRound[]>(opts.variants.map((v) => [v.name, []]));
  for (let round = 0; round < opts.rounds; round++) {
    for (let k = 0; k < opts.variants.length; k++) {
      const v = opts.variants[(k + round) % opts.variants.length]!;
      const start = (name: string, sh: Shadow[]) => startTd(name, appPort, sh, v.tdArgs, v.nodeArgs, { main: v.main, env: v.env });
      const r = await coldStart(start, `td-${v.name}`, shadows, wrkBin, script, w, opts.seconds);
      res.get(v.name)!.push(r);
      console.log(`cold ${v.name.padEnd(12)} round ${round + 1}/${opts.rounds} ${Math.round(r.rps).toString().padStart(6)} req/s  p99 ${r.p99.toFixed(1)} ms  CPU ${r.cpuPer10k.toFixed(3)} s/10k  RSS ${r.peakRssMb.toFixed(1)} MB  delivery ${r.deliveryPct.toFixed(1)}%`);
    }
  }
  console.log(`\n| variant | cold req/s | cold p99 ms (per round) | CPU s/10k | peak RSS MB | lowest delivery % |\n|---|---|---|---|---|---|`);
  for (const [name, rs] of res) {
    console.log(`| ${name} | ${med(rs.map((r) => r.rps)).toFixed(0)} | ${med(rs.map((r) => r.p99)).toFixed(1)} (${rs.map((r) => r.p99.toFixed(0)).join(', ')}) | ${med(rs.map((r) => r.cpuPer10k)).toFixed(3)} | ${Math.max(...rs.map((r) => r.peakRssMb)).toFixed(1)} | ${Math.min(...rs.map((r) => r.deliveryPct)).toFixed(1)} |`);
  }
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const tools = ensureTools();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'td-variants-'));
  try {
    const app = tsNode('app', path.join(HERE, 'app-server.ts'), []);
    const appPort = Number((await app.waitFor(/LISTENING (\d+)/, 15_000))[1]);
    if (opts.cold) return await coldRounds(opts, tools.wrk, tmp, appPort);
    const shadows = [await startShadow('ok', 'ok1'), await startShadow('ok', 'ok2')];
    const running: Running[] = [];
    for (const v of opts.variants) running.push(await start(v, appPort, shadows));
    await sleep(1500);
    const idle = new Map(running.map((r) => [r.name, rssMb(r.pid)]));
    console.log(`idle RSS: ${running.map((r) => `${r.name} ${idle.get(r.name)!.toFixed(1)} MB`).join(', ')}`);
    const rows: string[] = ['| workload | variant | req/s | p99 ms | CPU ms / 1k req | lowest delivery % | stats peak rss / heap / external MB |', '|---|---|---|---|---|---|---|'];
    for (const w of WORKLOADS.filter((x) => opts.workloads.includes(x.name))) {
      const script = writeScript(tmp, w);
      // Warm-up, unmeasured, then alternating rounds with a rotating start.
      for (const r of running) await runWrk(tools.wrk, script, r.td.port, 1);
      await settledCounts(shadows, 300, 6000);
      const res = new Map<string, { rps: number[]; p99: number[]; cpu: number[]; delivery: number[] }>(running.map((r) => [r.name, { rps: [], p99: [], cpu: [], delivery: [] }]));
      for (const r of running) Object.assign(r.peak, { rss: 0, heap: 0, external: 0 });
      for (let round = 0; round < opts.rounds; round++) {
        for (let k = 0; k < running.length; k++) {
          const r = running[(k + round) % running.length]!;
          const cpu0 = cpuSeconds(r.pid);
          const before = await Promise.all(shadows.map((s) => s.counts()));
          const wrk = await runWrk(tools.wrk, script, r.td.port, opts.seconds);
          const after = await settledCounts(shadows, 300, 6000);
          const cpu = cpuSeconds(r.pid) - cpu0;
          const x = res.get(r.name)!;
          x.rps.push(wrk.rps);
          x.p99.push(wrk.p99);
          x.cpu.push((cpu * 1e6) / Math.max(1, wrk.requests));
          x.delivery.push(lowestDeliveryPct(before, after, wrk.requests));
        }
      }
      for (const r of running) {
        const x = res.get(r.name)!;
        rows.push(`| ${w.name} | ${r.name} | ${med(x.rps).toFixed(0)} | ${med(x.p99).toFixed(1)} | ${med(x.cpu).toFixed(1)} | ${Math.min(...x.delivery).toFixed(1)} | ${r.peak.rss} / ${r.peak.heap} / ${r.peak.external} |`);
      }
      console.log(rows.slice(-running.length).join('\n'));
    }
    console.log('\n' + rows.join('\n'));
    console.log('\n| variant | idle RSS MB | peak RSS (VmHWM) MB |\n|---|---|---|');
    for (const r of running) console.log(`| ${r.name} | ${idle.get(r.name)!.toFixed(1)} | ${peakRssMb(r.pid).toFixed(1)} |`);
  } finally {
    await stopAll();
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
