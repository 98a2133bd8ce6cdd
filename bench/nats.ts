/**
 * `npm run bench:nats`: what --output-nats and --input-nats cost and carry, against the .gor
 * file output and input as baselines, with a real nats-server (JetStream, file store) on
 * loopback. One instance (sidecar in front of the bench app) under wrk; then one replayer.
 *
 *   relay only | --output-file | --output-nats : relay req/s, p99, CPU s per 10k requests,
 *                                               peak RSS, records/s stored, drops
 *   --input-file | --input-nats               : records/s one replayer sends to --output-null
 *
 * Bounded: each wrk run is BENCH_SECONDS (default 10) long; every process is killed at the end.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnChild, stopAll, freePort, waitForPort } from './proc.js';
import { runWrk, writeScript, WORKLOADS } from './wrk.js';
import { cpuSeconds, peakRssMb } from './proc-stats.js';
import { ensureTools } from './tools.js';
import { startNatsCluster } from '../test/helpers/nats-cluster.js';
import { encodeRecord } from '../src/gor/codec.js';
import { sumStatsLines } from '../src/telemetry/stats-line.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.join(HERE, '../dist/cli/main.js');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const RECORDS = Number(process.env.BENCH_RECORDS ?? 50_000);

interface Row {
  name: string;
  rps: number;
  p99: number;
  cpuPer10k: number;
  rssMb: number;
  stored: number;
  storedPerS: number;
  drops: string;
}

/** Counters summed over the stats lines of the destinations whose name starts with `destPrefix`. */
function statsCounts(lines: string[], destPrefix: string): Record<string, number> {
  const t: Record<string, number> = {};
  for (const [dest, totals] of sumStatsLines(lines)) {
    if (!dest.startsWith(destPrefix)) continue;
    for (const [k, v] of totals.counts) t[k] = (t[k] ?? 0) + v;
  }
  return t;
}

async function main(): Promise<void> {
  const tools = ensureTools();
  const dir = mkdtempSync(path.join(tmpdir(), 'td-bench-nats-'));
  const broker = await startNatsCluster({ size: 1 });
  try {
    const app = spawnChild('app', process.execPath, ['--import', 'tsx', path.join(HERE, 'app-server.ts')]);
    const appPort = Number((await app.waitFor(/LISTENING (\d+)/, 20_000))[1]);
    const script = writeScript(dir, WORKLOADS[0]!);
    const rows: Row[] = [];
    const configs: Array<{ name: string; args: string[]; dest?: string }> = [
      { name: 'relay only', args: [] },
      { name: '--output-file', args: ['--output-file', path.join(dir, 'capture_%i.gor')], dest: path.join(dir, 'capture') },
      { name: '--output-nats', args: ['--output-nats', broker.urls, '--output-nats-create'], dest: 'nats://' },
    ];
    for (const c of configs) {
      const port = await freePort();
      const lines: string[] = [];
      const td = spawnChild(c.name, process.execPath, [CLI, '--listen', `127.0.0.1:${port}`, '--upstream', `http://127.0.0.1:${appPort}`, '--stats-interval', '1h', ...c.args]);
      td.onLine((l) => lines.push(l));
      await waitForPort(port, 20_000);
      const cpu0 = cpuSeconds(td.pid);
      const res = await runWrk(tools.wrk, script, port, SECONDS, 50);
      const cpu = cpuSeconds(td.pid) - cpu0;
      const rss = peakRssMb(td.pid);
      await td.stop(30_000);
      const t = c.dest ? statsCounts(lines, c.dest) : {};
      const drops = Object.entries(t).filter(([k]) => k.startsWith('dropped.') || k.startsWith('errors.')).map(([k, v]) => `${k}=${v}`).join(' ') || '0';
      rows.push({
        name: c.name,
        rps: res.rps,
        p99: res.p99,
        cpuPer10k: (cpu / res.requests) * 10_000,
        rssMb: rss,
        stored: t.mirrored ?? 0,
        storedPerS: (t.mirrored ?? 0) / res.durationS,
        drops,
      });
      console.log(`${c.name}: ${res.rps.toFixed(0)} req/s, p99 ${res.p99} ms, cpu ${cpu.toFixed(1)} s, rss ${rss.toFixed(0)} MB, stored ${t.mirrored ?? 0}, drops ${drops}`);
    }
    await app.stop();

    // Replay: the same records from a .gor file and from the stream, to --output-null.
    const parts: Buffer[] = [];
    for (let i = 0; i < RECORDS; i++) {
      const enc = encodeRecord({ type: '1', id: `b${i.toString(16).padStart(22, '0')}`, timestampNs: 1_764_000_000_000_000_000n + BigInt(i) * 1000n, payload: Buffer.from(`GET /bench/${i} HTTP/1.1\r\nHost: app\r\nUser-Agent: bench\r\n\r\n`) });
      if (enc.ok) parts.push(enc.bytes);
    }
    const file = path.join(dir, 'replay.gor');
    writeFileSync(file, Buffer.concat(parts));
    const timed = async (name: string, args: string[]) => {
      const t0 = performance.now();
      const p = spawnChild(name, process.execPath, [CLI, ...args]);
      await new Promise<void>((r) => p.proc.once('exit', () => r()));
      return (performance.now() - t0) / 1000;
    };
    const imp = await timed('import', ['nats-import', '--nats', broker.urls, '--stream', 'replay', '--subject', 'replay.in', '--create', file]);
    const fileS = await timed('file replay', ['--input-file', `${file}|100000%`, '--output-null', '--stats-interval', '1h']);
    const natsS = await timed('nats replay', ['--input-nats', broker.urls, '--input-nats-stream', 'replay|100000%', '--input-nats-stop-at-end', '--output-null', '--stats-interval', '1h']);

    const out = [
      `## NATS bench (${new Date().toISOString().slice(0, 16)}Z, ${SECONDS}s wrk -c50 GET keep-alive; nats-server on loopback, file store, 1 replica)`,
      '',
      '| instance | relay req/s | p99 ms | CPU s / 10k req | peak RSS MB | records stored | stored/s | dropped / errors |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
      ...rows.map((r) => `| ${r.name} | ${r.rps.toFixed(0)} | ${r.p99.toFixed(1)} | ${r.cpuPer10k.toFixed(2)} | ${r.rssMb.toFixed(0)} | ${r.stored} | ${r.storedPerS.toFixed(0)} | ${r.drops} |`),
      '',
      `| replay of ${RECORDS} records to --output-null | wall s (incl. start-up) | records/s |`,
      '| --- | ---: | ---: |',
      `| nats-import (.gor file → stream) | ${imp.toFixed(1)} | ${(RECORDS / imp).toFixed(0)} |`,
      `| --input-file (baseline) | ${fileS.toFixed(1)} | ${(RECORDS / fileS).toFixed(0)} |`,
      `| --input-nats, one replayer | ${natsS.toFixed(1)} | ${(RECORDS / natsS).toFixed(0)} |`,
    ].join('\n');
    console.log(`\n${out}`);
  } finally {
    await stopAll();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
