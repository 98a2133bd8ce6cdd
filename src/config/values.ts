/**
 * Value parsers: each turns one flag value into a typed value or throws a ValueError saying
 * what was expected. The caller adds which flag and which line (see parse.ts).
 */
import type { RateLimit } from '../core/output.js';
import type { ListenAddress, Upstream } from '../core/addresses.js';
import type { HttpDestination, InputFile } from './config.js';

export class ValueError extends Error {
  constructor(
    /** What is wrong, e.g. `"5" has no unit`. */
    message: string,
    /** Extra advice for the hint line, e.g. `durations need a unit, e.g. 5s`. */
    readonly advice?: string,
    /** TD_UNSUPPORTED_FLAG for values gor accepts that we refuse (s3://). */
    readonly code: 'TD_BAD_VALUE' | 'TD_UNSUPPORTED_FLAG' = 'TD_BAD_VALUE',
  ) {
    super(message);
  }
}

/** A value type: its name in --help, an example, and the parser. */
export interface ValueType<T> {
  readonly name: string;
  readonly example: string;
  parse(raw: string): T;
}

// ---- booleans ------------------------------------------------------------------------------

/** Go's strconv.ParseBool, which is what `--flag=value` accepts for booleans. */
export function parseBool(raw: string): boolean {
  if (/^(1|t|T|true|TRUE|True)$/.test(raw)) return true;
  if (/^(0|f|F|false|FALSE|False)$/.test(raw)) return false;
  throw new ValueError(`"${raw}" is not a boolean`, 'use true or false, e.g. --split-output=true');
}

// ---- integers ------------------------------------------------------------------------------

export function intType(opts: { min: number; max?: number; example: string }): ValueType<number> {
  const { min, max = Number.MAX_SAFE_INTEGER, example } = opts;
  return {
    name: 'int',
    example,
    parse(raw) {
      if (!/^[+]?\d+$/.test(raw.trim())) throw new ValueError(`"${raw}" is not a whole number`, `e.g. ${example}`);
      const n = Number(raw.trim());
      if (n < min || n > max) {
        throw new ValueError(`${n} is out of range`, max === Number.MAX_SAFE_INTEGER ? `use ${min} or more` : `use ${min} to ${max}`);
      }
      return n;
    },
  };
}

// ---- sizes ---------------------------------------------------------------------------------

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
};

/**
 * A byte size as gor writes them: plain bytes or a number with kb/mb/gb/tb, case-insensitive,
 * 1024-based (gor's size.Size). We also accept k/m/g/t, KiB/MiB/…, `b`, and a decimal point
 * (`1.5mb`), so "5MiB" and "1k" work too.
 */
export function parseSize(raw: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(raw.replace(/_/g, ''));
  const unit = m?.[2]?.toLowerCase();
  if (!m || unit === undefined || !(unit in SIZE_UNITS)) {
    throw new ValueError(`"${raw}" is not a size`, 'use bytes or a number with kb, mb, gb (1024-based), e.g. 32mb');
  }
  return Math.floor(Number(m[1]) * SIZE_UNITS[unit]!);
}

export const sizeType: ValueType<number> = { name: 'size', example: '32mb', parse: parseSize };

/** 5242880 → "5mb", 1536 → "1536" (the shortest form parseSize reads back exactly). */
export function formatSize(bytes: number): string {
  for (const [unit, mult] of [['tb', 1024 ** 4], ['gb', 1024 ** 3], ['mb', 1024 ** 2], ['kb', 1024]] as const) {
    if (bytes >= mult && bytes % mult === 0) return `${bytes / mult}${unit}`;
  }
  return String(bytes);
}

