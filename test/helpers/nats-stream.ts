// Reading a JetStream stream back in tests: every message's gor headers and its request line.
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';

export interface StoredRecord {
  seq: number;
  type: string;
  id: string;
  instance: string;
  /** The payload's first line, e.g. `GET /r/1/2 HTTP/1.1`. */
  firstLine: string;
  payload: Buffer;
}

/** Every message of `stream` (ordered consumer; stops at the last sequence seen at the call). */
export async function readStream(servers: string, stream: string): Promise<StoredRecord[]> {
  const nc = await connect({ servers: servers.split(','), timeout: 5000 });
  try {
    const jsm = await jetstreamManager(nc);
    const last = (await jsm.streams.info(stream)).state.last_seq;
    const out: StoredRecord[] = [];
    if (last === 0) return out;
    const consumer = await jetstream(nc).consumers.get(stream);
    for (let done = false; !done; ) {
      const batch = await consumer.fetch({ max_messages: 2000, expires: 2000 });
      let got = 0;
      for await (const m of batch) {
        got++;
        const payload = Buffer.from(m.data);
        const nl = payload.indexOf('\r\n');
        out.push({
          seq: m.seq,
          type: m.headers?.get('Gor-Type') ?? '',
          id: m.headers?.get('Gor-Id') ?? '',
          instance: m.headers?.get('Td-Instance') ?? '',
          firstLine: payload.subarray(0, nl < 0 ? payload.length : nl).toString('latin1'),
          payload,
        });
        if (m.seq >= last) done = true;
      }
      if (got === 0) break;
    }
    return out;
  } finally {
    await nc.close();
  }
}

/** Creates a stream (file storage) on the cluster. */
export async function createStream(servers: string, name: string, subjects: string[], replicas = 1): Promise<void> {
  const nc = await connect({ servers: servers.split(','), timeout: 5000 });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name, subjects, num_replicas: replicas });
  } finally {
    await nc.close();
  }
}
