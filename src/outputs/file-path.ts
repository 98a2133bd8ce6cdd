import { readdir } from 'node:fs/promises';
import { basename, dirname, extname } from 'node:path';

/**
 * gor's --output-file path templates (output_file.go `dateFileNameFuncs`):
 *   %Y %m %d %H %M %S  local time, zero-padded      %NS  nanoseconds within the second (unpadded, as gor)
 *   %r  the message id (one file per request)       %t   the payload type (1, 2, 3)
 *   %i  this process's instance id
 */
export interface TemplateContext {
  readonly now: Date;
  /** Sub-millisecond part gor's %NS includes; we only know ms, so %NS = ms * 1e6 unless given. */
  readonly nanos?: number;
  readonly id?: string;
  readonly type?: string;
  readonly instanceId?: string;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

export function expandTemplate(template: string, ctx: TemplateContext): string {
  const d = ctx.now;
  return template.replace(/%(NS|Y|m|d|H|M|S|r|t|i)/g, (_m, k: string) => {
    switch (k) {
      case 'Y':
        return pad(d.getFullYear(), 4);
      case 'm':
        return pad(d.getMonth() + 1);
      case 'd':
        return pad(d.getDate());
      case 'H':
        return pad(d.getHours());
      case 'M':
        return pad(d.getMinutes());
      case 'S':
        return pad(d.getSeconds());
      case 'NS':
        return String(ctx.nanos ?? d.getMilliseconds() * 1_000_000);
      case 'r':
        return ctx.id ?? '';
      case 't':
        return ctx.type ?? '';
      default:
        return ctx.instanceId ?? '';
    }
  });
}

/** True when the template names one file per message (%r) — gor never chunks those. */
export function isPerMessageTemplate(template: string): boolean {
  return template.includes('%r');
}

/**
 * gor's chunk name: the index goes before the *last* extension, so `requests.gor` becomes
 * `requests_0.gor` and `requests.gor.gz` becomes `requests.gor_0.gz` (filepath.Ext is ".gz").
 */
export function chunkName(path: string, index: number): string {
  const ext = extname(path);
  return path.slice(0, path.length - ext.length) + '_' + index + ext;
}

/** The highest `_N` index among existing chunks of `path`, or -1 when there are none. */
export async function lastChunkIndex(path: string): Promise<number> {
  const ext = extname(path);
  const stem = basename(path, ext);
  let names: string[];
  try {
    names = await readdir(dirname(path) || '.');
  } catch {
    return -1;
  }
  let max = -1;
  for (const n of names) {
    if (!n.startsWith(stem + '_') || !n.endsWith(ext)) continue;
    const mid = n.slice(stem.length + 1, n.length - ext.length);
    if (/^\d+$/.test(mid)) max = Math.max(max, Number(mid));
  }
  return max;
}
