/**
 * Splits an options file (config/gor.options) into words the way the old Ruby wrapper's shell
 * did, keeping the line each word came from for error messages.
 *
 * The old buildpack joined the file's lines with spaces and ran `bin/gor --input-http :PORT
 * <options>` through /bin/sh, so shell quoting and `$VAR` expansion are part of the contract:
 *   - words are separated by spaces, tabs and newlines; a flag and its value may be on
 *     different lines (the lines were joined);
 *   - '…' is literal; "…" expands $VAR and ${VAR} and honours \" \\ \$ \`; outside quotes a
 *     backslash escapes the next character, and backslash-newline continues the line;
 *   - unquoted $VAR is split into several words at whitespace, as sh does (so
 *     `$EXTRA_GOR_OPTIONS` can hold several flags); "$VAR" stays one word;
 *   - ${VAR:-default}, ${VAR-default}, ${VAR:?message} and ${VAR?message} work as in sh;
 *     an unset variable expands to nothing (we remember it, to explain a later error).
 * Deliberate differences from sh:
 *   - `#` at the start of a word comments out the rest of that LINE only (the old wrapper's
 *     joining made it swallow every later option, which was never intended);
 *   - `|`, `&`, `;`, `<`, `>`, `(`, `)`, `*`, `~` are ordinary characters: `URL|10%` needs no
 *     quotes here, and globs are left for --input-file to expand;
 *   - `$1`…`$9` and other `$` not followed by a name stay literal, so rewrite rules such as
 *     `/v1/(.*):/v2/$1` work even unquoted (sh would have silently emptied them);
 *   - command substitution ($(…) and backquotes) is refused: we don't run a shell.
 */
import { UsageError } from '../core/errors.js';

export interface Token {
  text: string;
  /** 1-based line where the word starts. */
  line: number;
  /** Names of unset variables that went into this word. */
  unset: string[];
}

export interface Tokenized {
  tokens: Token[];
  /** Unset variables by line, including ones whose word vanished (`--output-http $UNSET`). */
  unsetByLine: Map<number, string[]>;
}

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

export function tokenizeOptions(text: string, env: NodeJS.ProcessEnv, file: string): Tokenized {
  const tokens: Token[] = [];
  const unsetByLine = new Map<number, string[]>();
  let line = 1;
  let i = 0;
  let cur = '';
  let inWord = false;
  let wordLine = 1;
  let wordUnset: string[] = [];

  const fail = (atLine: number, message: string, hint: string): never => {
    throw new UsageError('TD_OPTIONS_FILE', `${file}:${atLine}: ${message}`, hint);
  };
  const start = () => {
    if (!inWord) {
      inWord = true;
      wordLine = line;
    }
  };
  const finish = () => {
    if (inWord) tokens.push({ text: cur, line: wordLine, unset: wordUnset });
    cur = '';
    inWord = false;
    wordUnset = [];
  };
  const noteUnset = (name: string) => {
    const list = unsetByLine.get(line) ?? [];
    if (!list.includes(name)) list.push(name);
    unsetByLine.set(line, list);
    if (!wordUnset.includes(name)) wordUnset.push(name);
  };

  /** Reads a `$…` expansion at text[i] === '$'; returns its value, or undefined for a literal '$'. */
  const expansion = (): string | undefined => {
    const next = text[i + 1];
    if (next === '(') {
      return fail(line, 'command substitution $(…) is not supported', 'traffic-duplicator does not run a shell; set an environment variable and use "$NAME" instead');
    }
    if (next === '{') {
      const close = text.indexOf('}', i + 2);
      if (close < 0 || text.slice(i + 2, close).includes('\n')) {
        return fail(line, 'unterminated ${…}', 'close it on the same line, e.g. "${SHADOW_URL}"');
      }
      const inner = text.slice(i + 2, close);
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])(.*))?$/s.exec(inner);
      if (!m) {
        return fail(line, `bad substitution \${${inner}}`, 'supported forms: ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}');
      }
      i = close + 1;
      const [, name, colon, op, word] = m as unknown as [string, string, string | undefined, string | undefined, string | undefined];
      const value = env[name];
      const missing = value === undefined || (colon === ':' && value === '');
      if (op === '-') return missing ? (word ?? '') : value;
      if (op === '?' && missing) {
        return fail(line, `$${name} is not set${word ? `: ${word}` : ''}`, `set it in the environment, e.g. heroku config:set ${name}=…`);
      }
      if (value === undefined) noteUnset(name);
      return value ?? '';
    }
    NAME.lastIndex = i + 1;
    const m = NAME.exec(text);
    if (!m) return undefined; // `$1`, `$` at the end, `$%`: literal
    i = NAME.lastIndex;
    const value = env[m[0]];
    if (value === undefined) noteUnset(m[0]);
    return value ?? '';
  };

  /** Appends an unquoted expansion with sh's field splitting. */
  const appendSplit = (value: string) => {
    if (value === '') return;
    const parts = value.split(/[ \t\n]+/);
    parts.forEach((part, k) => {
      if (k > 0) finish();
      if (part !== '') {
        start();
        cur += part;
      }
    });
  };

  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      finish();
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      finish();
      i++;
    } else if (c === '#' && !inWord) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === "'") {
      start();
      const close = text.indexOf("'", i + 1);
      if (close < 0) {
        fail(line, 'unterminated single quote', "close the quote; inside '…' nothing is special, to put a ' in a value use \"…\" instead");
      }
      const s = text.slice(i + 1, close);
      cur += s;
      line += s.split('\n').length - 1;
      i = close + 1;
    } else if (c === '"') {
      start();
      const openLine = line;
      i++;
      for (;;) {
        if (i >= text.length) {
          fail(openLine, 'unterminated double quote', 'close the quote; to put a " inside "…" write \\"');
        }
        const d = text[i]!;
        if (d === '"') {
          i++;
          break;
        }
        if (d === '\\') {
          const e = text[i + 1];
          if (e === '\n') {
            line++;
            i += 2;
          } else if (e === '$' || e === '`' || e === '"' || e === '\\') {
            cur += e;
            i += 2;
          } else {
            cur += d;
            i++;
          }
        } else if (d === '$') {
          const v = expansion();
          if (v === undefined) {
            cur += '$';
            i++;
          } else cur += v;
        } else if (d === '`') {
          fail(line, 'command substitution `…` is not supported', 'traffic-duplicator does not run a shell; set an environment variable and use "$NAME" instead');
        } else {
          if (d === '\n') line++;
          cur += d;
          i++;
        }
      }
    } else if (c === '\\') {
      const e = text[i + 1];
      if (e === '\n') {
        line++;
        i += 2;
      } else if (e === undefined) {
        start();
        cur += '\\';
        i++;
      } else {
        start();
        cur += e === '\r' ? '' : e;
        i += 2;
      }
    } else if (c === '$') {
      const v = expansion();
      if (v === undefined) {
        start();
        cur += '$';
        i++;
      } else appendSplit(v);
    } else if (c === '`') {
      fail(line, 'command substitution `…` is not supported', 'traffic-duplicator does not run a shell; set an environment variable and use "$NAME" instead');
    } else {
      start();
      cur += c;
      i++;
    }
  }
  finish();
  return { tokens, unsetByLine };
}
