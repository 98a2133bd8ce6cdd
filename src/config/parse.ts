/**
 * Go `flag`-style parsing of words (from argv or a tokenized options file) into flag
 * occurrences, and applying them to a Config. Accepted forms, as in Go: -flag v, --flag v,
 * -flag=v, --flag=v; booleans: --x, --x=true|false (a bool never takes the next word).
 */
import { UsageError } from '../core/errors.js';
import type { ConfigDraft } from './config.js';
import { FLAGS, FLAG_BY_NAME, type Alias, type ApplyContext, type Flag } from './flags.js';
import { nearest } from './suggest.js';
import { findUnsupported, UNSUPPORTED } from './unsupported.js';
import { ValueError } from './values.js';

export interface Word {
  text: string;
  /** 1-based line in the options file (undefined for argv). */
  line?: number;
}

export type Origin = { kind: 'argv' } | { kind: 'file'; path: string; unsetByLine: ReadonlyMap<number, readonly string[]> };

export interface FlagOccurrence {
  flag: Flag;
  alias?: Alias;
  /** As written, with dashes: '--output-http-header'. */
  given: string;
  raw: string;
  source: string;
  /** Unset environment variables on the occurrence's line (to explain a bad value). */
  unset: readonly string[];
}

export interface Scanned {
  occurrences: FlagOccurrence[];
  /** argv only: the words after `--`, if `--` was given. */
  command?: string[];
}

const ARGV_SOURCE = 'command line';

function sourceOf(origin: Origin, line: number | undefined): string {
  return origin.kind === 'file' ? `${origin.path}:${line ?? '?'}` : ARGV_SOURCE;
}

function unsetNote(names: readonly string[]): string {
  if (names.length === 0) return '';
  const list = names.map((n) => `$${n}`).join(', ');
  return ` (${list} ${names.length === 1 ? 'is' : 'are'} not set in the environment)`;
}

/** Splits `--name=value` / `-name` into its parts; undefined if the word is not a flag. */
export function splitFlagWord(text: string): { dashes: string; name: string; value: string | undefined } | undefined {
  const m = /^(--?)([^=]*)(?:=(.*))?$/s.exec(text);
  if (!m || text === '-' || text === '--') return undefined;
  return { dashes: m[1]!, name: m[2]!, value: m[3] };
}

/** A word that names a flag we know of (for "missing value" detection). */
function isKnownFlagWord(text: string): boolean {
  const w = splitFlagWord(text);
  return w !== undefined && (FLAG_BY_NAME.has(w.name) || findUnsupported(w.name) !== undefined);
}

export function allKnownNames(): string[] {
  const names: string[] = [];
  for (const f of FLAGS) names.push(f.name, ...f.aliases.map((a) => a.name));
  for (const u of UNSUPPORTED) names.push(...u.names.filter((n) => !n.endsWith('*')));
  return names;
}

export function scanWords(words: readonly Word[], origin: Origin): Scanned {
  const occurrences: FlagOccurrence[] = [];
  const unsetAt = (line: number | undefined) => (origin.kind === 'file' && line !== undefined ? (origin.unsetByLine.get(line) ?? []) : []);
  let prev: { occ: FlagOccurrence; separateValue: boolean; line: number | undefined } | undefined;

  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const source = sourceOf(origin, word.line);

    if (word.text === '--') {
      if (origin.kind === 'argv') return { occurrences, command: words.slice(i + 1).map((w) => w.text) };
      throw new UsageError('TD_BAD_USAGE', `${source}: "--" has no meaning in an options file`, 'the app command goes in the Procfile: web: start-traffic-duplicator bundle exec rails s -p $PORT');
    }

    const fw = splitFlagWord(word.text);
    if (!fw) {
      throw positionalError(word.text, source, origin, prev && (origin.kind === 'argv' || prev.line === word.line) ? prev : undefined);
    }
    if (fw.name === '' || fw.name.startsWith('-')) {
      throw new UsageError('TD_BAD_USAGE', `${source}: bad flag syntax: ${word.text}`, 'flags look like --name value or --name=value');
    }
    const given = `${fw.dashes}${fw.name}`;
    const found = FLAG_BY_NAME.get(fw.name);
    if (!found) throw unknownFlagError(fw.name, given, source);
    const { flag, alias } = found;

    if (flag.argvOnly && origin.kind === 'file') {
      throw new UsageError('TD_BAD_USAGE', `${source}: --${flag.name} only works on the command line`, flag.name === 'options-file' ? 'name the options file with --options-file PATH or env TRAFFIC_DUPLICATOR_OPTIONS_FILE' : `run traffic-duplicator --${flag.name}`);
    }

    let raw: string;
    let separateValue = false;
    if (flag.isBool) {
      raw = fw.value ?? 'true';
    } else if (fw.value !== undefined) {
      raw = fw.value;
    } else if (flag.optionalValue) {
      const next = words[i + 1];
      if (next && flag.optionalValue.pattern.test(next.text)) {
        raw = next.text;
        i++;
      } else raw = flag.optionalValue.bare;
    } else {
      const next = words[i + 1];
      const example = `e.g. --${flag.name} ${flag.example}`;
      if (!next || (origin.kind === 'argv' && next.text === '--')) {
        throw new UsageError('TD_MISSING_VALUE', `${source}: ${given} needs a value (${flag.metavar})`, `${example}${unsetNote(unsetAt(word.line))}`);
      }
      if (isKnownFlagWord(next.text)) {
        throw new UsageError('TD_MISSING_VALUE', `${source}: ${given} needs a value (${flag.metavar}), but the next word is the flag ${next.text}`, `${example}${unsetNote(unsetAt(word.line))}`);
      }
      raw = next.text;
      separateValue = true;
      i++;
    }
    const occ: FlagOccurrence = { flag, given, raw, source, unset: unsetAt(word.line) };
    if (alias) occ.alias = alias;
    occurrences.push(occ);
    prev = { occ, separateValue, line: word.line };
  }
  return { occurrences };
}

