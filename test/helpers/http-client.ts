import net from 'node:net';
import { once } from 'node:events';

/**
 * A keep-alive HTTP/1.1 client on a raw socket that returns each response's exact bytes,
 * so tests can compare what arrives through the proxy with what the app sends directly.
 * It understands just enough framing for our test apps: Content-Length responses.
 */
export class RawKeepAliveClient {
  readonly #sock: net.Socket;
  #buf: Buffer = Buffer.alloc(0);
  #waiter: (() => void) | undefined;
  #closed = false;

  private constructor(sock: net.Socket) {
    this.#sock = sock;
    sock.on('data', (c: Buffer) => {
      this.#buf = this.#buf.length === 0 ? c : Buffer.concat([this.#buf, c]);
      this.#waiter?.();
    });
    const end = () => {
      this.#closed = true;
      this.#waiter?.();
    };
    sock.on('end', end);
    sock.on('close', end);
    sock.on('error', end);
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<RawKeepAliveClient> {
    const sock = net.connect({ host, port });
    await once(sock, 'connect');
    sock.setNoDelay(true);
    return new RawKeepAliveClient(sock);
  }

  /** Sends a request (raw bytes, possibly in several writes) and resolves with the raw response. */
  async request(parts: Buffer | string | Array<Buffer | string>): Promise<Buffer> {
    for (const p of Array.isArray(parts) ? parts : [parts]) this.#sock.write(p);
    return this.#readResponse();
  }

  /** Writes without waiting (pipelining); read the answers in order with `next()`. */
  send(parts: Buffer | string | Array<Buffer | string>): void {
    for (const p of Array.isArray(parts) ? parts : [parts]) this.#sock.write(p);
  }

  /** The next response's raw bytes. */
  next(): Promise<Buffer> {
    return this.#readResponse();
  }

  close(): void {
    this.#sock.destroy();
  }

  async #readResponse(): Promise<Buffer> {
    for (;;) {
      const headEnd = this.#buf.indexOf('\r\n\r\n');
      if (headEnd >= 0) {
        const head = this.#buf.subarray(0, headEnd).toString('latin1');
        const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        const total = headEnd + 4 + (m ? Number(m[1]) : 0);
        if (this.#buf.length >= total) {
          const out = this.#buf.subarray(0, total);
          this.#buf = this.#buf.subarray(total);
          return Buffer.from(out);
        }
      }
      if (this.#closed) throw new Error(`connection closed mid-response after ${this.#buf.length} bytes`);
      await new Promise<void>((r) => (this.#waiter = r));
      this.#waiter = undefined;
    }
  }
}

export function rawRequest(method: string, target: string, body?: Buffer, extraHeaders: string[] = []): Buffer {
  const head = [`${method} ${target} HTTP/1.1`, 'Host: app.example', ...extraHeaders];
  if (body) head.push(`Content-Length: ${body.length}`);
  return Buffer.concat([Buffer.from(head.join('\r\n') + '\r\n\r\n', 'latin1'), body ?? Buffer.alloc(0)]);
}

/** A chunked request split into `chunks` pieces of the body. */
export function rawChunkedRequest(target: string, body: Buffer, chunks = 3): Buffer {
  const parts: Buffer[] = [Buffer.from(`POST ${target} HTTP/1.1\r\nHost: app.example\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n`)];
  const size = Math.ceil(body.length / chunks);
  for (let i = 0; i < body.length; i += size) {
    const piece = body.subarray(i, i + size);
    parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}
