/**
 * The NATS JetStream flags (fleet capture and replay, docs/fleet.md): one self-contained block
 * of the flag table. `flags.ts` appends `natsFlags()` to FLAGS; the `flag` helper it passes in
 * is the table's own, so these behave exactly like every other flag.
 */
import type { ConfigDraft } from './config.js';
import type { Flag, FlagSpecOf } from './flags.js';
import { ValueError, durationType, intType, sizeType, stringType, type ValueType } from './values.js';
import type { NatsConnectionSettings, NatsReplayRate, NatsStartPoint } from '../nats/settings.js';

/**
 * `nats://user:pass@host:4222,nats://host2:4222`, `tls://token@host`, `host:4222`. Credentials
 * are taken out of the URLs (so logs never show them) and kept apart; one set for all servers.
 */
export function parseNatsServers(raw: string, flagName: string): NatsConnectionSettings {
  const example = "nats://user:pass@nats.example.com:4222 or 127.0.0.1:4222,127.0.0.1:4223";
  const parts = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length === 0) throw new ValueError('no server given', `e.g. ${example}`);
  const servers: string[] = [];
  let user: string | undefined;
  let pass: string | undefined;
  let token: string | undefined;
  let tls = false;
  for (const part of parts) {
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(part) ? part : `nats://${part}`;
    let url: URL;
    try {
      url = new URL(withScheme);
    } catch {
      throw new ValueError(`"${redact(part)}" is not a NATS server URL`, `e.g. ${example}`);
    }
    if (!['nats:', 'tls:'].includes(url.protocol)) {
      throw new ValueError(`"${redact(part)}": the scheme must be nats:// or tls://`, `e.g. ${example}`);
    }
    if (!url.hostname) throw new ValueError(`"${redact(part)}" has no host`, `e.g. ${example}`);
    if (url.protocol === 'tls:') tls = true;
    if (url.username && url.password) {
      user = decodeURIComponent(url.username);
      pass = decodeURIComponent(url.password);
    } else if (url.username) {
      token = decodeURIComponent(url.username);
    }
    servers.push(`${url.hostname.includes(':') && !url.hostname.startsWith('[') ? `[${url.hostname}]` : url.hostname}:${url.port || '4222'}`);
  }
  return { flag: flagName, servers, ...(user !== undefined ? { user, pass } : {}), ...(token !== undefined ? { token } : {}), ...(tls ? { tlsScheme: true } : {}) };
}

/** A URL list safe to log: credentials replaced by `***`. */
export function redact(raw: string): string {
  return raw.replace(/\/\/[^@/]*@/g, '//***@');
}

/** `all` (default), `new`, a stream sequence (`12345`), an RFC 3339 time, or a duration ago (`2h`). */
export function parseStartPoint(raw: string, now: () => number = Date.now): NatsStartPoint {
  const s = raw.trim();
  if (s === 'all' || s === 'first') return { kind: 'all' };
  if (s === 'new' || s === 'last') return { kind: 'new' };
  if (/^\d+$/.test(s)) {
    const seq = Number(s);
    if (seq < 1) throw new ValueError('stream sequences start at 1', 'e.g. --input-nats-start 1 (or all)');
    return { kind: 'sequence', seq };
  }
  const ago = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(s);
  if (ago) {
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[ago[2] as 'ms'];
    return { kind: 'time', at: new Date(now() - Number(ago[1]) * unit) };
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(s)) {
    const t = Date.parse(s);
    if (Number.isFinite(t)) return { kind: 'time', at: new Date(t) };
  }
  throw new ValueError(`"${raw}" is not a start point`, 'use all, new, a stream sequence (12345), a time (2026-11-26T00:00:00Z) or a duration ago (2h)');
}

/** `NAME`, `NAME|200%` (original timing, twice as fast) or `NAME|500` (500 records/s per replayer). */
export function parseNatsInputStream(raw: string): { stream: string; rate?: NatsReplayRate } {
  const i = raw.indexOf('|');
  const stream = (i < 0 ? raw : raw.slice(0, i)).trim();
  checkName(stream, 'stream');
  if (i < 0) return { stream };
  const rate = raw.slice(i + 1).trim();
  const pct = /^(\d+)%$/.exec(rate);
  if (pct && Number(pct[1]) >= 1) return { stream, rate: { kind: 'speed', percent: Number(pct[1]) } };
  if (/^\d+$/.test(rate) && Number(rate) >= 1) return { stream, rate: { kind: 'per-second', n: Number(rate) } };
  throw new ValueError(`"|${rate}" is not a replay rate`, "use 'traffic|200%' (original timing, twice as fast) or 'traffic|500' (500 records per second per replayer)");
}

