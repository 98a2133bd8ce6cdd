// The NATS flags, values and record mapping, without a server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInvocation } from '../../src/config/index.js';
import { UsageError } from '../../src/core/errors.js';
import { parseNatsInputStream, parseNatsServers, parseStartPoint } from '../../src/config/nats-flags.js';
import { ValueError } from '../../src/config/values.js';
import { instanceName, messageId, recordFromMessage, recordHeaders, subjectMatches, subjectToken } from '../../src/nats/records.js';
import { streamSubjectsFor } from '../../src/outputs/nats-output.js';

const parse = (argv: string[]) => {
  const inv = parseInvocation(argv, { PORT: '8080' }, { readFile: () => undefined });
  assert.equal(inv.kind, 'run');
  return inv.config;
};

test('server lists: credentials leave the URLs, tls:// asks for TLS, host:port gets the default port', () => {
  const c = parseNatsServers('nats://alice:p%40ss@a.example.com:4333, b.example.com', '--output-nats');
  assert.deepEqual(c.servers, ['a.example.com:4333', 'b.example.com:4222']);
  assert.equal(c.user, 'alice');
  assert.equal(c.pass, 'p@ss');
  const t = parseNatsServers('tls://tok3n@[::1]:4222', '--input-nats');
  assert.deepEqual(t.servers, ['[::1]:4222']);
  assert.equal(t.token, 'tok3n');
  assert.equal(t.tlsScheme, true);
  assert.throws(() => parseNatsServers('http://x', '--output-nats'), ValueError);
  assert.throws(() => parseNatsServers(' , ', '--output-nats'), ValueError);
});

test('start points, replay rates and subjects', () => {
  assert.deepEqual(parseStartPoint('all'), { kind: 'all' });
  assert.deepEqual(parseStartPoint('new'), { kind: 'new' });
  assert.deepEqual(parseStartPoint('42'), { kind: 'sequence', seq: 42 });
  assert.deepEqual(parseStartPoint('2h', () => 10_000_000), { kind: 'time', at: new Date(10_000_000 - 7_200_000) });
  assert.deepEqual(parseStartPoint('2026-11-26T00:00:00Z'), { kind: 'time', at: new Date('2026-11-26T00:00:00Z') });
  assert.throws(() => parseStartPoint('yesterday'), ValueError);
  assert.deepEqual(parseNatsInputStream('traffic'), { stream: 'traffic' });
  assert.deepEqual(parseNatsInputStream('traffic|200%'), { stream: 'traffic', rate: { kind: 'speed', percent: 200 } });
  assert.deepEqual(parseNatsInputStream('traffic|500'), { stream: 'traffic', rate: { kind: 'per-second', n: 500 } });
  assert.throws(() => parseNatsInputStream('traffic|0'), ValueError);
  assert.throws(() => parseNatsInputStream('a.b'), ValueError);
  assert.ok(subjectMatches('traffic.>', 'traffic.web-1'));
  assert.ok(subjectMatches('traffic.*', 'traffic.web-1'));
  assert.ok(!subjectMatches('traffic.>', 'traffic'));
  assert.ok(!subjectMatches('traffic.*', 'traffic.a.b'));
  assert.deepEqual(streamSubjectsFor('traffic.web-1'), ['traffic.>']);
  assert.equal(subjectToken('web.1'), 'web-1');
  assert.equal(instanceName({ DYNO: 'web.3' }, 'host'), 'web.3');
  assert.equal(instanceName({}, 'pod-abc'), 'pod-abc');
});

test('a record travels as payload + headers and comes back the same', () => {
  const rec = { type: '2' as const, id: 'abc123', timestampNs: 1_764_000_000_123_456_789n, latencyNs: 1_500_000n, payload: Buffer.from('HTTP/1.1 200 OK\r\n\r\n') };
  const h = new Map(recordHeaders(rec, 'web.1'));
  assert.equal(h.get('Gor-Latency'), '1500000');
  const back = recordFromMessage((n) => h.get(n) ?? '', new Uint8Array(rec.payload));
  assert.ok(back.ok);
  assert.deepEqual({ ...back.record, payload: back.record.payload.toString() }, { ...rec, payload: rec.payload.toString() });
  assert.equal(back.instance, 'web.1');
  assert.notEqual(messageId(rec), messageId({ ...rec, type: '1' }), 'a request and its response de-duplicate separately');
  const bad = recordFromMessage((n) => (n === 'Gor-Type' ? '9' : ''), new Uint8Array());
  assert.equal(bad.ok, false);
});

test('flags: defaults, any order for credentials files, --input-nats is replay mode', () => {
  const out = parse(['--output-nats-creds', 'x.creds', '--output-nats', 'nats://127.0.0.1:4222', '--', 'app']);
  assert.equal(out.mode, 'wrap');
  assert.equal(out.nats.output.stream, 'traffic');
  assert.equal(out.nats.output.auth.credsFile, 'x.creds');
  assert.equal(out.nats.output.maxPending, 1024);
  assert.equal(out.nats.output.timeoutMs, 5000);
  const rep = parse(['--input-nats', '127.0.0.1', '--input-nats-stream', 'traffic|200%', '--output-http', 'http://127.0.0.1:1']);
  assert.equal(rep.mode, 'replay');
  assert.deepEqual(rep.nats.input.rate, { kind: 'speed', percent: 200 });
  assert.equal(rep.nats.input.consumer, 'replay');
  assert.equal(rep.nats.input.ackWaitMs, 30_000);
  assert.throws(() => parse(['--input-nats', '127.0.0.1', '--output-http', 'http://x', '--', 'app']), (e: unknown) => e instanceof UsageError && /--input-nats replays the stream/.test(e.message));
  assert.throws(() => parse(['--input-nats', '127.0.0.1']), (e: unknown) => e instanceof UsageError && /needs somewhere to send/.test(e.message));
  assert.throws(() => parse(['--output-nats', 'nats://a:b@127.0.0.1', '--output-nats-stream', 'a.b', '--', 'app']), (e: unknown) => e instanceof UsageError && /--output-nats-stream/.test(e.message) && !/a:b@/.test(e.message));
});
