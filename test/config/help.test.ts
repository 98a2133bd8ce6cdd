import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FLAGS, GROUPS, helpText, parseInvocation } from '../../src/config/index.js';
import { MODIFIER_FLAG_NAMES } from '../../src/core/modifier-flag.js';
import { defaultText } from '../../src/config/help.js';
import { UNSUPPORTED, findUnsupported } from '../../src/config/unsupported.js';
import { FLAG_BY_NAME } from '../../src/config/flags.js';

const help = helpText();

test('help lists every flag of the table with its value type, default and aliases', () => {
  for (const f of FLAGS) {
    const head = new RegExp(`^  (-h, )?--${f.name}${f.isBool ? '' : ` ${f.metavar.replace(/[[\]|]/g, '\\$&')}`}(\\s|$)`, 'm');
    assert.match(help, head, `--${f.name} missing from --help`);
    const d = defaultText(f);
    if (d !== undefined) assert.ok(help.includes(`--${f.name}`) && new RegExp(`--${f.name}\\b[^\\n]*\\(default ${d.replace(/[$]/g, '\\$')}`).test(help), `--${f.name} default ${d}`);
    for (const a of f.aliases) assert.ok(help.includes(`--${a.name}`), `alias --${a.name}`);
    assert.ok(f.help.length > 10, `--${f.name} has help`);
  }
});

test('every default in the table parses with the flag\'s own parser (no drift between help and behaviour)', () => {
  for (const f of FLAGS) if (f.default !== undefined) assert.doesNotThrow(() => f.parse(f.default!), `--${f.name} default ${f.default}`);
});

test('help shows the groups, the three modes, the Procfile example and the environment', () => {
  for (const g of GROUPS) assert.ok(help.includes(`${g.title}:`), g.title);
  for (const s of ['-- APP COMMAND', '--upstream ADDR', '--input-file FILE.gor', 'web: start-traffic-duplicator bundle exec rails s -p $PORT', "--output-http-header 'Host: my-downstream-app.herokuapp.com'"]) {
    assert.ok(help.includes(s), s);
  }
  for (const env of ['PORT', 'TRAFFIC_DUPLICATOR_OPTIONS_FILE', 'TRAFFIC_DUPLICATOR_ENABLED']) assert.match(help, new RegExp(`^  ${env}\\s`, 'm'));
  // The kill switch runs the command directly on $PORT in wrap mode: not "relaying only".
  assert.match(help.replace(/\s+/g, ' '), /TRAFFIC_DUPLICATOR_ENABLED false, 0, no or off: the kill switch\. Wrap mode runs the command unchanged on \$PORT \(no relay\)/);
  for (const u of UNSUPPORTED) for (const n of u.names) assert.ok(help.includes(`--${n}`), n);
  assert.ok(help.split('\n').every((l) => l.length <= 110), 'lines fit a terminal');
});

test('--help returns the same text', () => {
  const inv = parseInvocation(['--help'], {});
  assert.equal(inv.kind, 'help');
  assert.equal(inv.kind === 'help' && inv.text, help);
});

test('the table: every modifier flag is there, repeatable; no name is both supported and unsupported', () => {
  for (const m of MODIFIER_FLAG_NAMES) {
    const f = FLAGS.find((x) => x.name === m);
    assert.ok(f && f.repeatable && f.group === 'modifiers', m);
  }
  for (const name of FLAG_BY_NAME.keys()) assert.equal(findUnsupported(name), undefined, name);
});
