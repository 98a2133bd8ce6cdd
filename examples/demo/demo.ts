#!/usr/bin/env node
// `npm start`: a self-contained tour. A bundled app (examples/demo-app/app.mjs) runs behind
// the real CLI in wrapper mode, two local shadows receive the copies (one healthy, one
// slow), a short burst of traffic goes through, then SIGTERM and a plain-words summary.
// Loopback only; every process we start is stopped on every exit path.
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { pickFreePort } from '../../src/supervise/ports.js';
import { startShadow, sha256, type Shadow, type ReceivedCopy } from './shadow.js';
import { send, pool, type DemoRequest, type DemoResponse } from './client.js';
import { DuplicatorProcess } from './duplicator.js';
import { sumStatsLines, countsWithPrefix, isStatsLine, type DestTotals } from './stats-lines.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = path.join(ROOT, 'dist/cli/main.js');
const APP = 'examples/demo-app/app.mjs';

const MiB = 1024 * 1024;
const COPY_CAP = 5 * MiB; // --copy-buffer-size 5mb (the default, spelled out)
// Room for the whole burst, so the healthy shadow never loses a copy however busy the
// machine is; the slow shadow's losses come from its own limits below.
const QUEUE_LEN = 100; // --output-http-queue-len
const SLOW_RATE = 20; // --output-http 'URL|20': at most 20 copies a second to the slow shadow
const TIMEOUT_MS = 1000; // --output-http-timeout
const WORKERS = 10; // --output-http-workers default
const SLOW_MS = 300;
const SLOW_REPORT_MS = 2000;
const GETS = 80;
const CONNECTIONS = 8;
const WATCHDOG_MS = 60_000;

