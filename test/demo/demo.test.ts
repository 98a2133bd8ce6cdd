// `npm start`: runs the demo (examples/demo/demo.ts, with tsx, as `npm start` does) and checks
// its exit status, the key lines of its summary, and that nothing it started outlives it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DEMO = path.join(ROOT, 'examples/demo/demo.ts');
const CLI = path.join(ROOT, 'dist/cli/main.js');

/** Builds (tsc) if the CLI the demo drives is missing or older than its sources. */
function ensureBuilt(): void {
  const newest = (dir: string): number =>
    Math.max(0, ...readdirSync(dir).map((f) => {
      const p = path.join(dir, f);
      return statSync(p).isDirectory() ? newest(p) : statSync(p).mtimeMs;
    }));
  if (existsSync(CLI) && statSync(CLI).mtimeMs >= newest(path.join(ROOT, 'src'))) return;
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `npm run build failed:\n${r.stdout}${r.stderr}`);
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the demo; `interruptWhen` sends SIGINT once stdout matches it. */
function runDemo(opts: { interruptWhen?: RegExp; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', DEMO], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (opts.interruptWhen && !interrupted && opts.interruptWhen.test(stdout)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function appPid(stdout: string): number {
  const m = /demo-app listening on \S+ \(pid (\d+)\)/.exec(stdout);
  assert.ok(m, `the app's start line is missing:\n${stdout}`);
  return Number(m[1]);
}

async function assertGone(pid: number): Promise<void> {
  for (let i = 0; i < 20 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(alive(pid), false, `the demo app (pid ${pid}) outlived the demo`);
}

test('npm start: the demo runs end to end, exits 0, and explains what happened', { timeout: 180_000 }, async () => {
  ensureBuilt();
  const started = Date.now();
  const r = await runDemo();
  const out = r.stdout;
  const why = `\n--- stdout ---\n${out}\n--- stderr ---\n${r.stderr}`;
  assert.equal(r.code, 0, `exit ${r.code ?? r.signal}${why}`);
  assert.ok(Date.now() - started < 30_000, `the demo took ${Date.now() - started} ms${why}`);

  // Progress: the real CLI in wrapper mode, with the bundled app behind it.
  assert.match(out, /PORT=\d+ node dist\/cli\/main\.js --listen 127\.0\.0\.1:\d+ --output-http http:\/\/127\.0\.0\.1:\d+/, why);
  assert.match(out, /-- node examples\/demo-app\/app\.mjs/, why);
  // Pasteable: the rate-limited destination is quoted, not a shell pipe.
  assert.match(out, /--output-http 'http:\/\/127\.0\.0\.1:\d+\|20'/, why);
  assert.match(out, /duplicator │ at=listening port=\d+ address=127\.0\.0\.1/, why);
  // Stats lines carry deltas per interval, so the 85 may be split over several lines.
  assert.match(out, /stats {6}│ at=stats dest=tap count#seen=\d+ /, why);

  // The summary's key lines.
  assert.match(out, /Client sent {7}85 requests: 80 GET, 3 chunked POST \/orders, 2 POST \/uploads \(1 MB \+ 6 MB\)/, why);
  assert.match(out, /Your app {10}answered 85\/85 as expected/, why);
  assert.match(out, /85\/85 answers identical to asking the app directly/, why);
  assert.match(out, /5\/5 request bodies reached the app intact/, why);
  assert.match(out, /Shadow healthy {4}received 84 of 85: every request but the 6 MB upload; \d+ distinct paths; 4 bodies sha256-verified ✓/, why);
  assert.match(out, /stats: mirrored 84, dropped none, errors none/, why);
  assert.match(out, /Shadow slow {7}received \d+ of 85, all intact/, why);
  // How many copies the slow shadow loses depends on the machine's speed; that it is
  // accounted for is what matters.
  assert.match(out, /stats: mirrored \d+, dropped \d+ rate_limited/, why);
  assert.match(out, /rate_limited: '.*\|20' lets at most 20 copies a second through/, why);
  assert.match(out, /Before fan-out {4}dest=tap: dropped 1 body_too_large/, why);
  assert.match(out, /^Result: OK/m, why);
  assert.doesNotMatch(out, /✗/, why);
  assert.match(out, /web: start-traffic-duplicator /, why);
  assert.match(out, /node dist\/cli\/main\.js --help/, why);
  assert.doesNotMatch(out, /npx traffic-duplicator/, 'not published: npx would not find it');

  await assertGone(appPid(out));
});

test('npm start: Ctrl-C mid-run stops the duplicator and the app, exit 130', { timeout: 180_000 }, async () => {
  ensureBuilt();
  const r = await runDemo({ interruptWhen: /at=listening/ });
  const why = `\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
  assert.equal(r.code, 130, `exit ${r.code ?? r.signal}${why}`);
  assert.match(r.stdout, /SIGINT: stopping the duplicator, the app and the shadows/, why);
  assert.doesNotMatch(r.stdout, /The demo failed/, why);
  await assertGone(appPid(r.stdout));
});
