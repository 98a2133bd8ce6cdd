/**
 * GoReplay flags we deliberately don't support (from gor's settings.go and gor.go), each with
 * why and what to use instead. A flag here fails with TD_UNSUPPORTED_FLAG rather than the
 * unknown-flag error, so a user migrating a gor.options file learns it was understood.
 */
export interface Unsupported {
  /** Exact names, or a family prefix ending in '-' / '*' (e.g. 'input-raw*' matches input-raw and input-raw-engine). */
  readonly names: readonly string[];
  readonly why: string;
  readonly instead: string;
}

const RAW_WHY = 'raw capture needs root and libpcap; traffic-duplicator is in-path and sees every request already';
const LINK_WHY = 'it links gor instances to each other; traffic-duplicator sends copies straight to their destinations';

export const UNSUPPORTED: readonly Unsupported[] = [
  {
    names: ['input-raw*'],
    why: RAW_WHY,
    instead: 'remove it: every request that reaches $PORT (or --listen) is mirrored',
  },
  {
    names: ['input-tcp*', 'output-tcp*', 'output-ws*'],
    why: LINK_WHY,
    instead: 'use --output-http for each destination, or --output-file and replay the capture elsewhere with --input-file',
  },
  {
    names: ['input-kafka*', 'output-kafka*', 'kafka-tls*'],
    why: 'Kafka needs a broker client that traffic-duplicator does not ship',
    instead: 'use --output-file, or --middleware with a script that publishes to Kafka',
  },
  {
    names: ['output-binary*'],
    why: 'binary replay is for non-HTTP protocols; traffic-duplicator mirrors HTTP/1.x',
    instead: 'use --output-http',
  },
  {
    names: ['input-dummy'],
    why: "it is gor's test input (GET / every second)",
    instead: 'replay a small capture with --input-file',
  },
  {
    names: ['prettify-http'],
    why: "copies are production's bytes, chunked and gzip bodies exactly as the client sent them; decoding them would make the copy a different request",
    instead: 'use --output-stdout and decode bodies with your own tools',
  },
  {
    names: ['http-pprof', 'cpuprofile', 'memprofile'],
    why: "these are Go's profiler hooks",
    instead: 'profile Node with NODE_OPTIONS=--cpu-prof or --inspect',
  },
  {
    names: ['recognize-tcp-sessions'],
    why: 'it is a GoReplay PRO feature (one shadow connection per client TCP session)',
    instead: 'remove it: each copy is sent on its own over a pooled keep-alive connection',
  },
  {
    names: ['output-http-compatibility-mode'],
    why: "it switched gor to Go's standard HTTP client; traffic-duplicator always uses its own HTTP/1.1 keep-alive sender",
    instead: 'remove it',
  },
  {
    names: ['output-http-elasticsearch'],
    why: 'exporting request stats to Elasticsearch is not built in',
    instead: 'use the stats line in the logs (--stats), or --output-http-track-response with --output-file',
  },
  {
    names: ['output-file-buffer'],
    why: 'it only set the temporary directory for S3 uploads, and S3 output is not supported',
    instead: 'remove it; write to a local path with --output-file',
  },
  {
    names: ['config-file', 'config-server-address', 'config-remote-host'],
    why: "traffic-duplicator reads gor's command-line style options file instead",
    instead: 'use --options-file PATH (default config/gor.options)',
  },
];

/** The entry for a flag name (without dashes), if gor has it and we don't. */
export function findUnsupported(name: string): Unsupported | undefined {
  return UNSUPPORTED.find((u) =>
    u.names.some((n) => (n.endsWith('*') ? name === n.slice(0, -1) || name.startsWith(`${n.slice(0, -1)}-`) : name === n)),
  );
}

/** Why `s3://` paths in --input-file / --output-file are refused. */
export const S3_UNSUPPORTED: Unsupported = {
  names: [],
  why: 'S3 needs the AWS SDK, which traffic-duplicator does not ship',
  instead: 'write to a local path and upload it yourself (for example with aws s3 cp)',
};
