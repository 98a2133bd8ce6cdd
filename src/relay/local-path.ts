import type net from 'node:net';
import { sameName } from '../core/message.js';
import { RequestSniffer, type LocalRequest } from './request-sniffer.js';
import { ResponseTracker } from './response-tracker.js';

/** A request answered by us on the public port (the admin path), as the answerer sees it. */
export interface LocalPathRequest {
  readonly method: string;
  readonly target: string;
  /** Lowercase names; repeated fields joined (cookie with "; "). */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Buffer;
}

export interface LocalPathAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/**
 * What the relay needs to answer one path itself (--admin-path). Given to the relay only
 * when that path is configured; without it the relay is the plain byte pipe it always was.
 */
export interface LocalPath {
  /** Whether a request target is ours (the path itself or below it). */
  matches(target: string): boolean;
  /** Must not reject: a failure is an answer (500), never an exception into the relay. */
  answer(req: LocalPathRequest): Promise<LocalPathAnswer>;
  /** Largest body read for a local request (a larger one is discarded and answered 413). */
  readonly maxBodyBytes: number;
}

const REASONS: Record<number, string> = { 200: 'OK', 303: 'See Other', 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 413: 'Content Too Large', 415: 'Unsupported Media Type', 500: 'Internal Server Error' };

/**
 * Replaces `client.pipe(app)` when a local path is configured: client bytes go through a
 * RequestSniffer; requests for the local path are answered here (never written to the app,
 * never shown to the tee, so never mirrored), every other byte is written to the app as read.
 * The app→client direction stays a plain pipe; a ResponseTracker only counts its answers,
 * so a local answer waits for the app's answers to earlier pipelined requests.
 */
export class LocalPathPipe {
  readonly #client: net.Socket;
  readonly #app: net.Socket;
  readonly #path: LocalPath;
  readonly #observe: (bytes: Buffer) => void;
  readonly #sniffer: RequestSniffer;
  readonly #tracker = new ResponseTracker();
  /** Why the client is paused: the app's socket is full, and/or a local answer is pending. */
  #waitingDrain = false;
  #pending: { req: LocalRequest; answer: LocalPathAnswer | undefined } | undefined;
  /**
   * The 400 for an admin request we can't frame, which ends the connection: like a local
   * answer, it waits for the app's answers to the requests before it, or the client would
   * read it as one of those answers and lose the app's.
   */
  #closing: LocalPathAnswer | undefined;
  #clientEnded = false;

  readonly #wroteToClient: (n: number) => void;

