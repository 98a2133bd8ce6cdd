// Real nats-server processes on loopback for the NATS tests: a 3-node JetStream cluster (or a
// single server), configs and store dirs in a temp dir, started and killed for real.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { eventually, refusedPort, startProcess, waitForPort, type Proc } from './net.js';

/** Debian installs it in /usr/sbin (not on a normal user's PATH). */
export function natsServerBinary(): string | undefined {
  for (const p of [process.env.NATS_SERVER, '/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']) {
    if (p && existsSync(p)) return p;
  }
  try {
    return execFileSync('/bin/sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export interface NatsNode {
  readonly name: string;
  readonly port: number;
  readonly monitorPort: number;
  readonly url: string;
  proc: Proc | undefined;
}

export interface NatsCluster {
  readonly nodes: NatsNode[];
  /** Every node's client URL, comma-separated (what --output-nats takes). */
  readonly urls: string;
  readonly dir: string;
  /** SIGKILL one node (its store stays). */
  kill(i: number): Promise<void>;
  /** Start a killed node again with the same config and store. */
  restart(i: number): Promise<void>;
  /** Resolves once JetStream has a meta leader (the cluster accepts stream operations). */
  waitForLeader(timeoutMs?: number): Promise<void>;
  /** The whole log of every node (for failure messages). */
  logs(): string;
  /** SIGKILL everything and remove the temp dir. */
  stop(): Promise<void>;
}

/**
 * Starts `size` servers (3: a cluster with routes; 1: a lone server) with JetStream on.
 * `extraConfig` is appended to every node's config (e.g. an authorization block).
 */
export async function startNatsCluster(opts: { size?: 1 | 3; extraConfig?: string } = {}): Promise<NatsCluster> {
  const bin = natsServerBinary();
  if (!bin) throw new Error('nats-server is not installed (apt-get install nats-server; see .ci/run)');
  const size = opts.size ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'td-nats-'));
  const nodes: NatsNode[] = [];
  const clusterPorts: number[] = [];
  for (let i = 0; i < size; i++) {
    const port = await refusedPort();
    const monitorPort = await refusedPort();
    clusterPorts.push(await refusedPort());
    nodes.push({ name: `n${i + 1}`, port, monitorPort, url: `nats://127.0.0.1:${port}`, proc: undefined });
  }
  const configPath = (n: NatsNode) => join(dir, `${n.name}.conf`);
  nodes.forEach((n, i) => {
    const cluster =
      size > 1
        ? `cluster {\n  name: td\n  listen: 127.0.0.1:${clusterPorts[i]}\n  routes: [${clusterPorts.map((p) => `nats-route://127.0.0.1:${p}`).join(', ')}]\n}\n`
        : '';
    writeFileSync(
      configPath(n),
      `server_name: ${n.name}\nlisten: 127.0.0.1:${n.port}\nhttp: 127.0.0.1:${n.monitorPort}\n` +
        `jetstream {\n  store_dir: "${join(dir, n.name)}"\n  max_memory_store: 64MB\n  max_file_store: 2GB\n}\n` +
        cluster +
        (opts.extraConfig ?? ''),
    );
  });
  const start = async (n: NatsNode) => {
    n.proc = startProcess(bin, ['-c', configPath(n)]);
    await waitForPort(n.port, 20_000);
  };
  const cluster: NatsCluster = {
    nodes,
    urls: nodes.map((n) => n.url).join(','),
    dir,
    async kill(i) {
      const n = nodes[i]!;
      n.proc?.kill('SIGKILL');
      await n.proc?.exited;
      n.proc = undefined;
    },
    async restart(i) {
      await start(nodes[i]!);
    },
    async waitForLeader(timeoutMs = 30_000) {
      await eventually(
        async () => {
          for (const n of nodes) {
            if (!n.proc) continue;
            try {
              const res = await fetch(`http://127.0.0.1:${n.monitorPort}/jsz`);
              const body = (await res.json()) as { meta_cluster?: { leader?: string } };
              if (size === 1 || body.meta_cluster?.leader) return true;
            } catch {
              /* not up yet */
            }
          }
          return false;
        },
        timeoutMs,
        'a JetStream meta leader',
      );
    },
    logs: () => nodes.map((n) => `--- ${n.name}\n${n.proc?.output() ?? '(stopped)'}`).join('\n'),
    async stop() {
      for (const n of nodes) {
        n.proc?.kill('SIGKILL');
        await n.proc?.exited;
        n.proc = undefined;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(nodes.map(start));
    await cluster.waitForLeader();
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}