const t0 = performance.now();
const out = (s = '') => void process.stdout.write(s + '\n');
const step = (s: string) => out(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(4)}s] ${s}`);
const detail = (s: string) => out(`        ${s}`);
const mb = (n: number) => (n >= MiB ? `${(n / MiB).toFixed(n % MiB === 0 ? 0 : 1)} MB` : n >= 1024 ? `${Math.round(n / 1024)} KB` : `${n} B`);
const plural = (n: number, one: string, many = one + 's') => `${n} ${n === 1 ? one : many}`;

interface Sent {
  req: DemoRequest;
  bodyBytes: number;
  bodySha256: string;
  viaProxy?: DemoResponse;
  direct?: DemoResponse;
  /** Round trip through the duplicator. */
  ms?: number;
}

// ---- the traffic: what a few users would do ---------------------------------------

function makeTraffic(): Sent[] {
  const colors = ['red', 'blue', 'green', 'black'];
  const words = ['shoes', 'red dress', 'café au lait', 'tent'];
  const reqs: DemoRequest[] = [];
  for (let i = 0; i < GETS; i++) {
    if (i % 10 === 0) reqs.push({ method: 'GET', path: `/reports/daily?day=${i / 10 + 1}` });
    else if (i % 3 === 0) reqs.push({ method: 'GET', path: `/search?q=${encodeURIComponent(words[i % words.length]!)}&page=${(i % 4) + 1}` });
    else if (i % 7 === 0) reqs.push({ method: 'GET', path: '/' });
    else reqs.push({ method: 'GET', path: `/products/${(i * 37) % 50}?color=${colors[i % colors.length]}&size=${i % 2 ? 'M' : 'L'}` });
  }
  for (let n = 1; n <= 3; n++) {
    const order = JSON.stringify({ customer: `c-${n}`, items: Array.from({ length: n + 1 }, (_, k) => ({ sku: `SKU-${n}${k}`, qty: k + 1 })), note: 'x'.repeat(200 * n) });
    const b = Buffer.from(order);
    const third = Math.ceil(b.length / 3);
    reqs.push({ method: 'POST', path: '/orders', chunked: true, contentType: 'application/json', body: [b.subarray(0, third), b.subarray(third, 2 * third), b.subarray(2 * third)] });
  }
  reqs.push({ method: 'POST', path: '/uploads?name=photo.jpg', contentType: 'application/octet-stream', body: [randomBytes(1 * MiB)] });
  reqs.push({ method: 'POST', path: '/uploads?name=video.mp4', contentType: 'application/octet-stream', body: [randomBytes(6 * MiB)] });
  return reqs.map((req) => {
    const body = Buffer.concat(req.body ?? []);
    return { req, bodyBytes: body.length, bodySha256: sha256(body) };
  });
}

const key = (method: string, url: string, sha: string) => `${method} ${url} ${sha}`;

/** Which received copies match a sent request (as a multiset); the rest are unexpected. */
function matchCopies(sent: Sent[], received: ReceivedCopy[]): { matched: number; unexpected: ReceivedCopy[]; missing: Sent[] } {
  const pending = new Map<string, Sent[]>();
  for (const s of sent) {
    const k = key(s.req.method, s.req.path, s.bodySha256);
    pending.set(k, [...(pending.get(k) ?? []), s]);
  }
  const unexpected: ReceivedCopy[] = [];
  let matched = 0;
  for (const r of received) {
    const list = pending.get(key(r.method, r.url, r.bodySha256));
    if (list && list.length > 0) {
      list.pop();
      matched++;
    } else unexpected.push(r);
  }
  return { matched, unexpected, missing: [...pending.values()].flat() };
}

const pathname = (url: string) => new URL(url, 'http://x').pathname;
const destOf = (stats: Map<string, DestTotals>, port: number) => [...stats].find(([d]) => new RegExp(`:${port}(/|$)`).test(d));
const count = (d: DestTotals | undefined, name: string) => d?.counts.get(name) ?? 0;

// ---- the run ------------------------------------------------------------------------

const problems: string[] = [];
const shadows: Shadow[] = [];
const agents: http.Agent[] = [];
let dup: DuplicatorProcess | undefined;
let cleaning: Promise<void> | undefined;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const a of agents) a.destroy();
    if (dup?.running) {
      const r = await dup.stop(5000);
      if (r.forced) detail('(the duplicator did not stop within 5 s: killed it and the app)');
    }
    await Promise.all(shadows.map((s) => s.close()));
  })();
  return cleaning;
}

async function main(): Promise<number> {
  if (!existsSync(CLI)) {
    out(`${path.relative(process.cwd(), CLI) || CLI} is missing: run \`npm run build\` first (npm start does it for you).`);
    return 1;
  }
  out('traffic-duplicator demo: your app behind the duplicator, two shadow deployments, a burst of traffic.');
  out('Everything runs on 127.0.0.1 and stops by itself.');
  out();

  const healthy = await startShadow('healthy', () => 0);
  shadows.push(healthy);
  const slow = await startShadow('slow', (url) => (pathname(url).startsWith('/reports/') ? SLOW_REPORT_MS : SLOW_MS));
  shadows.push(slow);
  step(`shadow "healthy" on ${healthy.url}: answers at once`);
  step(`shadow "slow"    on ${slow.url}: answers in ${SLOW_MS} ms, /reports/* in ${SLOW_REPORT_MS} ms`);

  // ---- start the duplicator, exactly as a user would ----
  let port = 0;
  let upstream = '';
  for (let attempt = 1; ; attempt++) {
    port = await pickFreePort();
    const args = [
      '--listen', `127.0.0.1:${port}`,
      '--output-http', healthy.url,
      '--output-http', `${slow.url}|${SLOW_RATE}`,
      '--output-http-queue-len', String(QUEUE_LEN),
      '--output-http-timeout', `${TIMEOUT_MS / 1000}s`,
      '--copy-buffer-size', '5mb',
      '--stats-interval', '1s',
      '--', 'node', APP,
    ];
    // Quoted as a shell needs it, so the printed command can be pasted: `URL|20` unquoted is a pipe.
    const shown = args.map(shellQuote);
    step('starting the duplicator with the app behind it:');
    detail(`PORT=${port} node dist/cli/main.js ${shown.slice(0, 4).join(' ')} \\`);
    detail(`    ${shown.slice(4, 8).join(' ')} \\`);
    detail(`    ${shown.slice(8, 14).join(' ')} \\`);
    detail(`    ${shown.slice(14).join(' ')}`);
    // `node` for the app is the node running this demo; no options file (config/gor.options) interferes.
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: [path.dirname(process.execPath), process.env.PATH].filter(Boolean).join(path.delimiter),
      PORT: String(port),
      TRAFFIC_DUPLICATOR_OPTIONS_FILE: '/dev/null',
    };
    delete env.TRAFFIC_DUPLICATOR_ENABLED; // the kill switch, if set in this shell, would spoil the demo
    dup = new DuplicatorProcess(CLI, args, {
      cwd: ROOT,
      env,
      onLine: (stream, line) => {
        if (stream === 'stdout') detail(`app        │ ${line}`);
        else if (!isStatsLine(line)) detail(`duplicator │ ${line.replace(/^source=traffic-duplicator /, '')}`);
      },
    });
    try {
      await dup.waitFor(/at=listening/, 20_000);
      const ready = await dup.waitFor(/at=app-ready/, 1000);
      upstream = /upstream=(\S+)/.exec(ready)?.[1] ?? '';
      break;
    } catch (err) {
      const bindFailed = dup.lines.some((l) => /at=bind-failed/.test(l.line));
      await dup.stop(3000);
      if (bindFailed && attempt < 3) {
        step(`port ${port} was taken meanwhile; trying another one`);
        continue;
      }
      throw err;
    }
  }
  const upstreamMatch = /^\[?([^\]]+?)\]?:(\d+)$/.exec(upstream);
  if (!upstreamMatch) throw new Error(`could not read the app's private address from the at=app-ready line (${upstream})`);
  const appHost = upstreamMatch[1]!;
  const appPort = Number(upstreamMatch[2]);

  // ---- traffic through the duplicator ----
  const traffic = makeTraffic();
  const proxyAgent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  agents.push(proxyAgent);
  const sockets = new Set<unknown>();
  const viaProxy = async (s: Sent) => {
    const started = performance.now();
    s.viaProxy = await send('127.0.0.1', port, proxyAgent, s.req);
    s.ms = performance.now() - started;
    sockets.add(s.viaProxy.socket);
  };
  const gets = traffic.filter((s) => s.req.method === 'GET');
  const orders = traffic.filter((s) => s.req.path === '/orders');
  const uploads = traffic.filter((s) => s.req.path.startsWith('/uploads'));

  let t = performance.now();
  await pool(gets, CONNECTIONS, viaProxy);
  const burstMs = Math.round(performance.now() - t);
  step(`sent ${gets.length} GETs with query strings over ${sockets.size} keep-alive connections to 127.0.0.1:${port} (${burstMs} ms)`);
  t = performance.now();
  for (const s of orders) await viaProxy(s);
  step(`sent ${orders.length} chunked POST /orders (JSON bodies in 3 chunks each) (${Math.round(performance.now() - t)} ms)`);
  t = performance.now();
  for (const s of uploads) await viaProxy(s);
  step(`sent ${uploads.map((u) => `${mb(u.bodyBytes)} POST ${u.req.path}`).join(' and ')} (${Math.round(performance.now() - t)} ms)`);

  // ---- the same requests straight to the app, for comparison ----
  const directAgent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  agents.push(directAgent);
  await pool(traffic, CONNECTIONS, async (s) => {
    s.direct = await send(appHost, appPort, directAgent, s.req);
  });
  step(`sent the same ${traffic.length} requests straight to the app on ${upstream} (bypassing the duplicator) to compare`);
  proxyAgent.destroy();
  directAgent.destroy();

  // ---- graceful stop ----
  step('SIGTERM to the duplicator (what Heroku sends): it stops the app, flushes the shadow queues, prints its stats');
  t = performance.now();
  const exit = await dup.stop(15_000);
  const stopMs = Math.round(performance.now() - t);
  const statsLines = dup.lines.filter((l) => l.stream === 'stderr' && isStatsLine(l.line)).map((l) => l.line);
  detail('stats lines (stderr, l2met; count# are per-interval deltas, the summary adds them up):');
  for (const l of statsLines) detail(`stats      │ ${l.replace(/^source=traffic-duplicator /, '')}`);
  step(`the duplicator exited with status ${exit.code ?? exit.signal} after ${stopMs} ms${exit.forced ? ' (killed: it did not stop in time)' : ''}`);
  if (exit.code !== 0) problems.push(`the duplicator exited with ${exit.code ?? exit.signal}, expected 0 (the app's own exit status)`);
  await Promise.all(shadows.map((s) => s.close()));

  // ---- summary ----
  const stats = sumStatsLines(statsLines);
  const tap = stats.get('tap');
  const [healthyDest, hs] = destOf(stats, healthy.port) ?? [healthy.url, undefined];
  const [slowDest, ss] = destOf(stats, slow.port) ?? [slow.url, undefined];
  if (!tap || !hs || !ss) problems.push('the final stats lines were missing (dest=tap and one per shadow expected)');

  const totalBody = traffic.reduce((n, s) => n + s.bodyBytes, 0);
  const oversized = traffic.filter((s) => s.bodyBytes > COPY_CAP);
  const mirrorable = traffic.filter((s) => s.bodyBytes <= COPY_CAP);
  const expectedStatus = (s: Sent) => (s.req.path === '/orders' ? 201 : 200);
  const statusOk = traffic.filter((s) => s.viaProxy?.status === expectedStatus(s)).length;
  const same = traffic.filter((s) => s.viaProxy && s.direct && s.viaProxy.status === s.direct.status && s.viaProxy.contentType === s.direct.contentType && s.viaProxy.body.equals(s.direct.body));
  const withBody = traffic.filter((s) => s.bodyBytes > 0);
  const echoOk = withBody.filter((s) => {
    try {
      return (JSON.parse(s.viaProxy!.body.toString('utf8')) as { sha256?: string }).sha256 === s.bodySha256;
    } catch {
      return false;
    }
  });
  if (statusOk !== traffic.length) problems.push(`${traffic.length - statusOk} of ${traffic.length} answers through the duplicator had an unexpected status`);
  if (same.length !== traffic.length) {
    const bad = traffic.find((s) => !same.includes(s))!;
    const a = bad.viaProxy;
    const b = bad.direct;
    const what = !a || !b ? 'no answer' : a.status !== b.status ? `status ${a.status} vs ${b.status}` : a.contentType !== b.contentType ? `content-type ${a.contentType} vs ${b.contentType}` : `body ${JSON.stringify(a.body.toString('utf8', 0, 80))} vs ${JSON.stringify(b.body.toString('utf8', 0, 80))}`;
    problems.push(`${traffic.length - same.length} answers through the duplicator differ from the app's own, e.g. ${bad.req.method} ${bad.req.path}: ${what}`);
  }
  if (echoOk.length !== withBody.length) problems.push(`${withBody.length - echoOk.length} request bodies did not reach the app intact`);

  const h = matchCopies(mirrorable, healthy.received);
  const s = matchCopies(mirrorable, slow.received);
  if (h.unexpected.length > 0 || s.unexpected.length > 0) {
    const r = h.unexpected[0] ?? s.unexpected[0]!;
    problems.push(`a shadow received a copy that matches nothing the client sent: ${r.method} ${r.url} (${r.bodyBytes} bytes)`);
  }
  if (h.missing.length > 0) problems.push(`the healthy shadow is missing ${h.missing.length} copies, e.g. ${h.missing[0]!.req.method} ${h.missing[0]!.req.path}`);
  if (hs && count(hs, 'mirrored') !== healthy.received.length) problems.push(`stats say ${count(hs, 'mirrored')} copies mirrored to the healthy shadow, it received ${healthy.received.length}`);
  if (tap && count(tap, 'dropped.body_too_large') !== oversized.length) problems.push(`expected ${oversized.length} body_too_large drop(s) at dest=tap, stats say ${count(tap, 'dropped.body_too_large')}`);

  const distinct = (copies: ReceivedCopy[]) => new Set(copies.map((c) => pathname(c.url))).size;
  const bodies = (copies: ReceivedCopy[]) => plural(copies.filter((c) => c.bodyBytes > 0).length, 'body', 'bodies');
  const dropsText = (d: DestTotals | undefined) => countsWithPrefix(d, 'dropped.').map(([k, v]) => `${v} ${k}`).join(', ') || 'none';
  const errorsText = (d: DestTotals | undefined) => countsWithPrefix(d, 'errors.').map(([k, v]) => `${v} ${k}`).join(', ') || 'none';

  out();
  out('Summary');
  out(`  Client sent       ${traffic.length} requests: ${gets.length} GET, ${orders.length} chunked POST /orders, ${uploads.length} POST /uploads (${uploads.map((u) => mb(u.bodyBytes)).join(' + ')}); ${mb(totalBody)} of bodies`);
  out(`  Your app          answered ${statusOk}/${traffic.length} as expected (${traffic.length - orders.length} × 200, ${orders.length} × 201) ${statusOk === traffic.length ? '✓' : '✗'}`);
  out(`                    ${same.length}/${traffic.length} answers identical to asking the app directly (status, type, body) ${same.length === traffic.length ? '✓' : '✗'}`);
  out(`                    ${echoOk.length}/${withBody.length} request bodies reached the app intact (the app echoes their sha256) ${echoOk.length === withBody.length ? '✓' : '✗'}`);
  out(`  Shadow healthy    received ${healthy.received.length} of ${traffic.length}: every request but the ${oversized.map((o) => mb(o.bodyBytes)).join(', ')} upload; ${distinct(healthy.received)} distinct paths; ${bodies(healthy.received)} sha256-verified ${h.missing.length === 0 && h.unexpected.length === 0 ? '✓' : '✗'}`);
  out(`                    stats: mirrored ${count(hs, 'mirrored')}, dropped ${dropsText(hs)}, errors ${errorsText(hs)}`);
  out(`  Shadow slow       received ${slow.received.length} of ${traffic.length}, all intact (${distinct(slow.received)} distinct paths, ${bodies(slow.received)} sha256-verified) ${s.unexpected.length === 0 ? '✓' : '✗'}`);
  out(`                    stats: mirrored ${count(ss, 'mirrored')}, dropped ${dropsText(ss)}, errors ${errorsText(ss)}`);
  if (count(ss, 'dropped.rate_limited') > 0)
    out(`                    rate_limited: '${slow.url}|${SLOW_RATE}' lets at most ${SLOW_RATE} copies a second through; the burst was faster`);
  if (count(ss, 'dropped.queue_full') > 0)
    out(`                    queue_full: it holds ${WORKERS} in flight + ${QUEUE_LEN} waiting (--output-http-queue-len ${QUEUE_LEN}); the burst came faster, so newer copies were dropped`);
  if (count(ss, 'errors.timeout') > 0)
    out(`                    timeout: /reports/* take ${SLOW_REPORT_MS / 1000} s there, over --output-http-timeout ${TIMEOUT_MS / 1000}s (the shadow got them; its answer came too late)`);
  if (count(ss, 'dropped.shutdown') > 0) out('                    shutdown: still queued when the flush deadline after SIGTERM ran out');
  out(`  Before fan-out    dest=tap: dropped ${dropsText(tap)}${oversized.length ? ` (the ${oversized.map((o) => mb(o.bodyBytes)).join(', ')} upload is over --copy-buffer-size 5mb: the app got it, no shadow did)` : ''}`);
  const getMs = gets.map((g) => g.ms ?? 0).sort((a, b) => a - b);
  out(`  Latency           GETs through the duplicator: median ${getMs[Math.floor(getMs.length / 2)]!.toFixed(1)} ms, slowest ${getMs[getMs.length - 1]!.toFixed(1)} ms;`);
  out(`                    the slow shadow takes ${SLOW_MS} ms a copy: answers never wait for a shadow, it only loses its own copies`);
  out();
  if (problems.length === 0) out('Result: OK: production traffic untouched; copies reached the shadows as configured.');
  else {
    out('Result: PROBLEM');
    for (const p of problems) out(`  ✗ ${p}`);
  }
  out();
  out('Next steps');
  out('  Procfile            web: start-traffic-duplicator node app.mjs      (your usual web command after it)');
  out('  config/gor.options  --output-http \'https://my-shadow.herokuapp.com\'');
  out('                      --output-http-header \'Host: my-shadow.herokuapp.com\'');
  out('  Every flag          node dist/cli/main.js --help');
  out('  Installing          docs/install.md (Heroku buildpack, Docker sidecar, Kubernetes)');
  return problems.length === 0 ? 0 : 1;
}

