import type net from 'node:net';
import type { Upstream } from '../core/addresses.js';
import type { ConnectionObserver } from '../core/mirror.js';
import { DeferredObserver } from './deferred-tee.js';
import { connectUpstream } from './upstream.js';
import { LocalPathPipe, type LocalPath } from './local-path.js';

export type RelayConnectionState = 'connecting' | 'open' | 'closed';

export interface RelayConnectionEvents {
  /** The app could not be reached. `answered502` says whether we could still tell the client. */
  onUpstreamError(err: NodeJS.ErrnoException, answered502: boolean): void;
  onClosed(conn: RelayConnection): void;
}

const BAD_GATEWAY_BODY = 'Bad Gateway: traffic-duplicator could not reach the app.\n';
const BAD_GATEWAY =
  'HTTP/1.1 502 Bad Gateway\r\n' +
  'Content-Type: text/plain; charset=utf-8\r\n' +
  `Content-Length: ${Buffer.byteLength(BAD_GATEWAY_BODY)}\r\n` +
  'Connection: close\r\n\r\n' +
  BAD_GATEWAY_BODY;

/**
 * One client connection paired with its own connection to the app. Bytes are piped both
 * ways untouched; the observer (the tee) sees the same chunks, after the relay has taken
 * them and after the loop turn's relaying (deferred-tee.ts, which also contains anything it
 * throws). The relay never waits on the observer.
 */
export class RelayConnection {
  #state: RelayConnectionState = 'connecting';
  /** The tee, deferred (deferred-tee.ts): it runs after the turn's relaying and contains its own failures. */
  #observer: DeferredObserver | undefined;
  readonly #client: net.Socket;
  readonly #app: net.Socket;
  readonly #events: RelayConnectionEvents;
  /** Bytes sent to the client so far: a 502 is only possible while this is 0. */
  #bytesToClient = 0;

  constructor(client: net.Socket, upstream: Upstream, events: RelayConnectionEvents, observer?: ConnectionObserver, localPath?: LocalPath) {
    this.#client = client;
    this.#events = events;
    this.#observer = observer && new DeferredObserver(observer);
    client.setNoDelay(true);
    this.#app = connectUpstream(upstream);
    const app = this.#app;

    if (localPath) {
      // --admin-path: requests for that path are answered here and never reach the app or
      // the tee; every other byte goes on exactly as read (see local-path.ts).
      this.#wireLocalPath(client, app, localPath);
      return;
    }

    // Node buffers writes made before the app socket connects, so the client's first bytes
    // are piped straight away: no extra round trip on the primary path.
    client.pipe(app);
    app.pipe(client);

    app.once('connect', () => {
      if (this.#state === 'connecting') this.#state = 'open';
    });
    if (observer) {
      client.on('data', (chunk: Buffer) => this.#observe('fromClient', chunk));
      app.on('data', (chunk: Buffer) => {
        this.#bytesToClient += chunk.length;
        this.#observe('fromApp', chunk);
      });
    } else {
      app.on('data', (chunk: Buffer) => {
        this.#bytesToClient += chunk.length;
      });
    }

    this.#wireEnds(client, app);
  }

  #wireEnds(client: net.Socket, app: net.Socket): void {
    app.on('error', (err: NodeJS.ErrnoException) => {
      const canAnswer = this.#bytesToClient === 0 && !client.destroyed && client.writable;
      this.#events.onUpstreamError(err, canAnswer);
      if (canAnswer) {
        app.unpipe(client);
        client.unpipe(app);
        client.end(BAD_GATEWAY);
        // If the client never reads our 502, don't hold the socket forever.
        client.setTimeout(10_000, () => client.destroy());
      } else {
        client.destroy();
      }
    });
    // A client that goes away closes its app connection (no orphaned work for the app).
    client.on('error', () => app.destroy());
    client.on('close', () => {
      app.destroy();
      this.#finish();
    });
    app.on('close', () => {
      // The app closed: let the client read what is buffered, then end (pipe ends it).
      if (!client.writableEnded && !client.destroyed && this.#bytesToClient > 0) client.end();
      this.#finish();
    });
  }

  #wireLocalPath(client: net.Socket, app: net.Socket, localPath: LocalPath): void {
    const pipe = new LocalPathPipe(
      client,
      app,
      localPath,
      (bytes) => this.#observe('fromClient', bytes),
      (n) => (this.#bytesToClient += n),
    );
    app.pipe(client);
    app.once('connect', () => {
      if (this.#state === 'connecting') this.#state = 'open';
    });
    app.on('data', (chunk: Buffer) => {
      this.#bytesToClient += chunk.length;
      this.#observe('fromApp', chunk);
      pipe.fromApp(chunk);
    });
    this.#wireEnds(client, app);
  }

  get state(): RelayConnectionState {
    return this.#state;
  }

  get remote(): string {
    return `${this.#client.remoteAddress ?? '?'}:${this.#client.remotePort ?? '?'}`;
  }

  /** Force-close both sides (shutdown deadline). */
  destroy(): void {
    this.#client.destroy();
    this.#app.destroy();
  }

  /** Queues the chunk for the tee; never throws (a failing tee stops only itself, in deferred-tee.ts). */
  #observe(direction: 'fromClient' | 'fromApp', chunk: Buffer): void {
    this.#observer?.[direction](chunk);
  }

  #finish(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    const observer = this.#observer;
    this.#observer = undefined;
    observer?.close();
    this.#events.onClosed(this);
  }
}

