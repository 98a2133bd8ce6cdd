import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { TD_NODE_VERSION } from './contenders.js';

/** nginx and wrk come from the OS (Debian packages), not from npm: find them or install them. */
function which(name: string, extra: string[]): string | undefined {
  for (const p of extra) if (existsSync(p)) return p;
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const found = r.stdout.trim();
  return found || undefined;
}

export interface Tools {
  nginx: string;
  wrk: string;
  /** h2load (nghttp2-client): the fixed-rate workload. */
  h2load: string;
}

export function ensureTools(): Tools {
  const find = () => ({ nginx: which('nginx', ['/usr/sbin/nginx']), wrk: which('wrk', ['/usr/bin/wrk']), h2load: which('h2load', ['/usr/bin/h2load']) });
  let t = find();
  if (t.nginx && t.wrk && t.h2load) return t as Tools;
  const missing = [!t.nginx && 'nginx', !t.wrk && 'wrk', !t.h2load && 'h2load'].filter(Boolean).join(' and ');
  if (process.getuid?.() !== 0) {
    throw new Error(`bench needs ${missing}. Install them with: sudo apt-get install -y nginx-light wrk nghttp2-client  (then run npm run bench again)`);
  }
  console.log(`installing ${missing}: apt-get install -y nginx-light wrk nghttp2-client`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'nginx-light', 'wrk', 'nghttp2-client'], { stdio: 'inherit', env });
  if (install().status !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
    install();
  }
  t = find();
  if (!t.nginx || !t.wrk || !t.h2load) throw new Error(`could not install ${missing} (apt-get install -y nginx-light wrk nghttp2-client failed)`);
  return t as Tools;
}

export function versions(t: Tools): { node: string; nginx: string; wrk: string; h2load: string } {
  const run = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    return `${r.stdout}${r.stderr}`.split('\n')[0]!.trim();
  };
  return {
    node: TD_NODE_VERSION === process.version ? process.version : `${TD_NODE_VERSION} for ours (BENCH_NODE), ${process.version} for the app and shadows`,
    nginx: run(t.nginx, ['-v']).replace(/^nginx version:\s*/, ''),
    wrk: run(t.wrk, ['-v']).replace(/\s+Copyright.*$/, ''),
    h2load: run(t.h2load, ['--version']),
  };
}

export function machine(): { cpus: number; model: string; kernel: string } {
  let model = 'unknown';
  try {
    model = execFileSync('sh', ['-c', "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], { encoding: 'utf8' }).trim() || model;
  } catch {
    /* keep unknown */
  }
  let cpus = 0;
  try {
    cpus = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    /* below */
  }
  const kernel = spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim();
  return { cpus, model, kernel };
}
