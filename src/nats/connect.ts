/**
 * Connecting to NATS: the official clients are imported here, lazily, so nobody who does not
 * configure a NATS flag pays their load time or memory.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../core/errors.js';
import type { Logger } from '../telemetry/logger.js';
import type { NatsAuthFiles, NatsConnectionSettings } from './settings.js';

export type NatsCore = typeof import('@nats-io/transport-node');
export type NatsJs = typeof import('@nats-io/jetstream');
export type NatsConnection = import('@nats-io/transport-node').NatsConnection;

export async function loadNats(): Promise<{ core: NatsCore; js: NatsJs }> {
  const [core, js] = await Promise.all([import('@nats-io/transport-node'), import('@nats-io/jetstream')]);
  return { core, js };
}

/** Reads a file a flag names, or a UsageError naming the flag. */
function readFlagFile(path: string, flag: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UsageError('TD_BAD_VALUE', `${flag} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'check the path and its permissions');
  }
}

/** The client's options, built from the flags (files read now, so a bad path fails at start-up). */
export function connectionOptions(
  core: NatsCore,
  conn: NatsConnectionSettings,
  auth: NatsAuthFiles,
  name: string,
): import('@nats-io/transport-node').NodeConnectionOptions {
  const prefix = conn.flag; // '--output-nats' / '--input-nats'
  const authenticators = [];
  if (auth.credsFile) authenticators.push(core.credsAuthenticator(readFlagFile(auth.credsFile, `${prefix}-creds`)));
  if (auth.nkeyFile) {
    const seed = Buffer.from(readFlagFile(auth.nkeyFile, `${prefix}-nkey`)).toString('utf8').trim();
    if (!/^S[A-Z2-7]{50,}$/.test(seed)) throw new UsageError('TD_BAD_VALUE', `${prefix}-nkey ${auth.nkeyFile}: not an NKEY seed`, 'the file holds one line starting with S (e.g. SUAB...), as `nk -gen user` writes it');
    authenticators.push(core.nkeyAuthenticator(new TextEncoder().encode(seed)));
  }
  const tlsWanted = conn.tlsScheme || auth.tlsCaFile || auth.tlsCertFile || auth.tlsKeyFile;
  const opts: import('@nats-io/transport-node').NodeConnectionOptions = {
    servers: conn.servers,
    name,
    ...(conn.user !== undefined ? { user: conn.user, pass: conn.pass } : {}),
    ...(conn.token !== undefined ? { token: conn.token } : {}),
    ...(authenticators.length ? { authenticator: authenticators } : {}),
    ...(tlsWanted
      ? {
          tls: {
            ...(auth.tlsCaFile ? { ca: Buffer.from(readFlagFile(auth.tlsCaFile, `${prefix}-tls-ca`)).toString() } : {}),
            ...(auth.tlsCertFile ? { cert: Buffer.from(readFlagFile(auth.tlsCertFile, `${prefix}-tls-cert`)).toString() } : {}),
            ...(auth.tlsKeyFile ? { key: Buffer.from(readFlagFile(auth.tlsKeyFile, `${prefix}-tls-key`)).toString() } : {}),
          },
        }
      : {}),
  };
  return opts;
}

export type ConnectFailure = 'auth' | 'unreachable';

/** Auth errors are final (a fix is needed); anything else means the broker could not be reached. */
export function classifyConnectError(err: unknown): ConnectFailure {
  const e = err as { code?: string; message?: string; name?: string };
  const text = `${e.name ?? ''} ${e.code ?? ''} ${e.message ?? ''}`.toLowerCase();
  return /authori[sz]ation|authentication|auth_|permissions? violation|user authentication expired/.test(text) ? 'auth' : 'unreachable';
}

export function authUsageError(conn: NatsConnectionSettings, err: unknown): UsageError {
  return new UsageError(
    'TD_BAD_VALUE',
    `${conn.flag} ${conn.servers.join(',')}: the broker refused our credentials (${(err as Error).message})`,
    `check the user/password or token in the ${conn.flag} URL, or ${conn.flag}-creds / ${conn.flag}-nkey`,
  );
}

/** host:port list for logs (credentials were never in it). */
export function describeServers(conn: NatsConnectionSettings): string {
  return conn.servers.join(',');
}

/** Logs the client's connection events (disconnect, reconnect, errors) and tells `onChange` up/down. */
export function watchStatus(nc: NatsConnection, log: Logger, labels: Record<string, string>, onChange: (up: boolean) => void): void {
  void (async () => {
    try {
      for await (const s of nc.status()) {
        switch (s.type) {
          case 'disconnect':
            onChange(false);
            log.warn('nats-disconnected', { ...labels, server: s.server });
            break;
          case 'reconnect':
            onChange(true);
            log.info('nats-reconnected', { ...labels, server: s.server });
            break;
          case 'error':
            log.warn('nats-error', { ...labels, error: String((s as { error?: unknown }).error ?? '') });
            break;
          default:
            break;
        }
      }
    } catch {
      /* the iterator ends when the connection closes */
    }
  })();
}
