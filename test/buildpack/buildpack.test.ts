// The buildpack, classic and CNB, exercised for real: bin/detect, bin/compile, bin/release,
// bin/build run as processes under a sanitised environment against fixture apps; the Node
// download comes from a loopback server; the built app is started as a dyno would start it,
// serves traffic, and a loopback shadow receives the mirrored copies.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { sha256 } from '../helpers/net.js';
import { LISTEN_SOCKETS, listenSocketCount } from '../../src/relay/relay-server.js';
import {
  BUILDPACK,
  NODE_TARBALL,
  NODE_VERSION,
  copyFixture,
  freePort,
  groupAlive,
  killEverything,
  makeNodeOnPathDir,
  makeNodeTarball,
  makeToolsDir,
  newRoot,
  procfileWeb,
  processesUnder,
  request,
  run,
  sanitisedEnv,
  startDistServer,
  startDyno,
  startShadowServer,
  tempDir,
  waitFor,
  writeEnvDir,
  writeGorOptions,
  type DistServer,
  type Dyno,
} from './harness.js';

const bin = (name: string) => join(BUILDPACK, 'bin', name);
const nodeVersionOf = (node: string) => execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();

let root: string;
let tools: string;
let nodeOnPath: string;
let dist: DistServer;
let shadow: Awaited<ReturnType<typeof startShadowServer>>;
/** One CACHE_DIR for the classic builds of this run: the second build must come from it. */
let sharedCache: string;
let home: string;

before(async () => {
  root = newRoot();
  tools = makeToolsDir(root);
  nodeOnPath = makeNodeOnPathDir(root);
  home = tempDir(root, 'home');
  sharedCache = tempDir(root, 'cache');
  const tarball = await makeNodeTarball(root);
  dist = await startDistServer(tarball.file, tarball.sha256);
  shadow = await startShadowServer();
});

after(async () => {
  await dist?.close();
  await shadow?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

function downloadEnv(base: string): Record<string, string> {
  return { TRAFFIC_DUPLICATOR_NODE_VERSION: NODE_VERSION, TRAFFIC_DUPLICATOR_NODE_BASE_URL: base };
}

async function compile(buildDir: string, cacheDir: string, envDir: string, extraPath = '') {
  const env = sanitisedEnv(extraPath ? `${extraPath}:${tools}` : tools, home);
  return run(bin('compile'), [buildDir, cacheDir, envDir], { env, cwd: root });
}

/** Start the web command like a dyno, send traffic, check the app and the shadow, then SIGTERM. */
async function exerciseDyno(appDir: string, command: string, marker: string, path: string): Promise<void> {
  const port = await freePort();
  const before = shadow.received.length;
  let dyno: Dyno | undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    dyno = startDyno(appDir, command, { PATH: path, LANG: 'C.UTF-8' }, port);
    const d = dyno;
    await waitFor(
      `${marker} to answer through start-traffic-duplicator on port ${port}`,
      async () => {
        const r = await request(port, '/ready', undefined, agent);
        return r.status === 200 && r.body.includes(marker) ? r : undefined;
      },
      30_000,
      () => d.output(),
    );
    const id = Math.random().toString(36).slice(2);
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) {
      const p = `/td-${id}-${i}`;
      const r = await request(port, p, i % 2 ? `payload-${i}` : undefined, agent);
      assert.equal(r.status, 200, d.output());
      assert.ok(r.body.includes(marker), `app answered ${JSON.stringify(r.body)}`);
      assert.ok(r.body.includes(p), `app answered ${JSON.stringify(r.body)}`);
      sent.push(p);
    }
    await waitFor(
      'the shadow to receive every mirrored request',
      () => {
        const got = shadow.received.slice(before).map((x) => x.url);
        return sent.every((p) => got.includes(p)) ? true : undefined;
      },
      15_000,
      () => `shadow got ${JSON.stringify(shadow.received.slice(before).map((x) => x.url))}\n${d.output()}`,
    );
    const post = shadow.received.slice(before).find((x) => x.url === sent[1]);
    assert.equal(post?.method, 'POST');
    assert.equal(post?.bodySha, sha256('payload-1'));
    assert.equal(post?.headers.host, 'shadow.example.test');

    agent.destroy();
    const pgid = d.child.pid as number;
    process.kill(-pgid, 'SIGTERM');
    const exit = await Promise.race([
      d.exited,
      new Promise<undefined>((r) => setTimeout(() => r(undefined), 20_000)),
    ]);
    assert.ok(exit, `web process did not exit within 20 s of SIGTERM\n${d.output()}`);
    await waitFor('every process of the dyno to exit', () => (!groupAlive(pgid) && processesUnder(appDir).length === 0 ? true : undefined), 10_000, () =>
      `left: ${processesUnder(appDir).join(' ')}`,
    );
  } finally {
    agent.destroy();
    killEverything(dyno, appDir);
  }
}