// ---- durations -----------------------------------------------------------------------------

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A Go duration (time.ParseDuration, what gor's duration flags take): `5s`, `100ms`, `1m30s`,
 * `2h`, `1.5s`. As in Go, a bare number is rejected except `0`. Negative values are rejected.
 * Returns milliseconds (fractions of a millisecond are rounded up, so `1ns` is not 0).
 */
export function parseDuration(raw: string): number {
  const s = raw.trim();
  if (s === '0') return 0;
  if (/^\d+(\.\d+)?$/.test(s)) {
    throw new ValueError(`"${raw}" has no unit`, `durations need a unit, e.g. ${s}s or ${s}ms`);
  }
  if (s.startsWith('-')) throw new ValueError(`"${raw}" is negative`, 'use a positive duration, e.g. 5s');
  const body = s.startsWith('+') ? s.slice(1) : s;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  while (pos < body.length) {
    re.lastIndex = pos;
    const m = re.exec(body);
    if (!m) throw new ValueError(`"${raw}" is not a duration`, 'use a number with ns, us, ms, s, m or h, e.g. 5s, 100ms, 1m30s');
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (body.length === 0) throw new ValueError(`"${raw}" is not a duration`, 'e.g. 5s');
  return total <= 0 ? 0 : Math.ceil(total - 1e-9);
}

export const durationType: ValueType<number> = { name: 'duration', example: '5s', parse: parseDuration };

/** 90000 → "1m30s", 100 → "100ms", 0 → "0s". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms % 1000 !== 0) return `${ms}ms`;
  let s = ms / 1000;
  let out = '';
  const h = Math.floor(s / 3600);
  if (h) out += `${h}h`;
  s -= h * 3600;
  const m = Math.floor(s / 60);
  if (m) out += `${m}m`;
  s -= m * 60;
  if (s) out += `${s}s`;
  return out;
}

// ---- strings -------------------------------------------------------------------------------

export function stringType(example: string): ValueType<string> {
  return {
    name: 'string',
    example,
    parse(raw) {
      if (raw.trim() === '') throw new ValueError('the value is empty', `e.g. ${example}`);
      return raw;
    },
  };
}

// ---- --output-http 'URL|limit' -------------------------------------------------------------

/** gor splits the destination from its limit at the first `|` (limiter.go / plugins.go). */
function splitLimit(raw: string): [string, string | undefined] {
  const i = raw.indexOf('|');
  return i < 0 ? [raw, undefined] : [raw.slice(0, i), raw.slice(i + 1)];
}

export function parseRateLimit(raw: string): RateLimit {
  const s = raw.trim();
  const pct = /^(\d+)%$/.exec(s);
  if (pct) {
    const n = Number(pct[1]);
    // |0% is accepted as gor does (it sends nothing): people switch a destination off without deleting its line.
    if (n > 100) throw new ValueError(`"|${raw}" is out of range`, 'a sampling percentage is 0% (off) to 100%, e.g. |10%');
    return { kind: 'percent', n };
  }
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n < 1) throw new ValueError('"|0" would mirror nothing', 'to stop mirroring to a destination, remove its --output-http');
    return { kind: 'per-second', n };
  }
  throw new ValueError(`"|${raw}" is not a limit`, "after | put requests per second or a percentage: 'URL|10' or 'URL|10%'");
}

/**
 * `https://shadow.example.com`, `http://10.0.0.5:8080/prefix`, `staging.com` (gor's http://
 * default), optionally followed by `|N` (requests per second) or `|N%` (sampling).
 */
export function parseHttpOutput(raw: string): HttpDestination {
  const [dest, limitRaw] = splitLimit(raw.trim());
  const example = "'https://shadow.example.com|10%'";
  if (dest.trim() === '') throw new ValueError('the URL is empty', `e.g. ${example}`);
  checkUrlShape(dest, example);
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(dest) ? dest : `http://${dest}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ValueError(`"${dest}" is not a URL`, `e.g. ${example}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ValueError(`"${dest}" is not an http or https URL`, `shadow destinations are HTTP servers, e.g. ${example}`);
  }
  if (!url.hostname) throw new ValueError(`"${dest}" has no host`, `e.g. ${example}`);
  const out: HttpDestination = { url: url.href };
  if (limitRaw !== undefined) out.limit = parseRateLimit(limitRaw);
  return out;
}

/**
 * Mistakes that WHATWG URL parsing accepts but that are never what the user meant:
 * `http//host:4000` (read as host "http" with a path) and a port over 65535 (which URL
 * only reports as "Invalid URL").
 */
