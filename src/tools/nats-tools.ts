/**
 * `traffic-duplicator nats-export` / `nats-import`: move captures between the JetStream log
 * and .gor files, so gor's tools (and --input-file) can use what the fleet recorded, and an
 * old capture can be replayed by a fleet.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createGunzip, createGzip } from 'node:zlib';
import type { Readable, Writable } from 'node:stream';
import { UsageError } from '../core/errors.js';
import { encodeRecord, GorRecordReader, type GorRecord } from '../gor/codec.js';
import type { Logger } from '../telemetry/logger.js';
import { parseNatsServers, parseStartPoint, checkName, redact } from '../config/nats-flags.js';
import { ValueError } from '../config/values.js';
import { authUsageError, classifyConnectError, connectionOptions, describeServers, loadNats, type NatsConnection } from '../nats/connect.js';
import { messageId, recordFromMessage, recordHeaders } from '../nats/records.js';
import { isNotARecord } from '../nats/compare-summary.js';
import type { NatsAuthFiles, NatsConnectionSettings, NatsStartPoint } from '../nats/settings.js';
import { streamSubjectsFor } from '../outputs/nats-output.js';

export const NATS_TOOLS = ['nats-export', 'nats-import'] as const;
export type NatsTool = (typeof NATS_TOOLS)[number];

export const NATS_TOOLS_HELP = `Usage:
  traffic-duplicator nats-export --nats URL [--stream traffic] [--start all|SEQ|TIME|AGO] [--end SEQ] FILE.gor[.gz]
      Write the stream's records (from --start to --end, default: all it holds now) to a .gor file.
  traffic-duplicator nats-import --nats URL [--stream traffic] [--subject traffic.import] [--create] FILE.gor...
      Publish the records of .gor files (gzip too) into the stream, one message each, in file order.
Both: --creds FILE, --nkey FILE, --tls-ca FILE, --tls-cert FILE, --tls-key FILE as the --output-nats-* flags.
`;

interface ToolArgs {
  conn: NatsConnectionSettings;
  auth: NatsAuthFiles;
  stream: string;
  start: NatsStartPoint;
  end?: number;
  subject: string;
  create: boolean;
  files: string[];
}

const VALUE_OPTIONS = new Set(['nats', 'stream', 'start', 'end', 'subject', 'creds', 'nkey', 'tls-ca', 'tls-cert', 'tls-key']);

/** `--name value`, `--name=value`, `--create`; anything else is a file. */
export function parseToolArgs(tool: NatsTool, argv: string[]): ToolArgs {
  const values = new Map<string, string>();
  let create = false;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    const m = /^--?([a-z-]+)(?:=(.*))?$/s.exec(word);
    if (!m) {
      files.push(word);
      continue;
    }
    const name = m[1]!;
    if (name === 'create' && tool === 'nats-import') {
      create = m[2] === undefined || m[2] === 'true';
      continue;
    }
    if (!VALUE_OPTIONS.has(name) || (tool === 'nats-export' && (name === 'subject')) || (tool === 'nats-import' && (name === 'start' || name === 'end'))) {
      throw new UsageError('TD_UNKNOWN_FLAG', `${tool}: unknown option --${name}`, NATS_TOOLS_HELP.trim());
    }
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new UsageError('TD_MISSING_VALUE', `${tool}: --${name} needs a value`, NATS_TOOLS_HELP.trim());
    values.set(name, value);
  }
  const at = (name: string, parse: () => unknown) => {
    try {
      return parse();
    } catch (err) {
      if (err instanceof ValueError) throw new UsageError('TD_BAD_VALUE', `${tool} --${name} ${redact(values.get(name) ?? '')}: ${err.message}`, err.advice);
      throw err;
    }
  };
  const url = values.get('nats');
  if (!url) throw new UsageError('TD_BAD_USAGE', `${tool} needs --nats URL`, NATS_TOOLS_HELP.trim());
  if (files.length === 0) throw new UsageError('TD_BAD_USAGE', `${tool} needs ${tool === 'nats-export' ? 'the .gor file to write' : 'the .gor files to read'}`, NATS_TOOLS_HELP.trim());
  if (tool === 'nats-export' && files.length > 1) throw new UsageError('TD_BAD_USAGE', `nats-export writes one file, got ${files.join(' ')}`, NATS_TOOLS_HELP.trim());
  const endRaw = values.get('end');
  if (endRaw !== undefined && !/^\d+$/.test(endRaw)) throw new UsageError('TD_BAD_VALUE', `${tool} --end ${endRaw}: expected a stream sequence`, 'e.g. --end 50000');
  return {
    conn: at('nats', () => parseNatsServers(url, '--nats')) as NatsConnectionSettings,
    auth: { credsFile: values.get('creds'), nkeyFile: values.get('nkey'), tlsCaFile: values.get('tls-ca'), tlsCertFile: values.get('tls-cert'), tlsKeyFile: values.get('tls-key') },
    stream: at('stream', () => checkName(values.get('stream') ?? 'traffic', 'stream')) as string,
    start: at('start', () => parseStartPoint(values.get('start') ?? 'all')) as NatsStartPoint,
    ...(endRaw !== undefined ? { end: Number(endRaw) } : {}),
    subject: values.get('subject') ?? 'traffic.import',
    create,
    files,
  };
}

