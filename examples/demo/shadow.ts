import { startRecordingShadow } from '../../test/helpers/net.js';

export { sha256 } from '../../test/helpers/net.js';

export interface ReceivedCopy {
  method: string;
  url: string;
  host: string;
  bodyBytes: number;
  bodySha256: string;
}

export interface Shadow {
  readonly label: string;
  readonly url: string;
  readonly port: number;
  readonly received: ReceivedCopy[];
  close(): Promise<void>;
}

/**
 * A shadow deployment for the demo: the test kit's recording shadow (method, target, sha256
 * of the body of every copy), answering `<label> ok` after `delayMs(url)` milliseconds.
 */
export async function startShadow(label: string, delayMs: (url: string) => number): Promise<Shadow> {
  const shadow = await startRecordingShadow({ delayMs: (url) => Math.max(0, delayMs(url)), body: `${label} ok\n` });
  return {
    label,
    url: shadow.url,
    port: shadow.port,
    get received() {
      return shadow.received.map((r) => ({ method: r.method, url: r.url, host: r.headers.host ?? '', bodyBytes: r.bodyLength, bodySha256: r.bodySha }));
    },
    close: () => shadow.close(),
  };
}
