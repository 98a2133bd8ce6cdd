// Static checks of the container files (no Docker engine is needed or assumed): what the
// Dockerfile copies is in the .dockerignore allow-list, the runtime is non-root with the
// traffic-duplicator entrypoint, and the Kubernetes example wires the options file and ports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './harness.js';

const dockerfile = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
const allowed = readFileSync(join(REPO, '.dockerignore'), 'utf8')
  .split('\n')
  .filter((l) => l.startsWith('!'))
  .map((l) => l.slice(1).replace(/\/$/, ''));

test('Dockerfile: multi-stage, prod deps only at runtime, non-root, traffic-duplicator entrypoint', () => {
  const stages = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
  assert.deepEqual(stages, ['node:22-slim', 'node:22-slim']);
  assert.match(dockerfile, /npm prune --omit=dev/);
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  assert.match(runtime, /^USER node$/m);
  assert.match(runtime, /^ENTRYPOINT \["traffic-duplicator"\]$/m);
  assert.match(runtime, /^CMD \["--listen", ":8080", "--upstream", "http:\/\/127\.0\.0\.1:3000"\]$/m);
  for (const m of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
    for (const src of (m[1] ?? '').split(/\s+/)) assert.ok(allowed.includes(src), `${src} is copied but excluded by .dockerignore`);
  }
});

test('Kubernetes sidecar example: Service → duplicator port, options file from a ConfigMap', (t) => {
  const ruby = spawnSync('bash', ['-c', 'command -v ruby'], { encoding: 'utf8' });
  if (ruby.status !== 0) {
    t.skip('ruby (YAML parser) is not installed');
    return;
  }
  const r = spawnSync('ruby', ['-ryaml', '-rjson', '-e', 'puts JSON.generate(YAML.load_stream(File.read(ARGV[0])))', join(REPO, 'examples/kubernetes/sidecar.yaml')], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  type Doc = { kind: string; metadata: { name: string }; data?: Record<string, string>; spec: any };
  const docs = JSON.parse(r.stdout) as Doc[];
  const byKind = (k: string) => docs.find((d) => d.kind === k) as Doc;
  const pod = byKind('Deployment').spec.template.spec;
  const td = pod.containers.find((c: { name: string }) => c.name === 'traffic-duplicator');
  const app = pod.containers.find((c: { name: string }) => c.name === 'app');
  assert.ok(td && app);
  const envFile = td.env.find((e: { name: string }) => e.name === 'TRAFFIC_DUPLICATOR_OPTIONS_FILE').value as string;
  const mount = td.volumeMounts[0];
  assert.equal(envFile, `${mount.mountPath}/gor.options`);
  const volume = pod.volumes.find((v: { name: string }) => v.name === mount.name);
  assert.equal(volume.configMap.name, byKind('ConfigMap').metadata.name);
  assert.match(byKind('ConfigMap').data?.['gor.options'] ?? '', /^--output-http /m);
  assert.deepEqual(td.args, ['--listen', ':8080', '--upstream', `http://127.0.0.1:${app.ports[0].containerPort}`]);
  assert.equal(td.readinessProbe.httpGet.port, 'http');
  assert.equal(td.ports[0].containerPort, 8080);
  assert.equal(byKind('Service').spec.ports[0].targetPort, td.ports[0].name);
  assert.equal(td.securityContext.runAsNonRoot, true);
});
