import type { Message } from '../../src/core/message.js';
import { createTap, type ConnectionTap, type TapOptions } from '../../src/inputs/tap.js';
import { createMemoryLogger } from '../../src/telemetry/logger.js';
import { Stats, TAP } from '../../src/telemetry/stats.js';

/**
 * A tap wired to in-memory sinks, for tests. The clock ticks 1 ms per read so latencies are
 * deterministic. Copies are emitted as soon as a request is complete (holdMs 0), so parsing
 * tests need no answers; test/inputs/tap-hold.test.ts covers the wait for the answer.
 */
export function tapHarness(overrides: Partial<TapOptions> = {}) {
  const messages: Message[] = [];
  const stats = new Stats();
  const log = createMemoryLogger();
  let t = 1_000_000_000n;
  const tap = createTap({
    maxBodyBytes: 5 * 1024 * 1024,
    captureResponses: true,
    emit: (m) => messages.push(m),
    stats,
    log,
    now: () => (t += 1_000_000n),
    holdMs: 0,
    ...overrides,
  });
  const conn: ConnectionTap = tap.open('c1');
  return { conn, messages, stats, log, tap: () => stats.entry(TAP), flush: () => tap.flush(), open: (id: string) => tap.open(id) };
}

/** Splits `bytes` at the given cut offsets. */
export function splitAt(bytes: Buffer, cuts: number[]): Buffer[] {
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) {
    if (c <= prev || c >= bytes.length) continue;
    out.push(bytes.subarray(prev, c));
    prev = c;
  }
  out.push(bytes.subarray(prev));
  return out;
}

/** Drops the fields that differ between runs (ids, clocks), for comparing parses. */
export function comparable(m: Message): unknown {
  const { id: _id, startNs: _s, ...rest } = m as Message & { latencyNs?: bigint };
  const r = rest as Record<string, unknown>;
  delete r.latencyNs;
  return { ...r, body: (m.body as Buffer).toString('latin1') };
}

export function latin1(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}
