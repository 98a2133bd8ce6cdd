/**
 * The Procfile shell has already expanded `$PORT` before we see argv
 * (`rails s -p 5000`), so we swap the literal public port for the app's private one
 * wherever it stands as a whole argument or right after `=` or `:`
 * (`-p 5000`, `--port=5000`, `0.0.0.0:5000`, `tcp://0.0.0.0:5000`).
 *
 * A port inside a longer number (`15000`, `5000x`) is left alone: we only match whole
 * tokens. The old wrapper replaced the first occurrence anywhere in a re-joined string.
 */
export function replacePortInArgv(argv: readonly string[], publicPort: number, privatePort: number): string[] {
  const p = String(publicPort);
  const wholeToken = new RegExp(`(^|[=:])${p}(?=$|[/,;])`, 'g');
  return argv.map((arg) => arg.replace(wholeToken, (_m, lead: string) => `${lead}${privatePort}`));
}
