/**
 * Where we listen and where the app is: one shape for the config layer that parses them
 * and the relay that binds and dials them.
 */

export interface ListenAddress {
  /** '::' (or '') for all interfaces, dual-stack (falls back to 0.0.0.0 where IPv6 is off); else a literal address or name, no brackets. */
  readonly host: string;
  readonly port: number;
}

/** Where the app listens: a TCP host:port, or a Unix socket (`--upstream unix:/path`). */
export type Upstream = { readonly kind: 'tcp'; readonly host: string; readonly port: number } | { readonly kind: 'unix'; readonly path: string };