async function open(args: ToolArgs): Promise<{ nc: NatsConnection; core: Awaited<ReturnType<typeof loadNats>>['core']; js: Awaited<ReturnType<typeof loadNats>>['js'] }> {
  const { core, js } = await loadNats();
  try {
    const nc = await core.connect({ ...connectionOptions(core, args.conn, args.auth, 'traffic-duplicator tools'), timeout: 5000 });
    return { nc, core, js };
  } catch (err) {
    if (classifyConnectError(err) === 'auth') throw authUsageError(args.conn, err);
    throw new UsageError('TD_BAD_VALUE', `--nats ${describeServers(args.conn)}: cannot reach the broker (${(err as Error).message})`, 'check the URL and that the server is up');
  }
}

export async function runNatsTool(tool: NatsTool, argv: string[], log: Logger): Promise<number> {
  const args = parseToolArgs(tool, argv);
  const { nc, core, js } = await open(args);
  try {
    return tool === 'nats-export' ? await exportStream(args, nc, js, log) : await importFiles(args, nc, core, js, log);
  } finally {
    await nc.close().catch(() => {});
  }
}

async function exportStream(args: ToolArgs, nc: NatsConnection, js: Awaited<ReturnType<typeof loadNats>>['js'], log: Logger): Promise<number> {
  const jsm = await js.jetstreamManager(nc);
  let info;
  try {
    info = await jsm.streams.info(args.stream);
  } catch (err) {
    if (err instanceof js.JetStreamApiError && err.code === js.JetStreamApiCodes.StreamNotFound) {
      throw new UsageError('TD_BAD_VALUE', `--stream ${args.stream}: no such stream on ${describeServers(args.conn)}`, 'name the stream the instances publish to (default traffic)');
    }
    throw err;
  }
  const end = Math.min(args.end ?? info.state.last_seq, info.state.last_seq);
  const path = args.files[0]!;
  let out: Writable = createWriteStream(path);
  const file = out;
  if (path.endsWith('.gz')) {
    const gz = createGzip();
    gz.pipe(file);
    out = gz;
  }
  const totals = { records: 0, unsafe: 0, malformed: 0, summaries: 0 };
  if (info.state.messages > 0 && end >= info.state.first_seq) {
    const start = args.start;
    const opts =
      start.kind === 'sequence'
        ? { deliver_policy: js.DeliverPolicy.StartSequence, opt_start_seq: start.seq }
        : start.kind === 'time'
          ? { deliver_policy: js.DeliverPolicy.StartTime, opt_start_time: start.at.toISOString() }
          : start.kind === 'new'
            ? { deliver_policy: js.DeliverPolicy.New }
            : {};
    // An ordered consumer: ephemeral, in stream order, no acks; nothing left behind on the server.
    const consumer = await js.jetstream(nc).consumers.get(args.stream, opts);
    let done = start.kind === 'new' || (start.kind === 'sequence' && start.seq > end);
    while (!done) {
      const batch = await consumer.fetch({ max_messages: 1000, expires: 2000 });
      let got = 0;
      for await (const m of batch) {
        got++;
        if (m.seq > end) {
          done = true;
          break;
        }
        const parsed = recordFromMessage((h) => m.headers?.get(h) ?? '', m.data);
        if (isNotARecord((h) => m.headers?.get(h) ?? '')) {
          totals.summaries++; // a comparison summary: not a .gor record
        } else if (!parsed.ok) {
          totals.malformed++;
          log.warn('nats-export-skip', { seq: m.seq, error: parsed.error });
        } else {
          const enc = encodeRecord(parsed.record);
          if (!enc.ok) {
            totals.unsafe++;
            log.warn('nats-export-skip', { seq: m.seq, id: parsed.record.id, error: enc.error });
          } else {
            totals.records++;
            if (!out.write(enc.bytes)) await once(out, 'drain');
          }
        }
        if (m.seq >= end) done = true;
      }
      if (got === 0) break; // nothing more (the range ended in deleted/expired records)
    }
  }
  out.end();
  await once(file, 'close');
  log.info('nats-export-done', { stream: args.stream, file: path, end_seq: end, ...totals });
  return 0;
}

