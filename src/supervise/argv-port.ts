/**
 * The Procfile shell has already expanded `$PORT` before we see argv
 * (`rails s -p 5000`), so we swap the literal public port for the app's private one
 * wherever it stands as a whole argument, right after `=` or `:`, or glued to a short
 * option (`-p 5000`, `-p5000`, `--port=5000`, `0.0.0.0:5000`, `tcp://0.0.0.0:5000`).
 *
 * `sh -c 'exec puma -p 5000'` (and bash/dash/zsh) hides the port inside one script
 * argument: there we swap it wherever it stands as a word of the script.
 *
 * A port inside a longer number (`15000`, `5000x`) is left alone: we only match whole
 * tokens. The old wrapper replaced the first occurrence anywhere in a re-joined string.
 */
export function replacePortInArgv(argv: readonly string[], publicPort: number, privatePort: number): string[] {
  const p = String(publicPort);
  const inArgument = new RegExp(`(^-[A-Za-z]|^|[=:])${p}(?=$|[/,;])`, 'g');
  const inScript = new RegExp(`(^|[\\s'"=:]|\\s-[A-Za-z])${p}(?=$|[\\s'"/,;)])`, 'g');
  const swap = (_m: string, lead: string) => `${lead}${privatePort}`;
  const shell = isShell(argv[0]);
  return argv.map((arg, i) => (shell && /^-[A-Za-z]*c[A-Za-z]*$/.test(argv[i - 1] ?? '') ? arg.replace(inScript, swap) : arg.replace(inArgument, swap)));
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ash', 'ksh']);

function isShell(file: string | undefined): boolean {
  if (!file) return false;
  return SHELLS.has(file.slice(file.lastIndexOf('/') + 1));
}
