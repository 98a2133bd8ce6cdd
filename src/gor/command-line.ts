import { UsageError } from '../core/errors.js';

/**
 * Splits a --middleware command line into argv without a shell (gor splits on single
 * spaces, which breaks `node "my dir/mw.js"`; we respect quotes instead):
 *   - whitespace separates words;
 *   - '…' is literal; "…" allows \" and \\ escapes; outside quotes \x is x.
 * No globbing, variables or pipes: wrap the command in a script if you need those.
 */
export function splitCommandLine(command: string): string[] {
  const out: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  const fail = (what: string): never => {
    throw new UsageError('TD_BAD_VALUE', `middleware command ${JSON.stringify(command)}: ${what}`, 'quote arguments with spaces, e.g. --middleware "node \'./my dir/mw.js\'"');
  };
  while (i < command.length) {
    const c = command[i]!;
    if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) out.push(word);
      word = '';
      inWord = false;
      i++;
    } else if (c === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) fail('unterminated single quote');
      word += command.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      inWord = true;
      for (;;) {
        if (i >= command.length) fail('unterminated double quote');
        const d = command[i]!;
        if (d === '"') break;
        if (d === '\\' && (command[i + 1] === '"' || command[i + 1] === '\\')) {
          word += command[i + 1];
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
      i++;
    } else if (c === '\\' && i + 1 < command.length) {
      word += command[i + 1];
      inWord = true;
      i += 2;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) out.push(word);
  if (out.length === 0) fail('empty command');
  return out;
}
