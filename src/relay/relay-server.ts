import net from 'node:net';
import type { Logger } from '../telemetry/logger.js';
import { RateLimitedLog } from '../telemetry/logger.js';
import type { ListenAddress, Upstream } from '../core/addresses.js';
import type { ConnectionObserver } from '../core/mirror.js';
import { waitUnlessWoken, wakeAll } from '../core/wait.js';
import { RelayConnection } from './relay-connection.js';
import { describeUpstream } from './upstream.js';
import type { LocalPath } from './local-path.js';

export interface RelayServerOptions {
  listen: ListenAddress;
  upstream: Upstream;
  log: Logger;
  /** Called for each new connection; returns the tee's observer, or undefined to relay only. */
  observe?: (connectionId: string) => ConnectionObserver | undefined;
  /** --admin-path: requests for this path are answered by us, never relayed (unset: a plain pipe). */
  localPath?: LocalPath;
}

/** Where the public port was bound, and by how many listening sockets. */
export interface ListeningAddress extends net.AddressInfo {
  readonly sockets: number;
}

/**
 * Listening sockets on the public port. libuv (Node 20 and later: libuv PR 3696) accepts
 * one connection per listening socket per event-loop iteration, and an iteration is as long
 * as all the relaying and teeing that was ready in it: a burst of 50 new connections (a
 * dyno's cold start, clients that don't keep connections alive) was accepted one per
 * iteration, the 50th after ~50 busy iterations (measured: ~13 ms apart at cold start, the
 * last connection's first answer after ~650 ms). With SO_REUSEPORT the kernel spreads new
 * connections over several sockets on the same port, and each accepts one per iteration.
 * Measured on Node 22 (two shadows, one https; wrk -c50 from a fresh proxy, 4 alternating
 * rounds, medians): cold-start p99 324 ms with 1 socket, 155 with 4, 128 with 8, 90 with 16;
 * new-connection GETs +8–20% req/s and ~10% less CPU per request with 16. A socket costs
 * a file descriptor and a handle, nothing while idle.
 */
export const LISTEN_SOCKETS = 16;

/**
 * How many listening sockets to open: `wanted` where Node can set SO_REUSEPORT on a server
 * (`reusePort`, Node >= 22.12 / 23.1) and Linux spreads connections over them; else 1.
 */
export function listenSocketCount(wanted: number, nodeVersion = process.versions.node, platform: string = process.platform): number {
  if (wanted <= 1 || platform !== 'linux') return 1;
  const [major = 0, minor = 0] = nodeVersion.split('.').map(Number);
  const reusePort = major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
  return reusePort ? wanted : 1;
}

/**
 * The primary path: a TCP server on the public port that pairs every client connection
 * with its own connection to the app and copies bytes both ways, untouched.
 *
 * No idle timeout is set on client sockets: Heroku's router keeps idle keep-alive
 * connections for 90 s and expects to reuse them, so only the app decides when to close.
 */
export class RelayServer {
  readonly #options: RelayServerOptions;
  /** The first listening socket; the others (#extra) share its port through SO_REUSEPORT. */
  readonly #server: net.Server;
  readonly #extra: net.Server[] = [];
  readonly #connections = new Set<RelayConnection>();
  readonly #warn: RateLimitedLog;
  #nextId = 0;
  #address: net.AddressInfo | undefined;
  readonly #idleWaiters = new Set<() => void>();

  constructor(options: RelayServerOptions) {
    this.#options = options;
    this.#warn = new RateLimitedLog(options.log, 1000);
    this.#server = this.#createServer();
  }

  #createServer(): net.Server {
    const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (client) => this.#accept(client));
    // Errors on a half-open accept are per-connection, not server-wide.
    server.on('error', (err) => this.#options.log.error('relay-error', { message: err.message }));
    return server;
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  get address(): net.AddressInfo | undefined {
    return this.#address;
  }

  /**
   * Binds the public port. Dual-stack `::` first, then 0.0.0.0 where IPv6 is unavailable.
   * Then, where SO_REUSEPORT is available, more sockets on the same address and port; one
   * that can't bind is left out (the first is enough to serve).
   */
  async listen(): Promise<ListeningAddress> {
    const { host, port } = this.#options.listen;
    const sockets = listenSocketCount(LISTEN_SOCKETS);
    const reusePort = sockets > 1;
    let bound = host === '' ? '::' : host;
    try {
      await bind(this.#server, bound, port, reusePort);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (bound !== '::' || (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL')) throw err;
      bound = '0.0.0.0';
      await bind(this.#server, bound, port, reusePort);
    }
    const address = this.#server.address() as net.AddressInfo;
    for (let i = 1; i < sockets; i++) {
      const extra = this.#createServer();
      try {
        await bind(extra, bound, address.port, true);
        this.#extra.push(extra);
      } catch (err) {
        extra.close();
        this.#options.log.warn('listen-socket-failed', { port: address.port, message: (err as Error).message, sockets: 1 + this.#extra.length });
        break;
      }
    }
    this.#address = address;
    return { ...address, sockets: 1 + this.#extra.length };
  }

  /** Stops accepting new connections; existing ones carry on. */
  stopAccepting(): void {
    for (const server of [this.#server, ...this.#extra]) if (server.listening) server.close();
  }

  /** Resolves when every relayed connection has closed, or after `ms` (then returns false). */
  waitForIdle(ms: number): Promise<boolean> {
    if (this.#connections.size === 0) return Promise.resolve(true);
    return waitUnlessWoken(ms, this.#idleWaiters);
  }

  /** Closes the listener and force-closes every remaining connection. */
  destroy(): void {
    this.stopAccepting();
    for (const c of this.#connections) c.destroy();
  }

  #accept(client: net.Socket): void {
    const id = (++this.#nextId).toString(36);
    let observer: ConnectionObserver | undefined;
    try {
      observer = this.#options.observe?.(id);
    } catch (err) {
      // The tee failed to open: relay this connection without mirroring.
      this.#warn.warn('observe', 'tap-error', { message: (err as Error).message });
    }
    const upstream = this.#options.upstream;
    const conn = new RelayConnection(
      client,
      upstream,
      {
        onUpstreamError: (err, answered502) =>
          this.#warn.warn(`upstream:${err.code ?? 'error'}`, 'upstream-error', {
            upstream: describeUpstream(upstream),
            code: err.code ?? 'error',
            message: err.message,
            status: answered502 ? 502 : undefined,
          }),
        onClosed: (c) => {
          this.#connections.delete(c);
          if (this.#connections.size === 0) wakeAll(this.#idleWaiters);
        },
      },
      observer,
      this.#options.localPath,
    );
    this.#connections.add(conn);
  }
}

function bind(server: net.Server, host: string, port: number, reusePort: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    // ipv6Only false: '::' also accepts IPv4 (mapped) connections. reusePort is only passed
    // where Node knows it (older versions would ignore it and the second bind would fail).
    const options: net.ListenOptions & { reusePort?: boolean } = { host, port, ipv6Only: false, backlog: 4096 };
    if (reusePort) options.reusePort = true;
    server.listen(options, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
