import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, spawnChild, sleep, type Child } from './proc.js';

export type ShadowMode = 'ok' | 'slow' | 'blackhole' | 'reset' | 'refused' | 'tls';

export interface ShadowCounts {
  requests: number;
  bytes: number;
  connections: number;
}

export interface Shadow {
  readonly mode: ShadowMode;
  readonly port: number;
  readonly url: string;
  readonly https: boolean;
  counts(): Promise<ShadowCounts>;
  stop(): Promise<void>;
}

const SCRIPT = fileURLToPath(new URL('./shadow-server.ts', import.meta.url));

/** Node entry points of the bench run through tsx, like bench/run.ts itself. */
export function tsNode(name: string, script: string, args: string[], env: NodeJS.ProcessEnv = process.env): Child {
  return spawnChild(name, process.execPath, ['--import', 'tsx', script, ...args], env);
}

let cert: { BENCH_TLS_KEY: string; BENCH_TLS_CERT: string } | undefined;
/** A self-signed key and cert (openssl), made once per run, for the https shadow. */
function selfSigned(): { BENCH_TLS_KEY: string; BENCH_TLS_CERT: string } {
  if (cert) return cert;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'td-bench-tls-'));
  const key = path.join(dir, 'key.pem');
  const crt = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', key, '-out', crt], { stdio: 'ignore' });
  return (cert = { BENCH_TLS_KEY: key, BENCH_TLS_CERT: crt });
}

const ZERO: ShadowCounts = { requests: 0, bytes: 0, connections: 0 };

export async function startShadow(mode: ShadowMode, label: string): Promise<Shadow> {
  if (mode === 'refused') {
    // A port that was free a moment ago and that nobody listens on.
    const port = await freePort();
    return { mode, port, url: `http://127.0.0.1:${port}`, https: false, counts: async () => ({ ...ZERO }), stop: async () => {} };
  }
  const child = mode === 'tls' ? tsNode(`shadow-${label}`, SCRIPT, [mode], { ...process.env, ...selfSigned() }) : tsNode(`shadow-${label}`, SCRIPT, [mode]);
  const m = await child.waitFor(/LISTENING (\d+) (\d+)/, 15_000);
  const port = Number(m[1]);
  const control = Number(m[2]);
  return {
    mode,
    port,
    url: `${mode === 'tls' ? 'https' : 'http'}://127.0.0.1:${port}`,
    https: mode === 'tls',
    counts: () => getJson(control) as Promise<ShadowCounts>,
    stop: () => child.stop(),
  };
}

function getJson(port: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/stats', agent: false, timeout: 5000 }, (res) => {
      let s = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (s += c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(s));
        } catch (e) {
          reject(e);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('shadow control timeout')));
    req.on('error', reject);
  });
}

/**
 * Requests still in flight when wrk stops (queued copies, nginx mirror subrequests)
 * arrive a little later: wait until the shadows' counts stop moving for `quietMs`
 * (at most `maxMs`), then return them.
 */
export async function settledCounts(shadows: Shadow[], quietMs: number, maxMs: number): Promise<ShadowCounts[]> {
  const deadline = Date.now() + maxMs;
  let last = await Promise.all(shadows.map((s) => s.counts()));
  let stableSince = Date.now();
  while (Date.now() < deadline) {
    await sleep(100);
    const now = await Promise.all(shadows.map((s) => s.counts()));
    if (now.some((c, i) => c.requests !== last[i]!.requests)) {
      stableSince = Date.now();
      last = now;
    } else if (Date.now() - stableSince >= quietMs) {
      break;
    }
  }
  return last;
}

/** Requests each shadow received between two readings of its counts. */
export function receivedBetween(before: ShadowCounts[], after: ShadowCounts[]): number[] {
  return after.map((a, i) => a.requests - before[i]!.requests);
}

/**
 * What the shadow that got fewest received, in % of the requests the load generator
 * completed: a variant or a cold proxy that drops copies must not look fast.
 */
export function lowestDeliveryPct(before: ShadowCounts[], after: ShadowCounts[], completed: number): number {
  return (100 * Math.min(...receivedBetween(before, after))) / Math.max(1, completed);
}