describe('classic buildpack', () => {
  test('bin/detect always passes and names the buildpack', async () => {
    const app = tempDir(root, 'empty-app');
    const r = await run(bin('detect'), [app], { env: sanitisedEnv(tools, home) });
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), 'traffic-duplicator');
  });

  test('bin/release prints YAML that declares no process types', async () => {
    const app = tempDir(root, 'empty-app');
    const r = await run(bin('release'), [app], { env: sanitisedEnv(tools, home) });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^---\n/);
    assert.doesNotMatch(r.stdout, /default_process_types/);
    if (existsSync('/usr/bin/ruby')) {
      const parsed = await run('ruby', ['-ryaml', '-rjson', '-e', 'puts JSON.generate(YAML.safe_load(ENV["RELEASE_YAML"]))'], {
        env: sanitisedEnv(tools, home, { RELEASE_YAML: r.stdout }),
      });
      assert.equal(parsed.code, 0, parsed.stderr);
      assert.deepEqual(JSON.parse(parsed.stdout), { addons: [] });
    }
  });

  /** Runs `script` with the buildpack's lib/common.sh and lib/node.sh sourced; its stdout, trimmed. */
  async function withNodeLib(script: string): Promise<string> {
    const r = await run('bash', ['-c', `set -euo pipefail; . "$1/lib/common.sh"; . "$1/lib/node.sh"; ${script}`, '_', join(BUILDPACK, 'bin')], {
      env: sanitisedEnv(tools, home),
    });
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  }

  test('the default Node is pinned for both CPUs and is one the relay spreads accepts on', async () => {
    // The sums come from the version's signed SHASUMS256.txt; a version bump without them
    // would make every build fetch SHASUMS256.txt, and one below 22.12 would bring back the
    // single listening socket (README, cold start).
    const out = await withNodeLib('echo "$TD_NODE_DEFAULT_VERSION"; for a in x64 arm64; do td_node_pinned_sha256 "node-v$TD_NODE_DEFAULT_VERSION-linux-$a.tar.xz"; done');
    const [version = '', ...sums] = out.split('\n');
    assert.match(version, /^\d+\.\d+\.\d+$/);
    assert.equal(sums.length, 2);
    for (const sum of sums) assert.match(sum, /^[0-9a-f]{64}$/);
    assert.equal(listenSocketCount(LISTEN_SOCKETS, version, 'linux'), LISTEN_SOCKETS, version);
  });

  test('the default Node is checked against the sum pinned in the buildpack, whatever the mirror says', async () => {
    const app = copyFixture('buildpack-ruby', root);
    const cache = tempDir(root, 'cache-default');
    const envDir = writeEnvDir(root, { TRAFFIC_DUPLICATOR_NODE_BASE_URL: dist.anyBaseUrl });
    const pinned = await withNodeLib('f="node-v$TD_NODE_DEFAULT_VERSION-linux-$(td_node_arch).tar.xz"; echo "$f $(td_node_pinned_sha256 "$f")"');
    const [file = '', sum = ''] = pinned.split(' ');
    const version = file.replace(/^node-v|-linux-.*$/g, '');
    const r = await compile(app, cache, envDir);
    // The mirror serves other bytes (ours) under the default's name, with a SHASUMS256.txt
    // that vouches for them: only the pinned sum can refuse them, and it does.
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(r.stdout + r.stderr, new RegExp(`Checksum for ${file.replace(/\./g, '\\.')} is pinned in the buildpack`));
    assert.match(r.stderr, new RegExp(`Checksum mismatch for ${file.replace(/\./g, '\\.')}[^]*expected sha256 ${sum}`));
    assert.ok(dist.requests.includes(`/any/v${version}/${file}`), dist.requests.join(' '));
    assert.ok(!dist.requests.includes(`/any/v${version}/SHASUMS256.txt`));
  });

  test('a wrong checksum fails the build with a clear message and caches nothing', async () => {
    const app = copyFixture('buildpack-ruby', root);
    const cache = tempDir(root, 'cache-bad');
    const envDir = writeEnvDir(root, downloadEnv(dist.badBaseUrl));
    const r = await compile(app, cache, envDir);
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(r.stderr, / ! {5}Checksum mismatch for node-v[^ ]+-linux-(x64|arm64)\.tar\.xz/);
    assert.match(r.stderr, /Refusing to install an unverified Node runtime/);
    assert.ok(dist.requests.includes(`/bad/v${NODE_VERSION}/${NODE_TARBALL}`));
    const nodeCache = join(cache, 'traffic-duplicator', 'node');
    assert.deepEqual(existsSync(nodeCache) ? readdirSync(nodeCache) : [], []);
    assert.ok(!existsSync(join(app, 'bin', 'start-traffic-duplicator')));
  });

  test('Ruby app: downloads and verifies Node, keeps it off PATH, mirrors traffic, stops on SIGTERM', async () => {
    const app = copyFixture('buildpack-ruby', root);
    writeGorOptions(app, shadow.port);
    const envDir = writeEnvDir(root, downloadEnv(dist.baseUrl));
    const detect = await run(bin('detect'), [app], { env: sanitisedEnv(tools, home) });
    assert.equal(detect.code, 0);
    const seen = dist.requests.length;
    const r = await compile(app, sharedCache, envDir);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const downloads = dist.requests.slice(seen);
    assert.deepEqual(downloads.sort(), [`/good/v${NODE_VERSION}/${NODE_TARBALL}`, `/good/v${NODE_VERSION}/SHASUMS256.txt`].sort());
    assert.match(r.stdout, /^-----> traffic-duplicator: Installing traffic-duplicator /m);
    assert.match(r.stdout, /^ {7}Verified sha256 [0-9a-f]{64}$/m);
    assert.doesNotMatch(r.stderr, /not enabled/);

    // Layout: private Node (binary only), built tool with production dependencies only.
    const td = join(app, '.traffic-duplicator');
    assert.ok(statSync(join(td, 'node', 'bin', 'node')).isFile());
    assert.ok(!existsSync(join(td, 'node', 'lib', 'node_modules', 'npm')));
    assert.ok(existsSync(join(td, 'app', 'dist', 'cli', 'start.js')));
    assert.ok(existsSync(join(td, 'app', 'dist', 'cli', 'main.js')));
    const modules = readdirSync(join(td, 'app', 'node_modules'));
    for (const dev of ['typescript', 'tsx', '@types']) assert.ok(!modules.includes(dev), `${dev} shipped in the slug`);
    assert.ok(!existsSync(join(app, '.heroku', 'node')));
    assert.deepEqual(readdirSync(join(app, 'bin')).sort(), ['start-traffic-duplicator', 'traffic-duplicator']);
    const launcher = readFileSync(join(app, 'bin', 'start-traffic-duplicator'), 'utf8');
    assert.match(launcher, /^root="\$HOME\/\.traffic-duplicator"$/m);
    assert.match(
      launcher,
      /^exec "\$root\/node\/bin\/node" --max-semi-space-size=1 --max-old-space-size=256 --interrupt-budget=270336 \$\{TRAFFIC_DUPLICATOR_NODE_OPTIONS:-\} "\$root\/app\/dist\/cli\/start\.js" "\$@"$/m,
    );
    assert.ok(!launcher.includes(app), 'the launcher must not hard-code the build dir');
    // TRAFFIC_DUPLICATOR_NODE_OPTIONS reaches node at run time (an option node rejects shows it).
    const extra = await run(join(app, 'bin', 'traffic-duplicator'), ['--version'], {
      env: { HOME: app, PATH: tools, TRAFFIC_DUPLICATOR_NODE_OPTIONS: '--max-old-space-size=512 --no-such-td-option' },
      cwd: app,
    });
    assert.notEqual(extra.code, 0);
    assert.match(extra.stderr, /--no-such-td-option/);

    // At run time: launcher on PATH through .profile.d, our node not.
    const probe = await run(
      'bash',
      ['-c', 'for f in "$HOME"/.profile.d/*.sh; do . "$f"; done; command -v start-traffic-duplicator; command -v node || echo NO-NODE'],
      { env: { HOME: app, PATH: tools }, cwd: app },
    );
    assert.equal(probe.code, 0, probe.stderr);
    assert.equal(probe.stdout, `${join(app, 'bin', 'start-traffic-duplicator')}\nNO-NODE\n`);

    await exerciseDyno(app, procfileWeb(app), 'ruby fixture', tools);
  });

  test('Python app: the second build comes from the cache (no download request)', async () => {
    const app = copyFixture('buildpack-python', root);
    writeGorOptions(app, shadow.port);
    const envDir = writeEnvDir(root, downloadEnv(dist.baseUrl));
    const seen = dist.requests.length;
    const started = Date.now();
    const r = await compile(app, sharedCache, envDir);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.deepEqual(dist.requests.slice(seen), [], 'a cached build must not hit the download server');
    assert.match(r.stdout, /Using cached node-v/);
    assert.match(r.stdout, /Using cached build [0-9a-f]{16}/);
    assert.ok(Date.now() - started < 60_000);
    await exerciseDyno(app, procfileWeb(app), 'python fixture', tools);
  });

  test('Node app: reuses the Node already in the build instead of downloading', async () => {
    const app = copyFixture('buildpack-node', root);
    writeGorOptions(app, shadow.port);
    const seen = dist.requests.length;
    const envDir = writeEnvDir(root, { TRAFFIC_DUPLICATOR_NODE_BASE_URL: dist.baseUrl });
    const r = await compile(app, sharedCache, envDir, nodeOnPath);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /Reusing Node v\d+\.\d+\.\d+ found at /);
    assert.deepEqual(dist.requests.slice(seen), []);
    // The app's own Node (from the language buildpack) is what `node` means at run time.
    await exerciseDyno(app, procfileWeb(app), 'node fixture', `${nodeOnPath}:${tools}`);
  });

  // The launcher's node options must suit the Node it runs: Node 22 refuses Node 20's
  // --interrupt-budget and the dyno's web process would not start (TD_TEST_NODES: .ci/run).
  const newerNode = (process.env.TD_TEST_NODES ?? '')
    .split(':')
    .filter((path) => path !== '')
    .map((path) => ({ path, version: nodeVersionOf(path) }))
    .find((n) => Number(/^v(\d+)/.exec(n.version)?.[1]) >= 22);
  test('Node app on a newer Node (22+): the launcher written for the reused Node starts and mirrors', { skip: newerNode ? false : 'TD_TEST_NODES has no Node 22 or later' }, async () => {
    const prefix = tempDir(root, 'newer-node');
    mkdirSync(join(prefix, 'bin'));
    mkdirSync(join(prefix, 'lib', 'node_modules'), { recursive: true });
    cpSync(newerNode!.path, join(prefix, 'bin', 'node'));
    // The reuse rule wants a full install (node and npm); npm itself runs on any of them.
    symlinkSync(join(dirname(dirname(process.execPath)), 'lib', 'node_modules', 'npm'), join(prefix, 'lib', 'node_modules', 'npm'));
    const app = copyFixture('buildpack-node', root);
    writeGorOptions(app, shadow.port);
    const envDir = writeEnvDir(root, { TRAFFIC_DUPLICATOR_NODE_BASE_URL: dist.baseUrl });
    const r = await compile(app, sharedCache, envDir, join(prefix, 'bin'));
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, new RegExp(`Reusing Node ${newerNode!.version.replace(/\./g, '\\.')} found at `));
    const launcher = readFileSync(join(app, 'bin', 'start-traffic-duplicator'), 'utf8');
    assert.ok(!launcher.includes('--interrupt-budget'), launcher);
    await exerciseDyno(app, procfileWeb(app), 'node fixture', `${join(prefix, 'bin')}:${tools}`);
  });

  test('warns when the app has neither config/gor.options nor start-traffic-duplicator in its Procfile', async () => {
    const app = tempDir(root, 'plain-app');
    mkdirSync(join(app, 'config'));
    const envDir = writeEnvDir(root, downloadEnv(dist.baseUrl));
    const r = await compile(app, sharedCache, envDir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^ ! {5}traffic-duplicator is installed but not enabled/m);
  });
});

