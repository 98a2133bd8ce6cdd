/** `--help`, generated from the flag table so it cannot drift from behaviour. */
import { FLAGS, GROUPS, type Flag } from './flags.js';
import { UNSUPPORTED } from './unsupported.js';

const WIDTH = 96;

function wrap(text: string, indent: string): string {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && indent.length + line.length + 1 + word.length > WIDTH) {
      out.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(indent + line);
  return out.join('\n');
}

/** The text shown for a flag's default, or undefined when it has none worth showing. */
export function defaultText(f: Flag): string | undefined {
  if (f.isBool) return undefined;
  return f.default ?? f.defaultHelp;
}

function flagEntry(f: Flag): string {
  let head = `  --${f.name}`;
  if (f.name === 'help') head = '  -h, --help';
  if (!f.isBool) head += ` ${f.metavar}`;
  const extras: string[] = [];
  const d = defaultText(f);
  if (d !== undefined) extras.push(`default ${d}`);
  if (f.repeatable) extras.push('repeatable');
  if (extras.length) head += `   (${extras.join('; ')})`;
  const lines = [head, wrap(f.help, '        ')];
  if (f.exampleLine) lines.push(`        e.g. ${f.exampleLine}`);
  if (f.aliases.length) {
    const names = f.aliases.map((a) => `--${a.name}${a.deprecated ? ' (deprecated)' : ''}`).join(', ');
    lines.push(wrap(`gor alias: ${names}`, '        '));
  }
  return lines.join('\n');
}

export function helpText(version?: string): string {
  const parts: string[] = [];
  parts.push(
    `traffic-duplicator${version ? ` ${version}` : ''}: owns your app's public port, relays every connection to the app untouched,
and mirrors copies of the requests to shadow deployments, .gor files or middleware. Speaks GoReplay's flags.

Usage:
  traffic-duplicator [flags] -- APP COMMAND...                  wrap: run the app behind us on $PORT
  traffic-duplicator [flags] --upstream ADDR [--listen ADDR]     sidecar: relay to an app that is running
  traffic-duplicator [flags] --input-file FILE.gor               replay: send a capture to the outputs
  start-traffic-duplicator APP COMMAND...                       wrap, flags from the options file only

On Heroku:
  # Procfile
  web: start-traffic-duplicator bundle exec rails s -p $PORT
  # config/gor.options   (shell quoting and $VARS work; # starts a comment to the end of the line)
  --output-http 'https://my-downstream-app.herokuapp.com'
  --output-http-header 'Host: my-downstream-app.herokuapp.com'

Flags are read from the options file first, then from the command line: the command line wins
for single-value flags, repeatable flags add up. Write -flag or --flag, the value after a space
or =; booleans are --flag or --flag=false. Sizes: 1048576, 512kb, 5mb, 1gb (1024-based).
Durations: 100ms, 5s, 1m30s, 2h.

Environment:
  PORT                              the public port in wrap mode (and sidecar without --listen)
  TRAFFIC_DUPLICATOR_OPTIONS_FILE   options file to read instead of config/gor.options
  TRAFFIC_DUPLICATOR_ENABLED        false, 0, no or off: the kill switch. Wrap mode runs the command
                                    unchanged on $PORT (no relay); sidecar mode relays, mirrors nothing
  TRAFFIC_DUPLICATOR_ADMIN_TOKEN    admin token, 16+ chars: needed by --admin-path, guards --admin-listen`,
  );
  for (const g of GROUPS) {
    const flags = FLAGS.filter((f) => f.group === g.id);
    if (flags.length === 0) continue;
    parts.push(`${g.title}:\n${flags.map(flagEntry).join('\n')}`);
  }
  parts.push(
    [
      'Tools (NATS JetStream log <-> .gor files, the fleet comparison report; each has --help):',
      '  traffic-duplicator nats-export --nats URL [--stream traffic] [--start all|SEQ|TIME|AGO] [--end SEQ] FILE.gor',
      '  traffic-duplicator nats-import --nats URL [--stream traffic] [--subject traffic.import] [--create] FILE...',
      '  traffic-duplicator report --input-nats URL [--input-nats-stream traffic] [--compare-report FILE.json|.html]',
    ].join('\n'),
  );
  const unsupported = UNSUPPORTED.flatMap((u) => u.names.map((n) => `--${n}`)).join(', ');
  parts.push(
    `Not supported (GoReplay flags; using one explains why and what to use instead):\n${wrap(`${unsupported}, s3:// paths.`, '  ')}`,
  );
  return `${parts.join('\n\n')}\n`;
}