function checkUrlShape(dest: string, example: string): void {
  const typo = /^(https?)(:\/?(?!\/)|\/\/|:\\)/i.exec(dest);
  if (typo) {
    const rest = dest.slice(typo[0].length);
    throw new ValueError(`"${dest}" is not a URL: the scheme is mistyped`, `did you mean ${typo[1]!.toLowerCase()}://${rest}?`);
  }
  const authority = /^(?:[a-z][a-z0-9+.-]*:\/\/)?(?:[^@/?#]*@)?(\[[^\]]*\]|[^/:?#]*)(?::([^/?#]*))?/i.exec(dest);
  const port = authority?.[2];
  if (port === undefined) return;
  if (!/^\d+$/.test(port)) throw new ValueError(`"${dest}": "${port}" is not a port`, `a port is a number from 1 to 65535, e.g. ${example}`);
  if (Number(port) < 1 || Number(port) > 65535) throw new ValueError(`"${dest}": port ${port} is out of range`, `a port is a number from 1 to 65535, e.g. ${example}`);
}

// ---- --input-file 'file.gor|200%' ----------------------------------------------------------

export function parseInputFile(raw: string): InputFile {
  const [pattern, speed] = splitLimit(raw.trim());
  if (pattern.trim() === '') throw new ValueError('the file name is empty', "e.g. 'requests.gor' or 'requests_*.gor|200%'");
  if (speed === undefined) return { pattern, speedPercent: 100 };
  const m = /^\s*(\d+)%\s*$/.exec(speed);
  if (!m || Number(m[1]) < 1) {
    throw new ValueError(`"|${speed}" is not a replay speed`, "give a percentage of real time: 'requests.gor|200%' replays twice as fast");
  }
  return { pattern, speedPercent: Number(m[1]) };
}

// ---- addresses -----------------------------------------------------------------------------

function parsePort(raw: string, what: string): number {
  if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65535) throw new ValueError(`"${raw}" is not a ${what} port`, 'a port is 0 to 65535');
  return Number(raw);
}

/** `:8080`, `8080`, `127.0.0.1:8080`, `[::1]:8080`, `localhost:8080`. An empty host means all interfaces ('::'). */
export function parseListen(raw: string): ListenAddress {
  const s = raw.trim();
  const example = "':8080' or '127.0.0.1:8080'";
  if (/^\d+$/.test(s)) return { host: '::', port: parsePort(s, 'listen') };
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d*)$/.exec(s);
  if (!m) throw new ValueError(`"${raw}" is not an address to listen on`, `use [host]:port, e.g. ${example}`);
  if (m[3] === '') throw new ValueError(`"${raw}" has no port`, `e.g. ${example}`);
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' ? '::' : host, port: parsePort(m[3]!, 'listen') };
}

/**
 * `--admin-path`: an absolute path without a query, e.g. `/__traffic-duplicator`. Not `/`
 * (that would take every request from the app); a trailing slash is dropped.
 */
export function parseAdminPath(raw: string): string {
  const s = raw.trim().replace(/\/+$/, '');
  const example = 'e.g. /__traffic-duplicator';
  if (!raw.trim().startsWith('/')) throw new ValueError(`"${raw}" is not an absolute path`, `start it with /, ${example}`);
  if (s === '') throw new ValueError('"/" would take every request away from the app', `use a path of its own, ${example}`);
  if (!/^(\/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+$/.test(s)) throw new ValueError(`"${raw}" is not a plain path (no query, spaces or empty segments)`, example);
  return s;
}

/** `http://127.0.0.1:3000`, `127.0.0.1:3000`, `localhost:3000`, `3000` (localhost), `unix:/run/app.sock`. */
export function parseUpstream(raw: string): Upstream {
  const s = raw.trim();
  const example = "'http://127.0.0.1:3000' or 'unix:/run/app.sock'";
  if (s.startsWith('unix:')) {
    const path = s.slice('unix:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw new ValueError('the socket path is empty', `e.g. ${example}`);
    return { kind: 'unix', path };
  }
  if (/^\d+$/.test(s)) return { kind: 'tcp', host: '127.0.0.1', port: parsePort(s, 'upstream') };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
    let url: URL;
    try {
      url = new URL(s);
    } catch {
      throw new ValueError(`"${raw}" is not a URL`, `e.g. ${example}`);
    }
    if (url.protocol === 'https:') {
      throw new ValueError('the relay passes bytes through untouched, so it cannot speak TLS to the app', 'point --upstream at the app\'s plain HTTP port, e.g. http://127.0.0.1:3000');
    }
    if (url.protocol !== 'http:') throw new ValueError(`"${raw}" is not an http:// or unix: address`, `e.g. ${example}`);
    if ((url.pathname !== '/' && url.pathname !== '') || url.search) {
      throw new ValueError(`"${raw}" has a path`, 'the relay forwards whole connections; give only host and port, e.g. http://127.0.0.1:3000');
    }
    return { kind: 'tcp', host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port ? Number(url.port) : 80 };
  }
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/.exec(s);
  if (!m) throw new ValueError(`"${raw}" is not an upstream address`, `e.g. ${example}`);
  return { kind: 'tcp', host: m[1] ?? m[2]!, port: parsePort(m[3]!, 'upstream') };
}
