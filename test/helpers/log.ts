import { createLogger, type Logger } from '../../src/telemetry/logger.js';

/** A logger that keeps its logfmt lines (info included) for assertions. */
export function memoryLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return Object.assign(createLogger({ write: (l) => lines.push(l) }), { lines });
}