async function importFiles(
  args: ToolArgs,
  nc: NatsConnection,
  core: Awaited<ReturnType<typeof loadNats>>['core'],
  js: Awaited<ReturnType<typeof loadNats>>['js'],
  log: Logger,
): Promise<number> {
  const jsm = await js.jetstreamManager(nc);
  try {
    await jsm.streams.info(args.stream);
  } catch (err) {
    if (!(err instanceof js.JetStreamApiError && err.code === js.JetStreamApiCodes.StreamNotFound)) throw err;
    if (!args.create) throw new UsageError('TD_BAD_VALUE', `--stream ${args.stream}: no such stream on ${describeServers(args.conn)}`, 'create it, or pass --create');
    await jsm.streams.add({ name: args.stream, subjects: streamSubjectsFor(args.subject), storage: js.StorageType.File });
  }
  const client = js.jetstream(nc);
  const WINDOW = 512;
  const inFlight = new Set<Promise<unknown>>();
  const totals = { records: 0, malformed: 0, failed: 0 };
  const publish = (rec: GorRecord) => {
    const h = core.headers();
    for (const [k, v] of recordHeaders(rec, 'import')) h.set(k, v);
    const p: Promise<unknown> = client
      .publish(args.subject, rec.payload, { msgID: messageId(rec), headers: h, timeout: 10_000 })
      .then(() => totals.records++, (err: Error) => {
        totals.failed++;
        log.warn('nats-import-failed', { id: rec.id, error: err.message });
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  for (const path of args.files) {
    const reader = new GorRecordReader({
      source: path,
      onMalformed: (m) => {
        totals.malformed++;
        log.warn('nats-import-malformed', { file: m.source, record: m.record, line: m.line, error: m.error });
      },
    });
    let stream: Readable = createReadStream(path, { highWaterMark: 64 * 1024 });
    if (path.endsWith('.gz')) stream = stream.pipe(createGunzip());
    try {
      for await (const chunk of stream) {
        for (const rec of reader.push(chunk as Buffer)) {
          publish(rec);
          while (inFlight.size >= WINDOW) await Promise.race(inFlight);
        }
      }
    } catch (err) {
      throw new UsageError('TD_BAD_VALUE', `nats-import ${path}: ${(err as Error).message}`, 'check the path');
    }
    for (const rec of reader.end()) publish(rec);
  }
  await Promise.all(inFlight);
  log.info('nats-import-done', { stream: args.stream, subject: args.subject, ...totals });
  return totals.failed > 0 ? 1 : 0;
}
