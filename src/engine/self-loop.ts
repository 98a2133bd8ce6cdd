import { hostname, networkInterfaces } from 'node:os';
import { isIP } from 'node:net';
import { UsageError } from '../core/errors.js';
import type { ListenAddress } from '../core/addresses.js';
import type { HttpDestination } from '../config/index.js';

/**
 * An --output-http that points at our own public address turns every request into an
 * endless chain of copies (each copy arrives at the relay, is mirrored again, …). We refuse
 * it at start. Checked without DNS, so start-up never waits on a resolver: IP literals,
 * `localhost` and this machine's own name and interface addresses. A name that only DNS
 * maps back to us is not caught here.
 */
export function checkNoSelfLoop(listen: ListenAddress, outputs: readonly HttpDestination[], local: LocalNames = localNames()): void {
  for (const out of outputs) {
    const url = new URL(out.url);
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    if (port !== listen.port) continue;
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (!reachesUs(host, listen.host, local)) continue;
    throw new UsageError(
      'TD_BAD_VALUE',
      `--output-http ${out.url} is this traffic-duplicator's own listening address (port ${listen.port}): every copy would be mirrored again, forever`,
      'point --output-http at the shadow deployment, not at the app this process serves',
    );
  }
}

export interface LocalNames {
  /** Names that mean this machine: localhost, its hostname. */
  readonly names: ReadonlySet<string>;
  /** Its interface addresses, loopback included. */
  readonly addresses: ReadonlySet<string>;
}

export function localNames(): LocalNames {
  const addresses = new Set<string>();
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) addresses.add(a.address.toLowerCase());
  return { names: new Set(['localhost', hostname().toLowerCase()]), addresses };
}

const ANY = new Set(['::', '0.0.0.0', '']);

function isLoopback(host: string): boolean {
  return host === '::1' || (isIP(host) === 4 && host.startsWith('127.')) || host === '::ffff:127.0.0.1';
}

function reachesUs(host: string, listenHost: string, local: LocalNames): boolean {
  const bound = listenHost.replace(/^\[|\]$/g, '').toLowerCase();
  const ours = ANY.has(host) || local.names.has(host) || isLoopback(host) || local.addresses.has(host);
  // Bound to every interface: any address of this machine reaches us.
  if (ANY.has(bound)) return ours;
  if (host === bound) return true;
  // Bound to loopback only (or `localhost`): the loopback names reach us.
  if (isLoopback(bound) || bound === 'localhost') return host === 'localhost' || isLoopback(host);
  return false;
}
