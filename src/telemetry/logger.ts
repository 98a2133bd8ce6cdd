/**
 * logfmt lines in the style of Heroku's router and buildpacks:
 *   source=traffic-duplicator at=app-ready elapsed_ms=812
 * `at` names the event; `level` is added only for warnings and errors so the common
 * case stays short. Values with spaces, quotes or `=` are quoted.
 */
export type Fields = Record<string, string | number | bigint | boolean | undefined | null>;

export interface Logger {
  info(at: string, fields?: Fields): void;
  warn(at: string, fields?: Fields): void;
  error(at: string, fields?: Fields): void;
  /** A raw, already formatted line (used by the stats reporter). */
  line(text: string): void;
}

export interface LoggerOptions {
  /** Where lines go; defaults to stderr so stdout stays free for --output-stdout. */
  write?: (line: string) => void;
  source?: string;
  /** Drop info lines (errors and warnings are always written). */
  quiet?: boolean;
}

export function formatValue(v: string | number | bigint | boolean): string {
  const s = String(v);
  if (s === '') return '""';
  if (/[\s"=\\]/.test(s) || /[\u0000-\u001f\u007f]/.test(s)) return JSON.stringify(s);
  return s;
}

export function logfmt(fields: Fields): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined || v === null) continue;
    parts.push(`${k}=${formatValue(v)}`);
  }
  return parts.join(' ');
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write ?? ((l: string) => void process.stderr.write(l + '\n'));
  const source = options.source ?? 'traffic-duplicator';
  const emit = (level: string | undefined, at: string, fields?: Fields) =>
    write(logfmt({ source, at, level, ...fields }));
  return {
    info: (at, fields) => {
      if (!options.quiet) emit(undefined, at, fields);
    },
    warn: (at, fields) => emit('warn', at, fields),
    error: (at, fields) => emit('error', at, fields),
    line: (text) => write(`source=${source} ${text}`),
  };
}

/** A logger that keeps lines in memory: for tests, and for the demo's summary. */
export function createMemoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ write: (l) => lines.push(l) });
  return Object.assign(logger, { lines });
}

/**
 * Logs an event at most once per `intervalMs` per key, counting the ones it held back,
 * so a flood of identical drops (or a full disk failing every write) costs one line a
 * second, not one a request.
 */
export class RateLimitedLog {
  readonly #last = new Map<string, { at: number; suppressed: number }>();
  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** For expected events (drops the user configured): info level, so --quiet hides them. */
  info(key: string, at: string, fields: Fields): void {
    this.#emit('info', key, at, fields);
  }

  warn(key: string, at: string, fields: Fields): void {
    this.#emit('warn', key, at, fields);
  }

  error(key: string, at: string, fields: Fields): void {
    this.#emit('error', key, at, fields);
  }

  #emit(level: 'info' | 'warn' | 'error', key: string, at: string, fields: Fields): void {
    const t = this.now();
    const prev = this.#last.get(key);
    if (prev && t - prev.at < this.intervalMs) {
      prev.suppressed++;
      return;
    }
    const suppressed = prev?.suppressed || undefined;
    this.#last.set(key, { at: t, suppressed: 0 });
    this.logger[level](at, { ...fields, suppressed_since_last: suppressed });
  }
}
