import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ValueError,
  formatDuration,
  formatSize,
  parseDuration,
  parseHttpOutput,
  parseInputFile,
  parseListen,
  parseSize,
  parseUpstream,
} from '../../src/config/values.js';

test("sizes: gor's syntax (plain bytes, kb/mb/gb/tb, any case, 1024-based) plus k, MiB and decimals", () => {
  const cases: Array<[string, number]> = [
    ['1048576', 1048576],
    ['32mb', 32 * 1024 ** 2],
    ['32MB', 32 * 1024 ** 2],
    ['5MiB', 5 * 1024 ** 2],
    ['1k', 1024],
    ['512kb', 512 * 1024],
    ['1gb', 1024 ** 3],
    ['1TB', 1024 ** 4],
    ['1.5mb', 1.5 * 1024 ** 2],
    ['100b', 100],
    ['1_000', 1000],
  ];
  for (const [raw, n] of cases) assert.equal(parseSize(raw), n, raw);
  for (const bad of ['', 'mb', '5 apples', '-1mb', '5xb']) assert.throws(() => parseSize(bad), ValueError, bad);
  for (const n of [5 * 1024 ** 2, 1536, 1024 ** 4]) assert.equal(parseSize(formatSize(n)), n);
});

test('durations: Go syntax; a bare number other than 0 needs a unit', () => {
  const cases: Array<[string, number]> = [
    ['5s', 5000],
    ['100ms', 100],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['1.5s', 1500],
    ['0', 0],
    ['0s', 0],
    ['1h2m3s4ms', 3_723_004],
    ['500us', 1],
  ];
  for (const [raw, ms] of cases) assert.equal(parseDuration(raw), ms, raw);
  assert.throws(
    () => parseDuration('5'),
    (e: unknown) => e instanceof ValueError && /durations need a unit, e\.g\. 5s/.test(e.advice ?? ''),
  );
  for (const bad of ['5 s', 's', '5d', '-5s', '1m30', '']) assert.throws(() => parseDuration(bad), ValueError, bad);
  for (const ms of [90_000, 100, 7_200_000, 0]) assert.equal(parseDuration(formatDuration(ms)), ms);
});

test("--output-http values: URL, URL|N per second, URL|N% sampling, gor's bare host", () => {
  assert.deepEqual(parseHttpOutput('https://shadow.example.com'), { url: 'https://shadow.example.com/' });
  assert.deepEqual(parseHttpOutput('http://10.0.0.5:8080/prefix|10'), { url: 'http://10.0.0.5:8080/prefix', limit: { kind: 'per-second', n: 10 } });
  assert.deepEqual(parseHttpOutput('https://s.example|10%'), { url: 'https://s.example/', limit: { kind: 'percent', n: 10 } });
  assert.deepEqual(parseHttpOutput('staging.com'), { url: 'http://staging.com/' });
  // gor accepts |0% and sends nothing: the way people switch a destination off (issue 8).
  assert.deepEqual(parseHttpOutput('https://s.example|0%'), { url: 'https://s.example/', limit: { kind: 'percent', n: 0 } });
  for (const bad of ['', 'ftp://x.example', 'https://', 'https://x|ten', 'https://x|0', 'https://x|150%', 'https://x|10%%', 'http://[bad']) {
    assert.throws(() => parseHttpOutput(bad), ValueError, bad);
  }
});

test("--input-file values: 'file.gor|200%' is the replay speed", () => {
  assert.deepEqual(parseInputFile('requests.gor'), { pattern: 'requests.gor', speedPercent: 100 });
  assert.deepEqual(parseInputFile('logs/*.gor|200%'), { pattern: 'logs/*.gor', speedPercent: 200 });
  assert.throws(() => parseInputFile('requests.gor|10'), /not a replay speed/);
});

test('--listen and --upstream addresses', () => {
  assert.deepEqual(parseListen(':8080'), { host: '::', port: 8080 });
  assert.deepEqual(parseListen('8080'), { host: '::', port: 8080 });
  assert.deepEqual(parseListen('127.0.0.1:8080'), { host: '127.0.0.1', port: 8080 });
  assert.deepEqual(parseListen('[::1]:8080'), { host: '::1', port: 8080 });
  for (const bad of ['localhost', ':99999', '::1:80', ':']) assert.throws(() => parseListen(bad), ValueError, bad);

  assert.deepEqual(parseUpstream('http://127.0.0.1:3000'), { kind: 'tcp', host: '127.0.0.1', port: 3000 });
  assert.deepEqual(parseUpstream('127.0.0.1:3000'), { kind: 'tcp', host: '127.0.0.1', port: 3000 });
  assert.deepEqual(parseUpstream('http://[::1]:3000'), { kind: 'tcp', host: '::1', port: 3000 });
  assert.deepEqual(parseUpstream('3000'), { kind: 'tcp', host: '127.0.0.1', port: 3000 });
  assert.deepEqual(parseUpstream('unix:/run/app.sock'), { kind: 'unix', path: '/run/app.sock' });
  assert.throws(() => parseUpstream('https://127.0.0.1:3000'), /cannot speak TLS/);
  assert.throws(() => parseUpstream('http://127.0.0.1:3000/api'), /has a path/);
  assert.throws(() => parseUpstream('app'), ValueError);
});
