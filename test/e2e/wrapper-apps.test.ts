/**
 * Issue #2 acceptance: the Procfile drop-in in front of three real apps (Ruby, Python,
 * Node) with two recording shadows. Every primary response must be byte-identical to the
 * app's direct answer; each shadow must get every request (up to the body cap) exactly
 * once, with method, path+query and body exactly as sent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startRecordingShadow, startProcess, waitForPort, freePort, eventually, sha256 } from '../helpers/net.js';
import { RawKeepAliveClient, rawRequest, rawChunkedRequest } from '../helpers/http-client.js';
import { startWrapper, APP_COMMANDS } from '../helpers/wrapper.js';

const KEEP_ALIVE_REQUESTS = 2000;
const CONNECTIONS = 4;

interface Sent {
  method: string;
  target: string;
  body: Buffer;
  raw: Buffer;
}

function workload(): Sent[][] {
  const perConn: Sent[][] = Array.from({ length: CONNECTIONS }, () => []);
  for (let i = 0; i < KEEP_ALIVE_REQUESTS; i++) {
    // Queries exactly as a browser sends them, odd ones included: no `?` may be added or lost.
    const target = i % 3 === 0 ? `/items/${i}` : `/items?i=${i}&q=a%20b&flag`;
    perConn[i % CONNECTIONS]!.push({ method: 'GET', target, body: Buffer.alloc(0), raw: rawRequest('GET', target) });
  }
  const posts: Array<[string, Buffer, boolean]> = [
    ['/upload?size=1k', randomBytes(1024), false],
    ['/upload?size=1m', randomBytes(1024 * 1024), false],
    ['/upload?size=6m', randomBytes(6 * 1024 * 1024), false],
    ['/upload?chunked=1', randomBytes(200_000), true],
  ];
  posts.forEach(([target, body, chunked], i) =>
    perConn[i % CONNECTIONS]!.push({
      method: 'POST',
      target,
      body,
      raw: chunked ? rawChunkedRequest(target, body, 7) : rawRequest('POST', target, body, ['Content-Type: application/octet-stream']),
    }),
  );
  return perConn;
}

/** For a failed count: which requests the shadow got that this test never sent, and how many it sent got twice. */
function receivedReport(received: ReadonlyArray<{ method: string; url: string }>, expected: readonly Sent[]): string {
  const want = new Map<string, number>();
  for (const r of expected) want.set(`${r.method} ${r.target}`, (want.get(`${r.method} ${r.target}`) ?? 0) + 1);
  const foreign: string[] = [];
  let extra = 0;
  for (const r of received) {
    const key = `${r.method} ${r.url}`;
    const left = want.get(key);
    if (left === undefined) foreign.push(key);
    else if (left === 0) extra++;
    else want.set(key, left - 1);
  }
  return ` (not sent by this test: ${foreign.length}, e.g. ${JSON.stringify(foreign.slice(0, 5))}; sent once, received again: ${extra})`;
}

/** A failed request, said with which side failed and what that side printed (an app's dying thread says why there). */
function explain(side: string, r: Sent, output: () => string): (err: Error) => never {
  return (err) => {
    throw new Error(`${side}: ${r.method} ${r.target}: ${err.message}\n--- its output:\n${output().slice(-4000)}`);
  };
}

function optionsFile(lines: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'td-opts-'));
  const file = path.join(dir, 'gor.options');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

async function runAgainstApp(app: keyof typeof APP_COMMANDS, extraOptions: string[], expectSixMegMirrored: boolean) {
  const shadows = [await startRecordingShadow(), await startRecordingShadow()];
  const directPort = await freePort();
  const [cmd, ...args] = APP_COMMANDS[app](directPort);
  const direct = startProcess(cmd!, args);
  let wrapper: Awaited<ReturnType<typeof startWrapper>> | undefined;
  try {
    await waitForPort(directPort);
    const opts = optionsFile([
      '# two shadows, as a user would write them',
      ...shadows.map((s) => `--output-http '${s.url}'`),
      '--stats-interval 1h  # only the final stats line',
      ...extraOptions,
    ]);
    wrapper = await startWrapper({ entry: 'start', args: (port) => APP_COMMANDS[app](port), env: { TRAFFIC_DUPLICATOR_OPTIONS_FILE: opts } });

    const perConn = workload();
    await Promise.all(
      perConn.map(async (requests) => {
        const viaDirect = await RawKeepAliveClient.connect(directPort);
        const viaProxy = await RawKeepAliveClient.connect(wrapper!.port);
        try {
          for (const r of requests) {
            const [a, b] = await Promise.all([
              viaDirect.request(r.raw).catch(explain(`${app} directly`, r, () => direct.output())),
              viaProxy.request(r.raw).catch(explain(`${app} through the proxy`, r, () => wrapper!.logs())),
            ]);
            assert.ok(b.equals(a), `${app}: response to ${r.method} ${r.target} differs through the proxy:\n${b.toString('latin1', 0, 300)}\nvs\n${a.toString('latin1', 0, 300)}`);
          }
        } finally {
          viaDirect.close();
          viaProxy.close();
        }
      }),
    );

    const all = perConn.flat();
    const expected = all.filter((r) => expectSixMegMirrored || r.body.length <= 5 * 1024 * 1024);
    for (const s of shadows) await eventually(() => s.received.length >= expected.length, 30_000, `${app}: shadow to receive ${expected.length}`);
    const code = (await wrapper.stop()).code;
    assert.equal(code, 0, wrapper.logs());

    for (const s of shadows) {
      assert.equal(s.received.length, expected.length, `${app}: each request exactly once${receivedReport(s.received, expected)}`);
      const got = new Map<string, string[]>();
      for (const r of s.received) got.set(`${r.method} ${r.url}`, [...(got.get(`${r.method} ${r.url}`) ?? []), r.bodySha]);
      for (const r of expected) {
        const shas = got.get(`${r.method} ${r.target}`);
        assert.ok(shas && shas.length > 0, `${app}: shadow missing ${r.method} ${r.target}`);
        assert.equal(shas.shift(), sha256(r.body), `${app}: body of ${r.method} ${r.target}`);
      }
      assert.ok(!s.received.some((r) => r.url.endsWith('?') && !r.url.includes('=')), 'no stray ? appended');
    }
    const tap = wrapper.stats().get('tap');
    assert.equal(tap?.get('dropped.body_too_large') ?? 0, expectSixMegMirrored ? 0 : 1, wrapper.logs());
    if (!expectSixMegMirrored) assert.match(wrapper.logs(), /reason=body_too_large|body_too_large/);
  } finally {
    wrapper?.proc.kill('SIGKILL');
    direct.kill('SIGKILL');
    await Promise.all(shadows.map((s) => s.close()));
  }
}

for (const app of ['ruby', 'python', 'node'] as const) {
  test(`${app} app behind start-traffic-duplicator: byte-identical answers, every request mirrored once to both shadows`, { timeout: 180_000 }, async () => {
    await runAgainstApp(app, [], false);
  });
}

test('raising --copy-buffer-size mirrors the 6 MB upload too', { timeout: 120_000 }, async () => {
  await runAgainstApp('node', ['--copy-buffer-size 8mb'], true);
});