/** JetStream names: no spaces, dots, wildcards or path separators. */
export function checkName(name: string, what: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
    throw new ValueError(`"${name}" is not a valid ${what} name`, 'use letters, digits, - and _ (no dots, spaces or wildcards), e.g. traffic');
  }
  return name;
}

function checkSubject(subject: string): string {
  if (!/^[^\s*>]+(\.[^\s*>]+)*$/.test(subject) || subject.split('.').some((t) => t === '')) {
    throw new ValueError(`"${subject}" is not a subject to publish to`, 'dot-separated tokens, no spaces or wildcards, e.g. traffic.web-1');
  }
  return subject;
}

const fileType = (example: string): ValueType<string> => ({ ...stringType(example), name: 'file' });

/** The connection flags both sides have, under their prefix (output-nats / input-nats). */
function connectionFlags(prefix: 'output-nats' | 'input-nats', flag: <T>(spec: FlagSpecOf<T>) => Flag): Flag[] {
  const auth = (cfg: ConfigDraft) => (prefix === 'output-nats' ? cfg.nats.output.auth : cfg.nats.input.auth);
  return [
    flag({
      name: `${prefix}-creds`,
      type: fileType('nats.creds'),
      group: 'nats',
      help: 'A NATS credentials file (JWT and NKEY seed), as Synadia Cloud / the nats CLI write them.',
      apply: (cfg, v) => (auth(cfg).credsFile = v),
    }),
    flag({
      name: `${prefix}-nkey`,
      type: fileType('user.nk'),
      group: 'nats',
      help: 'A file holding an NKEY seed (SU...) to authenticate with.',
      apply: (cfg, v) => (auth(cfg).nkeyFile = v),
    }),
    ...(['ca', 'cert', 'key'] as const).map((part) =>
      flag({
        name: `${prefix}-tls-${part}`,
        type: fileType(`${part}.pem`),
        group: 'nats',
        help: part === 'ca' ? 'TLS: trust this CA (PEM) for the NATS servers (implies TLS).' : `TLS client ${part === 'cert' ? 'certificate' : 'key'} (PEM) for the NATS servers.`,
        apply: (cfg: ConfigDraft, v: string) => {
          const key = part === 'ca' ? 'tlsCaFile' : part === 'cert' ? 'tlsCertFile' : 'tlsKeyFile';
          auth(cfg)[key] = v;
        },
      }),
    ),
  ];
}