describe('cloud native buildpack', () => {
  test('bin/detect passes with the CNB environment and writes no plan', async () => {
    const app = copyFixture('buildpack-ruby', root);
    const platform = tempDir(root, 'platform');
    const plan = join(tempDir(root, 'plan'), 'plan.toml');
    const r = await run(bin('detect'), [], {
      env: sanitisedEnv(tools, home, { CNB_PLATFORM_DIR: platform, CNB_BUILD_PLAN_PATH: plan, CNB_BUILDPACK_DIR: BUILDPACK }),
      cwd: app,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.ok(!existsSync(plan));
  });

  test('bin/build contributes a cached launch layer whose start-traffic-duplicator works, and reuses it', async () => {
    const app = copyFixture('buildpack-ruby', root);
    writeGorOptions(app, shadow.port);
    const layers = tempDir(root, 'layers');
    const platform = tempDir(root, 'platform');
    mkdirSync(join(platform, 'env'));
    for (const [k, v] of Object.entries(downloadEnv(dist.baseUrl))) {
      await run('bash', ['-c', 'printf %s "$2" > "$1"', '_', join(platform, 'env', k), v], { env: { PATH: tools } });
    }
    const plan = join(tempDir(root, 'plan'), 'plan.toml');
    const env = sanitisedEnv(tools, home, {
      CNB_LAYERS_DIR: layers,
      CNB_PLATFORM_DIR: platform,
      CNB_BP_PLAN_PATH: plan,
      CNB_BUILDPACK_DIR: BUILDPACK,
      CNB_TARGET_OS: 'linux',
      CNB_TARGET_ARCH: process.arch === 'arm64' ? 'arm64' : 'amd64',
      CNB_TARGET_DISTRO_NAME: 'ubuntu',
      CNB_TARGET_DISTRO_VERSION: '24.04',
    });
    const r = await run(bin('build'), [], { env, cwd: app });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const layer = join(layers, 'traffic-duplicator');
    const toml = readFileSync(`${layer}.toml`, 'utf8');
    assert.match(toml, /^\[types\]\nlaunch = true\nbuild = false\ncache = true\n/);
    assert.match(toml, new RegExp(`^node_version = "v${NODE_VERSION.replace(/\./g, '\\.')}"$`, 'm'));
    assert.match(toml, /^tool_key = "[0-9a-f]{16}"$/m);
    for (const f of ['bin/start-traffic-duplicator', 'bin/traffic-duplicator', 'node/bin/node', 'app/dist/cli/start.js']) {
      assert.ok(existsSync(join(layer, f)), `${f} missing from the layer`);
    }
    assert.ok(!existsSync(join(app, '.traffic-duplicator')), 'CNB build must not write into the app dir');
    assert.match(readFileSync(join(layers, 'traffic-duplicator-cache.toml'), 'utf8'), /cache = true/);

    // The lifecycle puts the launch layer's bin/ on PATH; the Procfile command runs through bash -c.
    const launchPath = `${join(layer, 'bin')}:${tools}`;
    await exerciseDyno(app, procfileWeb(app), 'ruby fixture', launchPath);

    // Rebuild with the layer restored: reused, types rewritten, no download.
    const seen = dist.requests.length;
    const again = await run(bin('build'), [], { env, cwd: app });
    assert.equal(again.code, 0, `${again.stdout}\n${again.stderr}`);
    assert.match(again.stdout, /Reusing the traffic-duplicator layer/);
    assert.deepEqual(dist.requests.slice(seen), []);
    assert.match(readFileSync(`${layer}.toml`, 'utf8'), /launch = true/);
  });
});