function unknownFlagError(name: string, given: string, source: string): UsageError {
  const unsupported = findUnsupported(name);
  if (unsupported) {
    return new UsageError('TD_UNSUPPORTED_FLAG', `${source}: ${given} is a GoReplay flag that traffic-duplicator does not support: ${unsupported.why}`, unsupported.instead);
  }
  const near = nearest(name, allKnownNames());
  return new UsageError('TD_UNKNOWN_FLAG', `${source}: unknown flag ${given}`, near ? `did you mean --${near}?` : 'run traffic-duplicator --help to see the flags');
}

function positionalError(text: string, source: string, origin: Origin, prev: { occ: FlagOccurrence; separateValue: boolean } | undefined): UsageError {
  const message = `${source}: unexpected word "${text}"`;
  if (FLAG_BY_NAME.has(text)) return new UsageError('TD_BAD_USAGE', message, `flags start with --: did you mean --${text}?`);
  if (prev?.occ.flag.isBool && /^(true|false|t|f|1|0)$/i.test(text)) {
    return new UsageError('TD_BAD_USAGE', message, `a boolean flag takes a value only after =, e.g. --${prev.occ.flag.name}=${text.toLowerCase()}`);
  }
  if (prev?.separateValue) {
    const f = prev.occ.flag;
    return new UsageError('TD_BAD_USAGE', message, `if it belongs to the value of ${prev.occ.given} ("${prev.occ.raw}"), quote the whole value, e.g. --${f.name} ${f.example}`);
  }
  return new UsageError(
    'TD_BAD_USAGE',
    message,
    origin.kind === 'argv'
      ? 'put the app command after --, e.g. traffic-duplicator --output-http https://shadow.example.com -- bundle exec rails s'
      : 'an options file holds only flags; the app command goes in the Procfile',
  );
}

/** Applies every flag's default (from the table), before any user input. */
export function applyDefaults(cfg: ConfigDraft): void {
  const ctx: ApplyContext = { source: 'default', given: '', seen: () => false, note: () => {}, ignore: () => {} };
  for (const f of FLAGS) {
    if (f.default !== undefined) f.apply(cfg, f.parse(f.default), { ...ctx, given: `--${f.name}` });
  }
}

/** Applies occurrences in order (options file first, then argv: single-valued flags keep the last). */
export function applyOccurrences(cfg: ConfigDraft, occurrences: readonly FlagOccurrence[]): void {
  const seen = new Set<string>();
  const notes = new Set(cfg.notes);
  const note = (m: string) => {
    if (!notes.has(m)) {
      notes.add(m);
      cfg.notes.push(m);
    }
  };
  for (const occ of occurrences) {
    const { flag } = occ;
    const ignore = (why: string) => {
      if (!cfg.ignoredFlags.some((i) => i.flag === `--${flag.name}`)) cfg.ignoredFlags.push({ flag: `--${flag.name}`, source: occ.source, why });
    };
    const ctx: ApplyContext = { source: occ.source, given: occ.given, seen: (n) => seen.has(n), note, ignore };
    try {
      flag.apply(cfg, flag.parse(occ.raw), ctx);
    } catch (err) {
      if (!(err instanceof ValueError)) throw err;
      throw valueError(occ, err);
    }
    if (occ.alias?.deprecated) note(`${occ.source}: ${occ.given} is deprecated; use --${flag.name}`);
    seen.add(flag.name);
  }
}

function valueError(occ: FlagOccurrence, err: ValueError): UsageError {
  const { flag } = occ;
  const example = flag.isBool ? `--${flag.name}=false` : `--${flag.name} ${flag.example}`;
  let hint: string;
  if (err.code === 'TD_UNSUPPORTED_FLAG') hint = err.advice ?? '';
  else if (flag.isBool) hint = `a boolean is true or false, e.g. ${example}`;
  else if (!err.advice) hint = `expected ${flag.metavar}, e.g. ${example}`;
  else hint = err.advice.includes('e.g.') || err.advice.includes('--') ? err.advice : `${err.advice}, e.g. ${example}`;
  return new UsageError(err.code, `${occ.source}: ${occ.given}: ${err.message}`, hint + unsetNote(occ.unset));
}
