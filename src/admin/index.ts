import type { Config } from '../config/index.js';
import type { DestinationGate } from '../engine/destination-gate.js';
import type { LocalPath } from '../relay/local-path.js';
import type { Logger } from '../telemetry/logger.js';
import type { Stats } from '../telemetry/stats.js';
import { Control } from './control.js';
import { createMetrics, type Metrics } from './metrics.js';
import { buildReport, instanceName, type ComparisonSource } from './report.js';
import { AdminRouter, MAX_ADMIN_BODY_BYTES, isUnderPrefix } from './router.js';
import { listenAdmin } from './server.js';

export type { ComparisonSource } from './report.js';

export interface AdminSurface {
  /** Set with --admin-path: what the relay answers on the public port. */
  readonly localPath: LocalPath | undefined;
  close(): Promise<void>;
}

export { adminConfigured } from './configured.js';

/**
 * The admin surface: the live page, /api/report, /metrics and the control API, on
 * --admin-listen and/or under --admin-path on the public port. Started only when one of them
 * is configured. A failure here (the admin port is taken) is logged and never stops the
 * relay: production first.
 */
export function startAdmin(o: {
  config: Pick<Config, 'adminListen' | 'adminPath' | 'adminToken'>;
  stats: Stats;
  gates: readonly DestinationGate[];
  comparison: ComparisonSource | undefined;
  log: Logger;
}): AdminSurface {
  const { config, log } = o;
  const started = new Date();
  const instance = instanceName();
  // prom-client is loaded now, in the background, so the latency histogram covers every copy.
  const metrics: Promise<Metrics> = createMetrics({ stats: o.stats, gates: () => o.gates.map((g) => g.state), comparison: o.comparison });
  metrics.catch((err: Error) => log.error('admin-error', { what: 'metrics', message: err.message }));
  const router = new AdminRouter({
    token: config.adminToken,
    report: () => buildReport({ stats: o.stats, gates: o.gates.map((g) => g.state), comparison: o.comparison, instance, started }),
    comparing: () => o.comparison?.enabled === true,
    comparison: () => (o.comparison?.enabled ? o.comparison.report() : undefined),
    metrics: () => metrics,
    control: new Control({ gates: o.gates, comparison: o.comparison, log }),
    log,
  });

  let server: { close(): Promise<void> } | undefined;
  let closed = false;
  if (config.adminListen) {
    const where = config.adminListen;
    listenAdmin(where, router).then(
      (s) => {
        server = s;
        if (closed) void s.close();
        log.info('admin-listening', { address: s.address.address, port: s.address.port, auth: config.adminToken ? 'token' : 'none' });
      },
      (err: NodeJS.ErrnoException) => log.error('admin-error', { what: 'admin-listen', host: where.host, port: where.port, code: err.code, message: err.message }),
    );
  }

  const prefix = config.adminPath;
  const localPath: LocalPath | undefined = prefix
    ? {
        matches: (target) => isUnderPrefix(target, prefix),
        answer: (req) => router.handle(req, { kind: 'path', prefix }),
        maxBodyBytes: MAX_ADMIN_BODY_BYTES,
      }
    : undefined;
  if (prefix) log.info('admin-path', { path: prefix, auth: 'token' });

  return {
    localPath,
    async close() {
      closed = true;
      await server?.close();
    },
  };
}
