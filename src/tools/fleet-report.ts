/**
 * `traffic-duplicator report --input-nats URL [--input-nats-stream NAME] [--compare-report FILE]`:
 * the fleet's comparison report, from the latest summary every instance published to the
 * stream (nats/compare-summary.ts), merged by compare/merge.ts. Reads only the summaries
 * (the last message of each summary subject), never the records.
 */
import { writeFileSync, renameSync } from 'node:fs';
import { UsageError } from '../core/errors.js';
import type { Logger } from '../telemetry/logger.js';
import { checkName, parseNatsInputStream, parseNatsServers, redact } from '../config/nats-flags.js';
import { ValueError } from '../config/values.js';
import { authUsageError, classifyConnectError, connectionOptions, describeServers, loadNats } from '../nats/connect.js';
import type { NatsAuthFiles, NatsConnectionSettings } from '../nats/settings.js';
import { COMPARE_SUMMARY, isSummarySubject, KIND_HEADER } from '../nats/compare-summary.js';
import type { CompareReport } from '../compare/types.js';
import { mergeReports, type FleetReport } from '../compare/merge.js';

export const FLEET_REPORT_HELP = `Usage:
  traffic-duplicator report --input-nats URL [--input-nats-stream traffic] [--compare-report FILE.json|FILE.html]
      Merge the latest comparison summary of every instance that ran --compare with --output-nats
      into one fleet report (JSON on stdout, or written to --compare-report).
  --input-nats-creds FILE, --input-nats-nkey FILE, --input-nats-tls-ca FILE, --input-nats-tls-cert FILE,
  --input-nats-tls-key FILE as for a replayer.
`;

interface ReportArgs {
  conn: NatsConnectionSettings;
  auth: NatsAuthFiles;
  stream: string;
  file?: string;
}

const VALUES = new Set(['input-nats', 'input-nats-stream', 'compare-report', 'input-nats-creds', 'input-nats-nkey', 'input-nats-tls-ca', 'input-nats-tls-cert', 'input-nats-tls-key']);

export function parseReportArgs(argv: string[]): ReportArgs {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const m = /^--?([a-z-]+)(?:=(.*))?$/s.exec(argv[i]!);
    if (!m || !VALUES.has(m[1]!)) throw new UsageError('TD_UNKNOWN_FLAG', `report: unexpected ${JSON.stringify(argv[i])}`, FLEET_REPORT_HELP.trim());
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new UsageError('TD_MISSING_VALUE', `report: --${m[1]} needs a value`, FLEET_REPORT_HELP.trim());
    values.set(m[1]!, value);
  }
  const url = values.get('input-nats');
  if (!url) throw new UsageError('TD_BAD_USAGE', 'report needs --input-nats URL (the servers the instances publish to)', FLEET_REPORT_HELP.trim());
  const at = <T>(name: string, parse: () => T): T => {
    try {
      return parse();
    } catch (err) {
      if (err instanceof ValueError) throw new UsageError('TD_BAD_VALUE', `report --${name} ${redact(values.get(name) ?? '')}: ${err.message}`, err.advice);
      throw err;
    }
  };
  const file = values.get('compare-report');
  if (file !== undefined && !/\.(json|html?)$/i.test(file)) {
    throw new UsageError('TD_BAD_VALUE', `report --compare-report ${file}: expected a .json or .html file`, 'e.g. --compare-report fleet.html');
  }
  return {
    conn: at('input-nats', () => parseNatsServers(url, '--input-nats')),
    auth: {
      credsFile: values.get('input-nats-creds'),
      nkeyFile: values.get('input-nats-nkey'),
      tlsCaFile: values.get('input-nats-tls-ca'),
      tlsCertFile: values.get('input-nats-tls-cert'),
      tlsKeyFile: values.get('input-nats-tls-key'),
    },
    // A replayer's `NAME|rate` is accepted too: the rate means nothing here.
    stream: at('input-nats-stream', () => checkName(parseNatsInputStream(values.get('input-nats-stream') ?? 'traffic').stream, 'stream')),
    ...(file !== undefined ? { file } : {}),
  };
}

