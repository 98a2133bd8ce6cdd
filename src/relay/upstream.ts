import net from 'node:net';

import type { Upstream } from '../core/addresses.js';
import { CachedLookup, LOOKUP_TTL_MS } from '../core/cached-lookup.js';

export function describeUpstream(u: Upstream): string {
  if (u.kind === 'unix') return `unix:${u.path}`;
  return u.host.includes(':') ? `[${u.host}]:${u.port}` : `${u.host}:${u.port}`;
}

/**
 * The app's addresses when it is given by name: one per process (every relayed connection
 * goes to the same app), looked up once per LOOKUP_TTL_MS instead of once per connection.
 */
const appLookup = new CachedLookup({ ttlMs: LOOKUP_TTL_MS });

export function connectUpstream(u: Upstream): net.Socket {
  // allowHalfOpen: a client that half-closes (sends FIN after its request) must still get
  // its response; the relay forwards the FIN and keeps reading the app's answer.
  if (u.kind === 'unix') return net.connect({ path: u.path, allowHalfOpen: true });
  if (net.isIP(u.host)) return net.connect({ host: u.host, port: u.port, allowHalfOpen: true, noDelay: true });
  return appLookup.forgetOnError(net.connect({ host: u.host, port: u.port, allowHalfOpen: true, noDelay: true, lookup: appLookup.lookup }), u.host);
}
