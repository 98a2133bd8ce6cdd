import { renameSync, writeFileSync } from 'node:fs';
import { writeFile, rename } from 'node:fs/promises';
import type { Logger } from '../telemetry/logger.js';
import { renderReportHtml } from './report-html.js';
import type { CompareReport } from './types.js';

/**
 * --compare-report FILE.json|FILE.html: rewritten every stats interval and at exit, always
 * whole (written to FILE.tmp, then renamed), so a reader never sees half a report.
 */
export class ReportFile {
  readonly #path: string;
  readonly #render: (r: CompareReport) => string;
  readonly #log: Logger;
  #writing = false;
  #failedOnce = false;

  constructor(path: string, log: Logger) {
    this.#path = path;
    this.#log = log;
    this.#render = /\.html?$/i.test(path) ? (r) => renderReportHtml(r) : (r) => JSON.stringify(r, null, 2) + '\n';
  }

  /** Periodic: skipped while the previous write is still running. */
  write(report: CompareReport): void {
    if (this.#writing) return;
    this.#writing = true;
    const tmp = this.#path + '.tmp';
    void writeFile(tmp, this.#render(report))
      .then(() => rename(tmp, this.#path))
      .catch((err) => this.#failed(err))
      .finally(() => (this.#writing = false));
  }

  /** At exit: synchronous, so it is on disk before the process ends. */
  writeNow(report: CompareReport): void {
    try {
      const tmp = this.#path + '.final.tmp';
      writeFileSync(tmp, this.#render(report));
      renameSync(tmp, this.#path);
    } catch (err) {
      this.#failed(err);
    }
  }

  #failed(err: unknown): void {
    if (this.#failedOnce) return;
    this.#failedOnce = true;
    this.#log.warn('compare-report-failed', { file: this.#path, message: err instanceof Error ? err.message : String(err) });
  }
}
