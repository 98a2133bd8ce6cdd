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

/**
 * The primary path: a TCP server on the public port that pairs every client connection
 * with its own connection to the app and copies bytes both ways, untouched.
 *
 * No idle timeout is set on client sockets: Heroku's router keeps idle keep-alive
 * connections for 90 s and expects to reuse them, so only the app decides when to close.
 */
export class RelayServer {
  readonly #options: RelayServerOptions;
  readonly #server: net.Server;
  readonly #connections = new Set<RelayConnection>();
  readonly #warn: RateLimitedLog;
  #nextId = 0;
  #address: net.AddressInfo | undefined;
  readonly #idleWaiters = new Set<() => void>();

  constructor(options: RelayServerOptions) {
    this.#options = options;
    this.#warn = new RateLimitedLog(options.log, 1000);
    this.#server = net.createServer({ allowHalfOpen: true, noDelay: true }, (client) => this.#accept(client));
    // Accept as fast as the kernel hands connections over; errors on a half-open
    // accept are per-connection, not server-wide.
    this.#server.on('error', (err) => options.log.error('relay-error', { message: err.message }));
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  get address(): net.AddressInfo | undefined {
    return this.#address;
  }

  /** Binds the public port. Dual-stack `::` first, then 0.0.0.0 where IPv6 is unavailable. */
  async listen(): Promise<net.AddressInfo> {
    const { host, port } = this.#options.listen;
    const wanted = host === '' ? '::' : host;
    try {
      await this.#bind(wanted, port);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (wanted === '::' && (code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL')) await this.#bind('0.0.0.0', port);
      else throw err;
    }
    this.#address = this.#server.address() as net.AddressInfo;
    return this.#address;
  }

  /** Stops accepting new connections; existing ones carry on. */
  stopAccepting(): void {
    if (this.#server.listening) this.#server.close();
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

  #bind(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.#server.once('error', onError);
      // ipv6Only false: '::' also accepts IPv4 (mapped) connections.
      this.#server.listen({ host, port, ipv6Only: false, backlog: 4096 }, () => {
        this.#server.off('error', onError);
        resolve();
      });
    });
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
