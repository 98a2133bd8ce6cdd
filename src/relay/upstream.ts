import net from 'node:net';

import type { Upstream } from '../core/addresses.js';

export function describeUpstream(u: Upstream): string {
  if (u.kind === 'unix') return `unix:${u.path}`;
  return u.host.includes(':') ? `[${u.host}]:${u.port}` : `${u.host}:${u.port}`;
}

export function connectUpstream(u: Upstream): net.Socket {
  // allowHalfOpen: a client that half-closes (sends FIN after its request) must still get
  // its response; the relay forwards the FIN and keeps reading the app's answer.
  return u.kind === 'unix'
    ? net.connect({ path: u.path, allowHalfOpen: true })
    : net.connect({ host: u.host, port: u.port, allowHalfOpen: true, noDelay: true });
}
