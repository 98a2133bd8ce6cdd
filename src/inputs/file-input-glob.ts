import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../core/errors.js';

const MAGIC = /[*?[]/;

/** `*`, `?` and `[abc]` / `[a-z]` / `[!x]` in one path segment, as Go's filepath.Match. */
export function segmentToRegExp(segment: string): RegExp {
  let re = '^';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 1);
      if (end < 0) throw new UsageError('TD_BAD_VALUE', `input-file pattern ${JSON.stringify(segment)}: unclosed "["`);
      let cls = segment.slice(i + 1, end).replace(/\\/g, '\\\\');
      if (cls.startsWith('!') || cls.startsWith('^')) cls = '^' + cls.slice(1);
      re += `[${cls}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(re + '$');
}

/**
 * The files a --input-file pattern names, sorted (as gor's filepath.Glob). Wildcards are
 * allowed in the last path segment only (Node 20 has no fs.glob); a pattern that matches
 * nothing is a usage error that names it.
 */
export async function expandFilePattern(pattern: string): Promise<string[]> {
  const dir = dirname(pattern);
  const last = basename(pattern);
  if (MAGIC.test(dir)) {
    throw new UsageError('TD_BAD_VALUE', `input-file pattern ${JSON.stringify(pattern)}: wildcards are supported in the file name only`, 'put the wildcard in the last path segment, e.g. /var/log/gor/requests_*.gor');
  }
  if (!MAGIC.test(last)) {
    try {
      if ((await stat(pattern)).isFile()) return [pattern];
    } catch {
      // fall through to the error below
    }
    throw new UsageError('TD_BAD_VALUE', `input-file: no such file ${JSON.stringify(pattern)}`);
  }
  const re = segmentToRegExp(last);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new UsageError('TD_BAD_VALUE', `input-file pattern ${JSON.stringify(pattern)}: cannot read directory ${dir}: ${(err as Error).message}`);
  }
  const named = names.filter((n) => re.test(n)).sort().map((n) => join(dir, n));
  // Files only (a directory that happens to match, e.g. backup.gor/, is not a capture).
  const matches: string[] = [];
  for (const p of named) if (await isFile(p)) matches.push(p);
  if (matches.length === 0) throw new UsageError('TD_BAD_VALUE', `input-file: no files match pattern ${JSON.stringify(pattern)}`);
  return matches;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
