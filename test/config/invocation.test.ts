import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInvocation, parseStartInvocation, formatUsageError, type Config, type Invocation } from '../../src/config/index.js';
import { UsageError, type UsageErrorCode } from '../../src/core/errors.js';

const README_OPTIONS = `--output-http 'https://my-downstream-app.herokuapp.com'
--output-http-header 'Host: my-downstream-app.herokuapp.com'
`;

/** A fake file system rooted at /app. */
function fs(files: Record<string, string>) {
  return { cwd: '/app', readFile: (p: string) => files[p] };
}
const noFiles = fs({});

function config(inv: Invocation): Config {
  assert.equal(inv.kind, 'run');
  return (inv as { kind: 'run'; config: Config }).config;
}
function run(argv: string[], env: NodeJS.ProcessEnv = { PORT: '5000' }, deps = noFiles): Config {
  return config(parseInvocation(argv, env, deps));
}
/** The config of one mode, by type: fails unless `cfg` is in `mode`. */
function inMode<M extends Config['mode']>(cfg: Config, mode: M): Extract<Config, { mode: M }> {
  assert.equal(cfg.mode, mode);
  return cfg as Extract<Config, { mode: M }>;
}
function usageError(fn: () => unknown, code: UsageErrorCode, message: RegExp, hint?: RegExp): UsageError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof UsageError, `expected a UsageError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.match(caught.message, message);
  if (hint) assert.match(caught.hint ?? '', hint);
  return caught;
}

test('the README example: Procfile + config/gor.options', () => {
  const cfg = inMode(config(parseStartInvocation(['bundle', 'exec', 'rails', 's', '-p', '5000'], { PORT: '5000' }, fs({ '/app/config/gor.options': README_OPTIONS }))), 'wrap');
  assert.equal(cfg.enabled, true);
  assert.deepEqual(cfg.command, ['bundle', 'exec', 'rails', 's', '-p', '5000']);
  assert.equal(cfg.listen.port, 5000);
  assert.deepEqual(cfg.listen, { host: '::', port: 5000 });
  assert.deepEqual(cfg.httpOutputs, [{ url: 'https://my-downstream-app.herokuapp.com/' }]);
  assert.deepEqual(cfg.modifierFlags, [
    { flag: 'http-set-header', value: 'Host: my-downstream-app.herokuapp.com', source: 'config/gor.options:2', given: '--output-http-header' },
  ]);
  assert.deepEqual(cfg.sources, ['config/gor.options']);
  assert.deepEqual(cfg.notes, [], 'no deprecation note for --output-http-header');
  // defaults from the flag table
  assert.deepEqual(cfg.outputHttp, { queueLen: 1000, workers: 64, timeoutMs: 5000, skipVerify: false, trackResponses: false, maxQueueBytes: 16 * 1024 ** 2, responseBufferBytes: 100 * 1024 });
  assert.equal(cfg.copyBufferBytes, 5 * 1024 ** 2);
  assert.equal(cfg.statsIntervalMs, 60_000);
  assert.equal(cfg.shutdownGraceMs, 25_000);
  assert.equal(cfg.outputFile.flushIntervalMs, 1000);
  assert.equal(cfg.outputFile.sizeLimitBytes, 32 * 1024 ** 2);
});

test('$VAR in the options file comes from the environment', () => {
  const deps = fs({ '/app/config/gor.options': '--output-http "$SHADOW_URL|25%"\n' });
  const cfg = config(parseStartInvocation(['rails', 's'], { PORT: '5000', SHADOW_URL: 'https://shadow.example' }, deps));
  assert.deepEqual(cfg.httpOutputs, [{ url: 'https://shadow.example/', limit: { kind: 'percent', n: 25 } }]);
  // unset: the error says which variable is missing
  usageError(() => parseStartInvocation(['rails', 's'], { PORT: '5000' }, deps), 'TD_BAD_VALUE', /^config\/gor\.options:1: --output-http: /, /\$SHADOW_URL is not set/);
  usageError(
    () => parseStartInvocation(['rails'], { PORT: '5000' }, fs({ '/app/config/gor.options': '--output-http $SHADOW_URL\n' })),
    'TD_MISSING_VALUE',
    /^config\/gor\.options:1: --output-http needs a value/,
    /\$SHADOW_URL is not set/,
  );
});

test('Go flag forms: -flag v, --flag v, -flag=v, --flag=v; booleans bare or =true|false', () => {
  for (const argv of [['-output-http-queue-len', '7'], ['--output-http-queue-len', '7'], ['-output-http-queue-len=7'], ['--output-http-queue-len=7']]) {
    assert.equal(run([...argv, '--', 'app']).outputHttp.queueLen, 7, argv.join(' '));
  }
  assert.equal(run(['--split-output', '--', 'app']).splitOutput, true);
  assert.equal(run(['-split-output=true', '--', 'app']).splitOutput, true);
  assert.equal(run(['--split-output=false', '--', 'app']).splitOutput, false);
  usageError(() => run(['--split-output', 'true', '--', 'app']), 'TD_BAD_USAGE', /unexpected word "true"/, /--split-output=true/);
  usageError(() => run(['--split-output=maybe', '--', 'app']), 'TD_BAD_VALUE', /command line: --split-output=?: "maybe" is not a boolean/, /--split-output=false/);
  // --verbose alone, or with a level
  assert.equal(run(['--verbose', '--', 'app']).verbose, 1);
  assert.equal(run(['--verbose', '2', '--', 'app']).verbose, 2);
  assert.equal(run(['--verbose=3', '--', 'app']).verbose, 3);
  // gor's debug switches turn on the same per-copy debug lines, with a deprecation note.
  for (const flag of ['--debug', '--output-http-debug']) {
    const cfg = run([flag, '--', 'app']);
    assert.equal(cfg.verbose, 1, flag);
    assert.match(cfg.notes.join('\n'), new RegExp(`${flag} is deprecated; use --verbose`));
  }
});

test('sizes and durations through flags', () => {
  const cfg = run(['--copy-buffer-size', '1MiB', '--output-http-timeout=1m30s', '--output-file-size-limit', '1gb', '--shutdown-grace', '10s', '--exit-after', '2h', '--', 'app']);
  assert.equal(cfg.copyBufferBytes, 1024 ** 2);
  assert.equal(cfg.outputHttp.timeoutMs, 90_000);
  assert.equal(cfg.outputFile.sizeLimitBytes, 1024 ** 3);
  assert.equal(cfg.shutdownGraceMs, 10_000);
  assert.equal(cfg.exitAfterMs, 7_200_000);
  usageError(() => run(['--output-http-timeout', '30', '--', 'app']), 'TD_BAD_VALUE', /command line: --output-http-timeout: "30" has no unit/, /durations need a unit, e\.g\. 30s/);
  usageError(() => run(['--copy-buffer-size', 'lots', '--', 'app']), 'TD_BAD_VALUE', /--copy-buffer-size: "lots" is not a size/, /e\.g\. 32mb/);
});

test('precedence: the options file first, then argv; argv wins for single values, repeatables add up', () => {
  const deps = fs({ '/app/config/gor.options': "--output-http-timeout 10s\n--output-http https://a.example\n--http-set-header 'X-A: 1'\n" });
  const cfg = run(['--output-http-timeout', '2s', '--output-http', 'https://b.example', '--http-set-header', 'X-B: 2', '--', 'app'], { PORT: '1' }, deps);
  assert.equal(cfg.outputHttp.timeoutMs, 2000);
  assert.deepEqual(cfg.httpOutputs.map((o) => o.url), ['https://a.example/', 'https://b.example/']);
  assert.deepEqual(cfg.modifierFlags.map((m) => [m.value, m.source]), [['X-A: 1', 'config/gor.options:3'], ['X-B: 2', 'command line']]);
});

test('options file location: default (missing is fine), env, --options-file (missing is an error)', () => {
  const deps = fs({ '/app/shadow.options': '--output-http https://s.example\n', '/app/config/gor.options': '--output-null\n' });
  assert.deepEqual(run(['--', 'app'], { PORT: '1' }, noFiles).sources, []);
  assert.deepEqual(run(['--', 'app'], { PORT: '1' }, deps).sources, ['config/gor.options']);
  assert.deepEqual(run(['--', 'app'], { PORT: '1', TRAFFIC_DUPLICATOR_OPTIONS_FILE: 'shadow.options' }, deps).sources, ['shadow.options']);
  assert.deepEqual(run(['--options-file', 'shadow.options', '--', 'app'], { PORT: '1', TRAFFIC_DUPLICATOR_OPTIONS_FILE: 'nope' }, deps).sources, ['shadow.options']);
  usageError(() => run(['--options-file', 'missing.options', '--', 'app'], { PORT: '1' }, deps), 'TD_OPTIONS_FILE', /missing\.options \(from --options-file\) does not exist/);
  usageError(() => run(['--', 'app'], { PORT: '1', TRAFFIC_DUPLICATOR_OPTIONS_FILE: 'gone' }, deps), 'TD_OPTIONS_FILE', /gone \(from TRAFFIC_DUPLICATOR_OPTIONS_FILE\) does not exist/);
  usageError(() => run(['--', 'app'], { PORT: '1' }, fs({ '/app/config/gor.options': '--options-file x\n' })), 'TD_BAD_USAGE', /config\/gor\.options:1: --options-file only works on the command line/);
});

test('deprecated gor aliases map to the canonical flag, with a note (except --output-http-header)', () => {
  const cfg = run(['--output-http-method', 'GET', '--output-http-url-regexp', '^/api', '--output-http-rewrite-url', '/a:/b', '--output-http-header-filter', 'X:1', '--output-http-header-hash-filter', 'u:5%', '--output-http-header', 'H: 1', '--output-dummy', '--output-http-stats', '--', 'app']);
  assert.deepEqual(cfg.modifierFlags.map((m) => [m.flag, m.given]), [
    ['http-allow-method', '--output-http-method'],
    ['http-allow-url', '--output-http-url-regexp'],
    ['http-rewrite-url', '--output-http-rewrite-url'],
    ['http-allow-header', '--output-http-header-filter'],
    ['http-header-limiter', '--output-http-header-hash-filter'],
    ['http-set-header', '--output-http-header'],
  ]);
  assert.equal(cfg.outputStdout, true);
  assert.equal(cfg.statsIntervalMs, 5000, '--output-http-stats is --stats');
  assert.equal(cfg.notes.length, 6);
  assert.ok(cfg.notes.every((n) => /^command line: --[\w-]+ is deprecated; use --[\w-]+$/.test(n)));
  assert.ok(!cfg.notes.some((n) => n.includes('--output-http-header ')));
});

test('accepted-but-ignored gor flags are recorded once each with why; --stats and --stats-interval', () => {
  const cfg = run(['--input-http', ':8080', '--output-http-redirects', '2', '--input-http', ':9090', '--', 'app']);
  assert.deepEqual(
    cfg.ignoredFlags.map((i) => [i.flag, i.source]),
    [
      ['--input-http', 'command line'],
      ['--output-http-redirects', 'command line'],
    ],
  );
  assert.match(cfg.ignoredFlags[1]!.why, /never follow redirects/);
  assert.deepEqual(run(['--', 'app']).ignoredFlags, [], 'nothing is noted for flags that were not given');
  assert.equal(run(['--stats', '--', 'app']).statsIntervalMs, 5000);
  assert.equal(run(['--stats-interval', '10s', '--stats', '--', 'app']).statsIntervalMs, 10_000);
  assert.equal(run(['--stats', '--stats-interval', '10s', '--', 'app']).statsIntervalMs, 10_000);
});

test('unsupported gor flags say why and what to use instead', () => {
  const cases: Array<[string[], RegExp, RegExp]> = [
    [['--input-raw', ':80'], /--input-raw is a GoReplay flag .*raw capture needs root and libpcap/, /every request that reaches \$PORT/],
    [['--input-raw-track-response'], /--input-raw-track-response is a GoReplay flag/, /./],
    [['--input-tcp', ':28020'], /--input-tcp is a GoReplay flag/, /--output-http/],
    [['--output-kafka-host', 'k:9092'], /Kafka/, /--middleware/],
    [['--recognize-tcp-sessions'], /PRO/, /remove it/],
    [['--output-http-elasticsearch', 'es:9200/x'], /Elasticsearch/, /--stats/],
    [['--prettify-http'], /chunked/, /--output-stdout/],
    [['--output-binary', 'x:80'], /binary/, /--output-http/],
  ];
  for (const [argv, message, hint] of cases) usageError(() => run([...argv, '--', 'app']), 'TD_UNSUPPORTED_FLAG', message, hint);
  usageError(() => run(['--output-file', 's3://bucket/%Y.gz', '--', 'app']), 'TD_UNSUPPORTED_FLAG', /command line: --output-file: S3 is not supported/, /local path/);
  usageError(() => run(['--input-file', 's3://bucket/x.gor', '--output-stdout']), 'TD_UNSUPPORTED_FLAG', /--input-file: S3/);
});

test('unknown flags suggest the nearest known one, only when close', () => {
  usageError(() => run(['--ouput-http', 'x', '--', 'app']), 'TD_UNKNOWN_FLAG', /^command line: unknown flag --ouput-http$/, /did you mean --output-http\?/);
  usageError(() => run(['--output-http-timout', '5s', '--', 'app']), 'TD_UNKNOWN_FLAG', /--output-http-timout/, /did you mean --output-http-timeout\?/);
  usageError(() => run(['--http-allow-mehtod', 'GET', '--', 'app']), 'TD_UNKNOWN_FLAG', /./, /did you mean --http-allow-method\?/);
  const far = usageError(() => run(['--frobnicate', '--', 'app']), 'TD_UNKNOWN_FLAG', /--frobnicate/);
  assert.doesNotMatch(far.hint ?? '', /did you mean/);
});

test('every bad input names the flag and its source (file:line or command line)', () => {
  const file = (text: string) => () => run(['--', 'app'], { PORT: '1' }, fs({ '/app/config/gor.options': text }));
  usageError(file('\n\n--output-http ftp://x'), 'TD_BAD_VALUE', /^config\/gor\.options:3: --output-http: "ftp:\/\/x" is not an http or https URL/, /e\.g\. /);
  usageError(file("--output-http 'https://x|ten'"), 'TD_BAD_VALUE', /^config\/gor\.options:1: --output-http: "\|ten" is not a limit/, /'URL\|10%'/);
  usageError(file('--output-http-queue-len lots'), 'TD_BAD_VALUE', /^config\/gor\.options:1: --output-http-queue-len: "lots" is not a whole number/, /e\.g\. 1000/);
  usageError(file('--stats\n--output-http'), 'TD_MISSING_VALUE', /^config\/gor\.options:2: --output-http needs a value/, /e\.g\. --output-http /);
  usageError(file('--output-http --stats'), 'TD_MISSING_VALUE', /^config\/gor\.options:1: --output-http needs a value .*next word is the flag --stats/);
  usageError(file('--listen nowhere'), 'TD_BAD_VALUE', /^config\/gor\.options:1: --listen: /, /':8080'/);
  usageError(file('--input-raw :80'), 'TD_UNSUPPORTED_FLAG', /^config\/gor\.options:1: --input-raw /);
  usageError(file('\n--ouput-http x'), 'TD_UNKNOWN_FLAG', /^config\/gor\.options:2: unknown flag --ouput-http/);
  usageError(file("--output-http-header Host: x.example"), 'TD_BAD_USAGE', /^config\/gor\.options:1: unexpected word "x\.example"/, /quote the whole value/);
  usageError(file('output-http https://x'), 'TD_BAD_USAGE', /unexpected word "output-http"/, /did you mean --output-http\?/);
  usageError(file("--output-http 'https://x"), 'TD_OPTIONS_FILE', /^config\/gor\.options:1: unterminated single quote/);
  usageError(() => run(['--output-http'], { PORT: '1' }), 'TD_MISSING_VALUE', /^command line: --output-http needs a value/);
  usageError(() => run(['--output-http', '--', 'app'], { PORT: '1' }), 'TD_MISSING_VALUE', /^command line: --output-http needs a value/);
  usageError(() => run(['--upstream', 'https://127.0.0.1:3000', '--listen', ':80']), 'TD_BAD_VALUE', /^command line: --upstream: /);
  usageError(() => run(['--output-http-timeout', '0', '--', 'app']), 'TD_BAD_VALUE', /^command line: --output-http-timeout: 0 would fail/);
});

test('modes: wrap, sidecar, replay, and what is missing', () => {
  assert.equal(run(['--', 'app']).mode, 'wrap');
  const side = inMode(run(['--upstream', 'http://127.0.0.1:3000', '--listen', '127.0.0.1:8080', '--output-null'], {}), 'sidecar');
  assert.deepEqual(side.upstream, { kind: 'tcp', host: '127.0.0.1', port: 3000 });
  assert.deepEqual(side.listen, { host: '127.0.0.1', port: 8080 });
  assert.deepEqual(inMode(run(['--upstream', '3000'], { PORT: '8080' }), 'sidecar').listen, { host: '::', port: 8080 });
  const replay = inMode(run(['--input-file', 'requests.gor|200%', '--output-http', 'https://s.example'], {}), 'replay');
  assert.deepEqual(replay.inputFiles, [{ pattern: 'requests.gor', speedPercent: 200 }]);
  assert.equal('listen' in replay ? replay.listen : undefined, undefined);
  // --listen instead of PORT in wrap mode
  assert.deepEqual(inMode(run(['--listen', ':9000', '--', 'app'], {}), 'wrap').listen, { host: '::', port: 9000 });

  usageError(() => run(['--input-file', 'x.gor'], {}), 'TD_BAD_USAGE', /needs somewhere to send/, /--output-http/);
  usageError(() => run([], {}), 'TD_BAD_USAGE', /nothing to do/, /-- bundle exec rails s/);
  usageError(() => run(['--listen', ':80'], {}), 'TD_BAD_USAGE', /--listen needs an app/, /--upstream/);
  usageError(() => run(['--upstream', '3000', '--', 'app']), 'TD_BAD_USAGE', /--upstream and an app command/);
  usageError(() => run(['--']), 'TD_BAD_USAGE', /nothing after --/);
  usageError(() => run(['rails', 's']), 'TD_BAD_USAGE', /unexpected word "rails"/, /after --/);
});

test('missing or bad PORT in wrap mode', () => {
  usageError(() => run(['--', 'app'], {}), 'TD_MISSING_PORT', /PORT is not set/, /--listen :8080/);
  usageError(() => config(parseStartInvocation(['app'], {}, noFiles)), 'TD_MISSING_PORT', /PORT/);
  usageError(() => run(['--', 'app'], { PORT: 'eighty' }), 'TD_BAD_VALUE', /PORT="eighty" is not a port/);
});

test('kill switch: TRAFFIC_DUPLICATOR_ENABLED=false|0|no|off', () => {
  for (const v of ['false', '0', 'no', 'OFF']) assert.equal(run(['--', 'app'], { PORT: '1', TRAFFIC_DUPLICATOR_ENABLED: v }).enabled, false, v);
  for (const v of ['true', '1', 'yes', 'on', '']) assert.equal(run(['--', 'app'], { PORT: '1', TRAFFIC_DUPLICATOR_ENABLED: v }).enabled, true, v);
  usageError(() => run(['--', 'app'], { PORT: '1', TRAFFIC_DUPLICATOR_ENABLED: 'maybe' }), 'TD_BAD_VALUE', /TRAFFIC_DUPLICATOR_ENABLED="maybe"/);
  // a broken options file does not stop the app from starting while mirroring is off
  const cfg = config(parseStartInvocation(['app'], { PORT: '1', TRAFFIC_DUPLICATOR_ENABLED: 'off' }, fs({ '/app/config/gor.options': '--input-raw :80\n' })));
  assert.equal(cfg.enabled, false);
  assert.equal(cfg.mode, 'passthrough', 'the kill switch runs the app command as given');
  assert.match(cfg.notes.join('\n'), /mirroring is off/);
  assert.match(cfg.notes.join('\n'), /options file not used.*--input-raw/);
});

test('start-traffic-duplicator: all argv is the app command, flags come from the file only', () => {
  const deps = fs({ '/app/config/gor.options': '--output-http https://s.example\n' });
  const cfg = inMode(config(parseStartInvocation(['bin/server', '--output-http', 'https://not-a-flag.example', '--', '-x'], { PORT: '5000' }, deps)), 'wrap');
  assert.deepEqual(cfg.command, ['bin/server', '--output-http', 'https://not-a-flag.example', '--', '-x']);
  assert.deepEqual(cfg.httpOutputs.map((o) => o.url), ['https://s.example/']);
  usageError(() => parseStartInvocation([], { PORT: '1' }, deps), 'TD_BAD_USAGE', /needs the command/, /Procfile/);
  assert.equal(parseStartInvocation(['--help'], {}, deps).kind, 'help');
});

test('--help and --version answer even when the rest is broken', () => {
  assert.equal(parseInvocation(['--input-raw', ':80', '--help'], {}).kind, 'help');
  assert.equal(parseInvocation(['-h'], {}).kind, 'help');
  assert.equal(parseInvocation(['--version'], {}).kind, 'version');
  // but not when it is a value or part of the app command
  assert.equal(config(parseInvocation(['--middleware=-h', '--', 'app', '--help'], { PORT: '1' }, noFiles)).middleware, '-h');
});

test('formatUsageError prints error, hint and where to look', () => {
  const err = new UsageError('TD_BAD_VALUE', 'config/gor.options:3: --output-http: "ftp://x" is not an http or https URL', "e.g. 'https://shadow.example.com'");
  assert.equal(
    formatUsageError(err),
    `traffic-duplicator: error: config/gor.options:3: --output-http: "ftp://x" is not an http or https URL\n  hint: e.g. 'https://shadow.example.com'\n  see: traffic-duplicator --help`,
  );
});
