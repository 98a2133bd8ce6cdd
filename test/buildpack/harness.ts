// Harness for the buildpack tests, in the spirit of Heroku's own buildpack tests:
// copy a fixture app into a fresh BUILD_DIR, run bin/detect and bin/compile under a
// sanitised environment, then start the Procfile's web process the way a dyno does.
// Everything here is loopback-only, and every process started is tracked for cleanup.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRecordingShadow } from '../helpers/net.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The buildpack under test: the repo itself unless TD_BUILDPACK_DIR points elsewhere. */
export const BUILDPACK = process.env.TD_BUILDPACK_DIR ?? REPO;
export const FIXTURES = join(REPO, 'test', 'fixtures', 'apps');
export const NODE_VERSION = process.version.slice(1);
export const NODE_ARCH = process.arch === 'arm64' ? 'arm64' : 'x64';
export const NODE_TARBALL = `node-v${NODE_VERSION}-linux-${NODE_ARCH}.tar.xz`;

export function tempDir(root: string, name: string): string {
  mkdirSync(root, { recursive: true });
  return mkdtempSync(join(root, `${name}-`));
}

export function newRoot(): string {
  return mkdtempSync(join(tmpdir(), 'td-buildpack-'));
}

/**
 * A PATH directory with every tool of /usr/bin and /bin except Node's (node, npm, npx,
 * corepack), plus the real python3. It stands in for a stack image without Node.
 */
export function makeToolsDir(root: string): string {
  const dir = join(root, 'tools');
  mkdirSync(dir, { recursive: true });
  const skip = new Set(['node', 'nodejs', 'npm', 'npx', 'corepack']);
  for (const src of ['/usr/local/bin', '/usr/bin', '/bin']) {
    if (!existsSync(src)) continue;
    for (const name of readdirSync(src)) {
      if (skip.has(name) || existsSync(join(dir, name))) continue;
      try {
        symlinkSync(join(src, name), join(dir, name));
      } catch {
        // a name that appears in two dirs: first one wins
      }
    }
  }
  // python3 may be a pyenv shim; link the interpreter it resolves to.
  try {
    const py = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
    rmSync(join(dir, 'python3'), { force: true });
    symlinkSync(py, join(dir, 'python3'));
  } catch {
    // no python3: the python fixture test will say so
  }
  return dir;
}

/** A directory holding only a `node` link: PATH entry that simulates a Node already in the build. */
export function makeNodeOnPathDir(root: string): string {
  const dir = join(root, 'node-bin');
  mkdirSync(dir, { recursive: true });
  symlinkSync(process.execPath, join(dir, 'node'));
  return dir;
}

/**
 * Only the build machine's network trust and proxy settings pass through (this workplace
 * reaches the npm registry through a TLS proxy with its own CA); everything else is dropped.
 */
const NETWORK_VARS = ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'https_proxy', 'http_proxy', 'no_proxy'];

export function sanitisedEnv(toolsDir: string, home: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: toolsDir, HOME: home, STACK: 'heroku-24', LANG: 'C.UTF-8', TMPDIR: home };
  for (const name of NETWORK_VARS) {
    const v = process.env[name];
    if (v) env[name] = v;
  }
  return { ...env, ...extra };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command asynchronously (the in-process servers must keep answering meanwhile). */
export function run(
  cmd: string,
  args: string[],
  opts: { env: Record<string, string>; cwd?: string; timeoutMs?: number },
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 240_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}

export function copyFixture(name: string, root: string): string {
  const dir = tempDir(root, `build-${name}`);
  cpSync(join(FIXTURES, name), dir, { recursive: true });
  return dir;
}

export function writeGorOptions(buildDir: string, shadowPort: number): void {
  mkdirSync(join(buildDir, 'config'), { recursive: true });
  writeFileSync(
    join(buildDir, 'config', 'gor.options'),
    `--output-http 'http://127.0.0.1:${shadowPort}'\n--output-http-header 'Host: shadow.example.test'\n`,
  );
}

export function writeEnvDir(root: string, vars: Record<string, string>): string {
  const dir = tempDir(root, 'env');
  for (const [k, v] of Object.entries(vars)) writeFileSync(join(dir, k), v);
  return dir;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Builds node-v<ver>-linux-<arch>.tar.xz from this machine's Node, laid out like the
 * official tarball (node-vX-linux-ARCH/bin/node, bin/npm, lib/node_modules/npm, LICENSE).
 */
export async function makeNodeTarball(root: string): Promise<{ dir: string; file: string; sha256: string }> {
  const stage = tempDir(root, 'node-stage');
  const top = join(stage, `node-v${NODE_VERSION}-linux-${NODE_ARCH}`);
  const prefix = resolve(dirname(process.execPath), '..');
  mkdirSync(join(top, 'bin'), { recursive: true });
  mkdirSync(join(top, 'lib', 'node_modules'), { recursive: true });
  cpSync(process.execPath, join(top, 'bin', 'node'));
  const npmDir = join(prefix, 'lib', 'node_modules', 'npm');
  if (!existsSync(npmDir)) throw new Error(`this machine's Node has no npm at ${npmDir}`);
  cpSync(npmDir, join(top, 'lib', 'node_modules', 'npm'), { recursive: true });
  symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(top, 'bin', 'npm'));
  symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(top, 'bin', 'npx'));
  writeFileSync(join(top, 'LICENSE'), 'Test copy of the Node.js runtime of this machine.\n');
  const out = tempDir(root, 'dist');
  const file = join(out, NODE_TARBALL);
  const r = await run('bash', ['-c', 'set -o pipefail; tar -C "$1" -cf - "$2" | xz -0 -T0 > "$3"', '_', stage, `node-v${NODE_VERSION}-linux-${NODE_ARCH}`, file], {
    env: { PATH: '/usr/bin:/bin' },
  });
  if (r.code !== 0) throw new Error(`building the Node tarball failed: ${r.stderr}`);
  rmSync(stage, { recursive: true, force: true });
  return { dir: out, file, sha256: await sha256File(file) };
}