  /**
   * @param observe the tee: sees exactly the bytes written to the app
   * @param wroteToClient told how many bytes of our own answers went to the client (so the
   *   relay no longer answers 502 on that connection: the client has had answers already)
   */
  constructor(client: net.Socket, app: net.Socket, path: LocalPath, observe: (bytes: Buffer) => void, wroteToClient: (n: number) => void = () => {}) {
    this.#wroteToClient = wroteToClient;
    this.#client = client;
    this.#app = app;
    this.#path = path;
    this.#observe = observe;
    this.#sniffer = new RequestSniffer((t) => path.matches(t), {
      forward: (bytes) => this.#forward(bytes),
      forwarded: (method) => this.#tracker.expect(method),
      local: (req) => this.#local(req),
      unframeable: () => this.#closeAfterAnswers(plain(400, 'Bad Request\n')),
    }, path.maxBodyBytes);
    client.on('data', (chunk: Buffer) => {
      try {
        this.#sniffer.feed(chunk);
      } catch {
        // A bug here must not take the process down; bytes may be half-forwarded, so the
        // only safe thing left for this one connection is to close it.
        client.destroy();
      }
    });
    client.on('end', () => {
      this.#clientEnded = true;
      this.#maybeEndApp();
    });
  }

  /** The app's bytes, after the pipe has written them to the client. */
  fromApp(chunk: Buffer): void {
    try {
      this.#tracker.feed(chunk);
      if (this.#pending?.answer) this.#tryAnswer();
      else if (this.#closing) this.#tryClose();
    } catch {
      this.#client.destroy();
    }
  }

  #forward(bytes: Buffer): void {
    if (this.#app.destroyed) return; // the relay is tearing the connection down
    this.#observe(bytes);
    if (!this.#app.write(bytes) && !this.#waitingDrain) {
      this.#waitingDrain = true;
      this.#client.pause();
      this.#app.once('drain', () => {
        this.#waitingDrain = false;
        if (!this.#pending) this.#client.resume();
      });
    }
  }

  #local(req: LocalRequest): void {
    this.#client.pause();
    const pending: { req: LocalRequest; answer: LocalPathAnswer | undefined } = { req, answer: undefined };
    this.#pending = pending;
    if (req.bodyTooLarge) {
      pending.answer = plain(413, 'request body too large\n');
      this.#tryAnswer();
      return;
    }
    const headers = new Map<string, string>();
    for (const h of req.head.headers) {
      const name = h.name.toLowerCase();
      const prev = headers.get(name);
      headers.set(name, prev === undefined ? h.value : `${prev}${name === 'cookie' ? '; ' : ', '}${h.value}`);
    }
    this.#path
      .answer({ method: req.head.method, target: req.head.target, headers, body: req.body })
      .catch(() => plain(500, 'admin error\n'))
      .then((answer) => {
        pending.answer = answer;
        this.#tryAnswer();
      });
  }

  /** Writes the pending answer once the app has answered everything asked before it. */
  #tryAnswer(): void {
    const pending = this.#pending;
    if (!pending?.answer) return;
    if (this.#appStillAnswering()) return;
    if (this.#client.destroyed) return;
    this.#pending = undefined;
    const { head } = pending.req;
    const keepAlive = wantsKeepAlive(head.version, head.headers) && !pending.req.bodyTooLarge;
    const bytes = serialize(pending.answer, head.method === 'HEAD', keepAlive);
    this.#wroteToClient(bytes.length);
    this.#client.write(bytes);
    if (!keepAlive) {
      this.#client.end();
      this.#app.end();
      return;
    }
    this.#sniffer.resume();
    if (!this.#pending && !this.#waitingDrain) this.#client.resume();
    this.#maybeEndApp();
  }

  /** The app has not yet answered every request before ours (while its answers can be counted). */
  #appStillAnswering(): boolean {
    return this.#tracker.outstanding > 0 && !this.#tracker.lost;
  }

  #maybeEndApp(): void {
    // The client half-closed: pass that on once no local answer still holds bytes back.
    if (this.#clientEnded && !this.#pending && !this.#sniffer.holding && !this.#app.writableEnded) {
      this.#sniffer.end();
      this.#app.end();
    }
  }

  #closeAfterAnswers(answer: LocalPathAnswer): void {
    this.#client.pause();
    this.#closing = answer;
    this.#tryClose();
  }

  #tryClose(): void {
    const answer = this.#closing;
    if (!answer) return;
    if (this.#appStillAnswering()) return;
    this.#closing = undefined;
    if (!this.#client.destroyed) {
      const bytes = serialize(answer, false, false);
      this.#wroteToClient(bytes.length);
      this.#client.end(bytes);
    }
    this.#app.end();
  }
}

function wantsKeepAlive(version: string, headers: ReadonlyArray<{ name: string; value: string }>): boolean {
  let connection = '';
  for (const h of headers) if (sameName(h.name, 'connection')) connection += ',' + h.value.toLowerCase();
  if (/(^|,)\s*close\s*(,|$)/.test(connection)) return false;
  return version === 'HTTP/1.1' || /(^|,)\s*keep-alive\s*(,|$)/.test(connection);
}

function plain(status: number, text: string): LocalPathAnswer {
  const body = Buffer.from(text);
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(body.length) }, body };
}

function serialize(answer: LocalPathAnswer, headRequest: boolean, keepAlive: boolean): Buffer {
  let head = `HTTP/1.1 ${answer.status} ${REASONS[answer.status] ?? 'Status'}\r\n`;
  for (const [name, value] of Object.entries(answer.headers)) {
    if (name === 'connection') continue;
    head += `${name}: ${value}\r\n`;
  }
  if (answer.headers['content-length'] === undefined) head += `content-length: ${answer.body.length}\r\n`;
  head += `connection: ${keepAlive ? 'keep-alive' : 'close'}\r\n\r\n`;
  return headRequest ? Buffer.from(head, 'latin1') : Buffer.concat([Buffer.from(head, 'latin1'), answer.body]);
}
