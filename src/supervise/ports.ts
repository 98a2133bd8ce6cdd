import net from 'node:net';

/** Asks the OS for a free loopback port for the app (never $PORT+1/+2: those can be taken). */
export function pickFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen({ host, port: 0 }, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** One TCP connect attempt; resolves true if something accepted it. */
export function canConnect(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/**
 * Which loopback address the app listens on: apps bind 0.0.0.0, 127.0.0.1, :: or ::1
 * depending on framework and defaults, so try both families.
 */
export async function probeLoopback(port: number): Promise<string | undefined> {
  for (const host of ['127.0.0.1', '::1']) if (await canConnect(host, port)) return host;
  return undefined;
}