/** The latest summary of every instance in the stream. */
export async function readSummaries(args: ReportArgs, log: Logger): Promise<CompareReport[]> {
  const { core, js } = await loadNats();
  let nc;
  try {
    nc = await core.connect({ ...connectionOptions(core, args.conn, args.auth, 'traffic-duplicator report'), timeout: 5000 });
  } catch (err) {
    if (classifyConnectError(err) === 'auth') throw authUsageError(args.conn, err);
    throw new UsageError('TD_BAD_VALUE', `--input-nats ${describeServers(args.conn)}: cannot reach the broker (${(err as Error).message})`, 'check the URL and that the server is up');
  }
  try {
    const jsm = await js.jetstreamManager(nc);
    let info;
    try {
      // The subjects map: one entry per record subject and per summary subject (a few per instance).
      info = await jsm.streams.info(args.stream, { subjects_filter: '>' });
    } catch (err) {
      if (err instanceof js.JetStreamApiError && err.code === js.JetStreamApiCodes.StreamNotFound) {
        throw new UsageError('TD_BAD_VALUE', `--input-nats-stream ${args.stream}: no such stream on ${describeServers(args.conn)}`, 'name the stream the instances publish to (default traffic)');
      }
      throw err;
    }
    const byInstance = new Map<string, CompareReport>();
    for (const subject of Object.keys(info.state.subjects ?? {}).filter(isSummarySubject).sort()) {
      const m = await jsm.streams.getMessage(args.stream, { last_by_subj: subject });
      if (!m || m.header?.get(KIND_HEADER) !== COMPARE_SUMMARY) continue;
      const report = parseSummary(m.data);
      if (!report) {
        log.warn('report-skip', { subject, seq: m.seq, error: 'not a comparison report' });
        continue;
      }
      const prev = byInstance.get(report.instance);
      if (!prev || prev.updated < report.updated) byInstance.set(report.instance, report);
    }
    return [...byInstance.values()];
  } finally {
    await nc.close().catch(() => {});
  }
}

function parseSummary(data: Uint8Array): CompareReport | undefined {
  try {
    const r = JSON.parse(Buffer.from(data).toString('utf8')) as CompareReport;
    if (typeof r?.instance !== 'string' || !Array.isArray(r.destinations) || typeof r.store !== 'object') return undefined;
    return r;
  } catch {
    return undefined;
  }
}

export async function runFleetReport(argv: string[], io: { stdout: (t: string) => void; stderr: (t: string) => void }, log: Logger): Promise<number> {
  const args = parseReportArgs(argv);
  const summaries = await readSummaries(args, log);
  if (summaries.length === 0) {
    io.stderr(`report: no comparison summary in stream ${args.stream} (instances publish one when they run --compare with --output-nats, every --stats-interval)\n`);
    return 1;
  }
  const fleet = mergeReports(summaries);
  log.info('report', { stream: args.stream, instances: fleet.instances.map((i) => i.instance).join(','), file: args.file });
  if (!args.file) {
    io.stdout(JSON.stringify(fleet, null, 2) + '\n');
    return 0;
  }
  writeFileSync(args.file + '.tmp', await render(fleet, args.file));
  renameSync(args.file + '.tmp', args.file);
  return 0;
}

async function render(fleet: FleetReport, file: string): Promise<string> {
  if (!/\.html?$/i.test(file)) return JSON.stringify(fleet, null, 2) + '\n';
  // compare's own markup (renderComparisonHtml, REPORT_CSS) under a header that lists the instances.
  const { renderComparisonHtml, escapeHtml, REPORT_CSS } = await import('../compare/report-html.js');
  const title = `traffic-duplicator: fleet comparison (${fleet.instances.length} instances)`;
  const rows = fleet.instances.map((i) => `<tr><td>${escapeHtml(i.instance)}</td><td class="num">${i.compared}</td><td>${escapeHtml(i.started)}</td><td>${escapeHtml(i.updated)}</td></tr>`).join('');
  const inexact = fleet.merge.inexact_endpoints
    ? ` In ${fleet.merge.inexact_endpoints} case(s) the merge changed an instance's verdict: that endpoint's "different" is a lower bound.`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${REPORT_CSS}</style></head><body>
<h1>${escapeHtml(title)}</h1>
<table data-instances><tr><th>instance</th><th>compared</th><th>started</th><th>updated</th></tr>${rows}</table>
<p class="meta">Counts are added and verdicts recomputed from them; latency percentiles are the count-weighted mean of the instances' (docs/fleet.md).${inexact}</p>
${renderComparisonHtml(fleet)}
</body></html>
`;
}
