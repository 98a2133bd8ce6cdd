import { createRequire } from 'node:module';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import type { SecureContext, TLSSocket } from 'node:tls';
import { CachedLookup, LOOKUP_TTL_MS } from '../../core/cached-lookup.js';
import type { Destination } from '../http-request.js';
import { ShadowConnection, type ConnectionOwner } from './connection.js';

// node:tls (and crypto under it) costs ~3.5 MB of RSS: loaded only for an https destination.
let tlsModule: typeof import('node:tls') | undefined;
function tls(): typeof import('node:tls') {
  return (tlsModule ??= createRequire(import.meta.url)('node:tls') as typeof import('node:tls'));
}

export interface PoolOptions {
  /** Most connections open at once (= the output's workers). */
  max: number;
  skipVerify: boolean;
  /** Most response body bytes read before a connection is closed instead (the drain cap). */
  drainLimit: number;
  /** An idle connection with no traffic for this long is closed (a socket timeout, not a timer per copy). */
  idleMs: number;
  /**
   * Called when a connection comes back idle or one closes (a slot opens). A copy's
   * settlement is not always that moment: after an early answer the connection comes back
   * only once our write has ended, and the owner's pump may have found the pool full.
   */
  onAvailable?: () => void;
}

/**
 * Keep-alive connections to one destination. Idle connections are reused last-in
 * first-out (the warmest socket, and the rest can age out on the shadow's side without
 * being touched). A TLS session ticket from the first handshake is offered to later
 * connections, so a burst of new connections costs resumptions, not full handshakes.
 */
export class ConnectionPool implements ConnectionOwner {
  readonly #dest: Destination;
  readonly #opts: PoolOptions;
  readonly #host: string;
  readonly #port: number;
  readonly #idle: ShadowConnection[] = [];
  readonly #all = new Set<ShadowConnection>();
  /** The destination's addresses when it is given by name: looked up once per LOOKUP_TTL_MS, not per connection. */
  readonly #lookup: CachedLookup | undefined;
  #session: Buffer | undefined;
  /**
   * One TLS context for all of this destination's connections. tls.connect() without one
   * builds a new context per connection (an OpenSSL context and the CA store): 6% of our
   * CPU in the first half second of a cold start with an https shadow, where a burst opens
   * dozens of connections. Nothing we pass is a context option (no ca, cert or ciphers).
   */
  #secureContext: SecureContext | undefined;
  #closed = false;

  constructor(dest: Destination, opts: PoolOptions) {
    this.#dest = dest;
    this.#opts = opts;
    const u = new URL(dest.origin);
    this.#host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
    this.#port = u.port ? Number(u.port) : dest.https ? 443 : 80;
    this.#lookup = isIP(this.#host) ? undefined : new CachedLookup({ ttlMs: LOOKUP_TTL_MS });
  }

  get size(): number {
    return this.#all.size;
  }

  get idleCount(): number {
    return this.#idle.length;
  }

  /** An idle connection, or a new one while under the cap; undefined at the cap. `fresh` skips idle ones. */
  acquire(fresh = false): ShadowConnection | undefined {
    if (this.#closed) return undefined;
    if (!fresh) {
      for (let c = this.#idle.pop(); c !== undefined; c = this.#idle.pop()) {
        if (!c.dead) return c;
      }
    }
    if (this.#all.size >= this.#opts.max) return undefined;
    return this.#open();
  }

  /**
   * Opens up to `n` connections ahead of traffic (TCP connect and TLS handshake happen
   * before the first copy, e.g. while the app boots). Failures are silent: the first copy
   * will meet the same error and count it.
   */
  warm(n: number): void {
    const want = Math.min(n, this.#opts.max) - this.#all.size;
    for (let i = 0; i < want; i++) this.#idle.push(this.#open());
  }

  destroy(): void {
    this.#closed = true;
    for (const c of [...this.#all]) c.socket.destroy();
    this.#idle.length = 0;
  }

  release(conn: ShadowConnection): void {
    if (this.#closed || conn.dead) return;
    this.#idle.push(conn);
    this.#opts.onAvailable?.();
  }

  gone(conn: ShadowConnection): void {
    if (!this.#all.delete(conn)) return;
    const i = this.#idle.indexOf(conn);
    if (i >= 0) this.#idle.splice(i, 1);
    if (!this.#closed) this.#opts.onAvailable?.();
  }

  connected(conn: ShadowConnection): void {
    if (this.#dest.https && this.#session === undefined) {
      const s = (conn.socket as TLSSocket).getSession?.();
      if (s) this.#session = s;
    }
  }

  #open(): ShadowConnection {
    let socket: Socket;
    const lookup = this.#lookup;
    if (this.#dest.https) {
      const secure = tls().connect({
        host: this.#host,
        port: this.#port,
        ...(lookup ? { lookup: lookup.lookup } : {}),
        secureContext: (this.#secureContext ??= tls().createSecureContext()),
        rejectUnauthorized: !this.#opts.skipVerify,
        ALPNProtocols: ['http/1.1'],
        ...(this.#dest.servername ? { servername: this.#dest.servername } : {}),
        ...(this.#session ? { session: this.#session } : {}),
      });
      // TLS 1.3 tickets arrive after the handshake.
      secure.on('session', (s: Buffer) => {
        this.#session = s;
      });
      socket = secure;
    } else {
      socket = netConnect({ host: this.#host, port: this.#port, ...(lookup ? { lookup: lookup.lookup } : {}) });
    }
    if (lookup) lookup.forgetOnError(socket, this.#host);
    socket.setTimeout(this.#opts.idleMs, () => socket.destroy());
    const conn = new ShadowConnection(socket, this, this.#opts.drainLimit, this.#dest.https);
    this.#all.add(conn);
    return conn;
  }
}