export interface DistServer {
  baseUrl: string;
  badBaseUrl: string;
  /** Serves any version: see startDistServer. */
  anyBaseUrl: string;
  requests: string[];
  close(): Promise<void>;
}

/**
 * A loopback stand-in for the Node download site: <base>/v<ver>/<tarball> and
 * <base>/v<ver>/SHASUMS256.txt. Under /bad the SHASUMS lists a wrong checksum; under /any
 * every version is served (the same test tarball) with a SHASUMS that matches it.
 */
export async function startDistServer(tarball: string, sha256: string): Promise<DistServer> {
  const requests: string[] = [];
  const wrong = createHash('sha256').update('not the tarball').digest('hex');
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    requests.push(url);
    const any = /^\/any\/v([^/]+)\/([^/]+)$/.exec(url);
    if (any) {
      // Any version: the test tarball under that version's name, and a SHASUMS256.txt that
      // vouches for it, so only a sum pinned in the buildpack can refuse it.
      const [, version, name] = any;
      const file = `node-v${version}-linux-${NODE_ARCH}.tar.xz`;
      if (name === 'SHASUMS256.txt') res.writeHead(200, { 'content-type': 'text/plain' }).end(`${sha256}  ${file}\n`);
      else if (name === file) createReadStream(tarball).pipe(res.writeHead(200, { 'content-type': 'application/x-xz', 'content-length': statSync(tarball).size }));
      else res.writeHead(404).end('not found\n');
      return;
    }
    const m = /^\/(good|bad)\/v([^/]+)\/([^/]+)$/.exec(url);
    if (!m || m[2] !== NODE_VERSION) {
      res.writeHead(404).end('not found\n');
      return;
    }
    const [, kind, , name] = m;
    if (name === 'SHASUMS256.txt') {
      const sum = kind === 'bad' ? wrong : sha256;
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`${'0'.repeat(64)}  node-v${NODE_VERSION}-darwin-x64.tar.gz\n${sum}  ${NODE_TARBALL}\n`);
      return;
    }
    if (name === NODE_TARBALL) {
      res.writeHead(200, { 'content-type': 'application/x-xz', 'content-length': statSync(tarball).size });
      createReadStream(tarball).pipe(res);
      return;
    }
    res.writeHead(404).end('not found\n');
  });
  const port = await listen(server);
  return {
    baseUrl: `http://127.0.0.1:${port}/good`,
    badBaseUrl: `http://127.0.0.1:${port}/bad`,
    anyBaseUrl: `http://127.0.0.1:${port}/any`,
    requests,
    close: () => closeServer(server),
  };
}

/** A loopback shadow deployment that records every request it receives (the test kit's, answering 202). */
export function startShadowServer(): ReturnType<typeof startRecordingShadow> {
  return startRecordingShadow({ status: 202, body: 'shadow\n' });
}

function listen(server: http.Server): Promise<number> {
  return new Promise((res, rej) => {
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      if (addr && typeof addr === 'object') res(addr.port);
      else rej(new Error('no port'));
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((res) => server.close(() => res()));
}

export { freePort } from '../helpers/net.js';

/** The command of the Procfile's web process. */
export function procfileWeb(appDir: string): string {
  const line = readFileSync(join(appDir, 'Procfile'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith('web:'));
  if (!line) throw new Error(`no web process in ${appDir}/Procfile`);
  return line.slice('web:'.length).trim();
}

export interface Dyno {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts a command the way a dyno does: HOME=app dir, cwd=app dir, .profile.d/*.sh
 * sourced, PORT set, run by `bash -c`, in its own process group.
 */
export function startDyno(appDir: string, command: string, env: Record<string, string>, port: number): Dyno {
  const script = 'for f in "$HOME"/.profile.d/*.sh; do [ -r "$f" ] && . "$f"; done; ' + command;
  const child = spawn('bash', ['-c', script], {
    cwd: appDir,
    env: { HOME: appDir, PORT: String(port), DYNO: 'web.1', ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.on('exit', (code, signal) => res({ code, signal })),
  );
  return { child, port, output: () => out, exited };
}

export function request(
  port: number,
  path: string,
  body: string | undefined,
  agent: http.Agent,
): Promise<{ status: number; body: string }> {
  return new Promise((res, rej) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, method: body === undefined ? 'GET' : 'POST', agent, timeout: 5000 },
      (r) => {
        let data = '';
        r.on('data', (c: Buffer) => (data += c.toString()));
        r.on('end', () => res({ status: r.statusCode ?? 0, body: data }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', rej);
    req.end(body);
  });
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs: number, detail?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}${detail ? `\n${detail()}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Pids of live processes whose cwd or command line is inside `dir`. */
export function processesUnder(dir: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cwd = readlinkSync(`/proc/${name}/cwd`);
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (/\) Z /.test(stat)) continue; // zombies are already dead
      if (cwd === dir || cwd.startsWith(dir + '/') || cmdline.includes(dir)) found.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Last resort in finally: SIGKILL the dyno's group and anything left under its dir. */
export function killEverything(dyno: Dyno | undefined, dir: string): void {
  if (dyno?.child.pid && groupAlive(dyno.child.pid)) {
    try {
      process.kill(-dyno.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const pid of processesUnder(dir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export function readToml(path: string): string {
  return readFileSync(path, 'utf8');
}