// ---- exits: every path stops what we started ----------------------------------------

let finishing = false;
let interrupted = false;
async function finish(code: number): Promise<never> {
  if (!finishing) {
    finishing = true;
    await cleanup().catch(() => {});
  }
  process.exit(code);
}

process.on('exit', () => {
  // Last resort if we leave without cleanup() having run (synchronous kills only).
  if (dup?.running) dup.killNow();
});
for (const [sig, n] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]] as const) {
  process.once(sig, () => {
    interrupted = true;
    out(`\n${sig}: stopping the duplicator, the app and the shadows…`);
    void finish(128 + n);
  });
}
const watchdog = setTimeout(() => {
  out(`\nThe demo took longer than ${WATCHDOG_MS / 1000} s: stopping everything.`);
  void finish(1);
}, WATCHDOG_MS);

main().then(
  async (code) => {
    clearTimeout(watchdog);
    await finish(code);
  },
  async (err: unknown) => {
    clearTimeout(watchdog);
    if (interrupted || finishing) return; // already stopping; the error is a consequence
    out(`\nThe demo failed: ${err instanceof Error ? err.message : String(err)}`);
    if (dup) {
      // The duplicator may be gone (crashed, killed) while its app is not.
      await cleanup().catch(() => {});
      dup.killNow();
    }
    await finish(1);
  },
);

/** One argument as a POSIX shell reads it back: bare when safe, else in single quotes. */
function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