export function natsFlags(flag: <T>(spec: FlagSpecOf<T>) => Flag, boolType: ValueType<boolean>): Flag[] {
  return [
    flag({
      name: 'output-nats',
      type: { name: 'url', example: 'nats://127.0.0.1:4222', parse: (raw) => parseNatsServers(raw, '--output-nats') },
      metavar: 'URL[,URL...]',
      group: 'nats',
      help: 'Publish every copy to a NATS JetStream stream, one message per .gor record (payload = the record\'s payload, meta fields as headers). Credentials in the URL (nats://user:pass@host or nats://token@host).',
      exampleLine: '--output-nats "$NATS_URL"',
      apply: (cfg, v) => (cfg.nats.output.connection = v),
    }),
    flag({
      name: 'output-nats-stream',
      type: { name: 'name', example: 'traffic', parse: (raw) => checkName(raw.trim(), 'stream') },
      default: 'traffic',
      group: 'nats',
      help: 'The JetStream stream to publish to. It must exist, unless --output-nats-create.',
      apply: (cfg, v) => (cfg.nats.output.stream = v),
    }),
    flag({
      name: 'output-nats-subject',
      type: { name: 'subject', example: 'traffic.web-1', parse: (raw) => checkSubject(raw.trim()) },
      defaultHelp: 'traffic.<instance>',
      group: 'nats',
      help: 'The subject each message is published on; <instance> is $DYNO on Heroku, else the hostname.',
      apply: (cfg, v) => (cfg.nats.output.subject = v),
    }),
    flag({
      name: 'output-nats-responses',
      type: boolType,
      group: 'nats',
      help: "Also publish the app's responses (type 2 records, same id as their request).",
      apply: (cfg, v) => (cfg.nats.output.responses = v),
    }),
    flag({
      name: 'output-nats-create',
      type: boolType,
      group: 'nats',
      help: 'Create the stream if it is missing (file storage; see the -max-age, -max-bytes, -replicas flags).',
      apply: (cfg, v) => (cfg.nats.output.create = v),
    }),
    flag({
      name: 'output-nats-max-age',
      type: durationType,
      default: '24h',
      group: 'nats',
      help: 'With --output-nats-create: how long the stream keeps records (0 = no limit).',
      apply: (cfg, v) => (cfg.nats.output.maxAgeMs = v),
    }),
    flag({
      name: 'output-nats-max-bytes',
      type: sizeType,
      default: '1gb',
      group: 'nats',
      help: 'With --output-nats-create: the stream\'s size cap; the oldest records go first (0 = no limit).',
      apply: (cfg, v) => (cfg.nats.output.maxBytes = v),
    }),
    flag({
      name: 'output-nats-replicas',
      type: intType({ min: 1, max: 5, example: '3' }),
      default: '1',
      group: 'nats',
      help: 'With --output-nats-create: copies of the stream in the cluster (3 survives a node loss).',
      apply: (cfg, v) => (cfg.nats.output.replicas = v),
    }),
    flag({
      name: 'output-nats-max-pending',
      type: intType({ min: 1, example: '1024' }),
      default: '1024',
      group: 'nats',
      help: 'Copies published and not yet acknowledged by the broker; beyond it copies are dropped (broker_slow).',
      apply: (cfg, v) => (cfg.nats.output.maxPending = v),
    }),
    flag({
      name: 'output-nats-max-pending-bytes',
      type: sizeType,
      default: '16mb',
      group: 'nats',
      help: 'Bytes of those unacknowledged copies (also broker_slow beyond it).',
      apply: (cfg, v) => (cfg.nats.output.maxPendingBytes = v),
    }),
    flag({
      name: 'output-nats-timeout',
      type: durationType,
      default: '5s',
      group: 'nats',
      help: 'How long one publish waits for the broker\'s ack before it is retried (same message id: no duplicate) or counted as an error.',
      apply: (cfg, v) => (cfg.nats.output.timeoutMs = Math.max(1, v)),
    }),
    ...connectionFlags('output-nats', flag),

    flag({
      name: 'input-nats',
      type: { name: 'url', example: 'nats://127.0.0.1:4222', parse: (raw) => parseNatsServers(raw, '--input-nats') },
      metavar: 'URL[,URL...]',
      group: 'nats',
      help: 'Replay mode: read records from a JetStream stream through a durable consumer shared by every replayer with the same --input-nats-consumer.',
      apply: (cfg, v) => (cfg.nats.input.connection = v),
    }),
    flag({
      name: 'input-nats-stream',
      type: { name: 'name', example: "'traffic|200%'", parse: parseNatsInputStream },
      metavar: 'NAME[|N%|N]',
      default: 'traffic',
      group: 'nats',
      help: "The stream to replay. 'traffic|200%' keeps the original timing at twice the speed; 'traffic|500' replays 500 records/s per replayer.",
      apply: (cfg, v) => {
        cfg.nats.input.stream = v.stream;
        if (v.rate) cfg.nats.input.rate = v.rate;
      },
    }),
    flag({
      name: 'input-nats-consumer',
      type: { name: 'name', example: 'replay', parse: (raw) => checkName(raw.trim(), 'consumer') },
      default: 'replay',
      group: 'nats',
      help: 'The durable consumer the replayers share: each record goes to one of them; add or stop replayers at any time.',
      apply: (cfg, v) => (cfg.nats.input.consumer = v),
    }),
    flag({
      name: 'input-nats-start',
      type: { name: 'start', example: '2h', parse: (raw) => parseStartPoint(raw) },
      metavar: 'all|new|SEQ|TIME|AGO',
      default: 'all',
      group: 'nats',
      help: 'Where a new consumer starts: all, new, a stream sequence, an RFC 3339 time, or a duration ago (2h). An existing consumer continues where it is.',
      apply: (cfg, v) => (cfg.nats.input.start = v),
    }),
    flag({
      name: 'input-nats-stop-at-end',
      type: boolType,
      group: 'nats',
      help: 'Exit once the records the stream held at start-up are replayed (default: follow the stream live).',
      apply: (cfg, v) => (cfg.nats.input.stopAtEnd = v),
    }),
    flag({
      name: 'input-nats-ack-wait',
      type: durationType,
      default: '30s',
      group: 'nats',
      help: 'With a new consumer: how long the broker waits for a replayer\'s ack before it redelivers the record to another replayer.',
      apply: (cfg, v) => {
        if (v < 1000) throw new ValueError('the ack wait must be at least 1s', 'e.g. --input-nats-ack-wait 30s');
        cfg.nats.input.ackWaitMs = v;
      },
    }),
    flag({
      name: 'input-nats-batch',
      type: intType({ min: 1, max: 10_000, example: '500' }),
      default: '500',
      group: 'nats',
      help: 'Records fetched at a time. A batch is acked once the outputs are done with it, so a replayer killed mid-batch loses nothing (keep it under the outputs\' queue lengths).',
      apply: (cfg, v) => (cfg.nats.input.batch = v),
    }),
    ...connectionFlags('input-nats', flag),
  ];
}
