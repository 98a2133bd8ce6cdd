/**
 * A loopback TCP proxy in front of one nats-server that can lose a JetStream publish ack on
 * its way back to the client: the server stores the message, the publisher never hears so.
 * That is what a node dying between storing and answering does to a publisher, made
 * deterministic. Client-to-server bytes pass untouched; server-to-client bytes are split
 * into protocol frames (a line, plus the payload for MSG/HMSG) so one frame can be left out.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';

export interface LossyNatsProxy {
  readonly url: string;
  /** Leave out the next PubAck (a reply whose payload starts `{"stream":`); resolves when it was. */
  loseNextPubAck(): Promise<string>;
  close(): Promise<void>;
}

export async function startLossyNatsProxy(serverPort: number): Promise<LossyNatsProxy> {
  let armed: ((lost: string) => void) | undefined;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(serverPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    for (const s of [client, upstream]) {
      s.on('error', () => {});
      s.on('close', () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(s);
      });
    }
    client.pipe(upstream);
    let pending = Buffer.alloc(0);
    upstream.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const eol = pending.indexOf('\r\n');
        if (eol < 0) return;
        const line = pending.subarray(0, eol).toString('latin1');
        const op = line.slice(0, line.indexOf(' ')).toUpperCase();
        // MSG subject sid [reply] size / HMSG subject sid [reply] header-size total-size
        const size = op === 'MSG' || op === 'HMSG' ? Number(line.slice(line.lastIndexOf(' ') + 1)) : -1;
        const frameEnd = size < 0 ? eol + 2 : eol + 2 + size + 2;
        if (pending.length < frameEnd) return;
        const frame = pending.subarray(0, frameEnd);
        pending = pending.subarray(frameEnd);
        const body = size < 0 ? '' : frame.subarray(eol + 2, frameEnd - 2).toString('latin1');
        if (armed && op === 'MSG' && body.startsWith('{"stream":')) {
          const resolve = armed;
          armed = undefined;
          resolve(body);
          continue;
        }
        client.write(frame);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `nats://127.0.0.1:${port}`,
    loseNextPubAck: () => new Promise((resolve) => (armed = resolve)),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
