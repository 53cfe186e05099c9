// deploy/ read back and checked offline (issue 14): the container image
// (deploy/Dockerfile) and the Kubernetes manifests (deploy/kubernetes/: the
// single-controller layout, base/ and its workers, and every kustomization as
// kustomize's default load restrictor loads it). No cluster, no Docker
// engine: every YAML document is parsed, every object of a built-in kind is
// validated against its kind's OpenAPI schema (kubernetes-models), and the
// wiring between the objects and the processes is checked: each container's
// args are parsed by the real `punctual` CLI (its flags and defaults, with
// the container's environment), and the probe ports, Prometheus annotations,
// Services, tokens, CPU and memory must agree with what the processes will
// do. Each wiring check is also shown to fail on a manifest broken on
// purpose. The reading (and the kustomize rendering) is
// support/k8s-manifests.ts, the checks support/k8s-wiring.ts; the sharded
// overlay (deploy/kubernetes/sharded) has its own file,
// deploy-sharded.test.ts.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVER_NODE_FLAGS } from '../common/node-flags.js';
import { at, BUILT_IN, cliContainers, commentedComponents, containerOf, CUSTOM, DEPLOY, type Doc, find, K8S, kindOf, kustomize, listedFiles, loadDocs, loadProblems, nameOf, NOT_OBJECTS, type Obj, objs, podTemplates, readKustomization, ROOT, setArg, withComponent, withGlobal, yamlFiles } from './support/k8s-manifests.js';
import { wiringProblems } from './support/k8s-wiring.js';

const BASE = path.join(K8S, 'base');

// ---- the Dockerfile -------------------------------------------------------

interface Instruction {
  op: string;
  rest: string;
}

/** The Dockerfile's instructions, continuation lines joined, comments dropped, grouped by stage. */
function dockerStages(text: string): { args: Map<string, string>; stages: { from: string; name?: string; body: Instruction[] }[] } {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const args = new Map<string, string>();
  const stages: { from: string; name?: string; body: Instruction[] }[] = [];
  for (const line of lines) {
    const [, op = '', rest = ''] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    const upper = op.toUpperCase();
    if (upper === 'FROM') {
      const [, image = '', name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest) ?? [];
      stages.push({ from: image.replace(/\$\{(\w+)\}/g, (_, v: string) => args.get(v) ?? ''), ...(name ? { name } : {}), body: [] });
    } else if (stages.length === 0 && upper === 'ARG') {
      const [k, v] = rest.split('=');
      if (k && v) args.set(k, v);
    } else {
      stages.at(-1)?.body.push({ op: upper, rest });
    }
  }
  return { args, stages };
}

function dockerfileProblems(text: string, docs: Doc[]): string[] {
  const problems: string[] = [];
  const { stages } = dockerStages(text);
  const last = stages.at(-1);
  if (!last) return ['no FROM'];
  for (const s of stages) if (s.from !== 'node:20-bookworm-slim') problems.push(`stage ${s.name ?? '?'} is FROM ${s.from}, not node:20-bookworm-slim`);
  const runs = stages.flatMap((s) => s.body.filter((i) => i.op === 'RUN').map((i) => i.rest));
  if (!runs.some((r) => /\bnpm ci\b/.test(r))) problems.push('no stage runs npm ci');
  if (!runs.some((r) => /\bnpm run build\b/.test(r))) problems.push('no stage runs npm run build');
  if (stages.length < 2) problems.push('not multi-stage');
  // Non-root, by a number runAsNonRoot can check, and the uid the pods run as.
  const user = last.body.filter((i) => i.op === 'USER').at(-1)?.rest;
  const uid = user?.split(':')[0];
  if (!uid || !/^\d+$/.test(uid) || uid === '0') problems.push(`the runtime stage's USER is ${String(user)}, not a numeric non-root uid`);
  for (const { owner, pod } of podTemplates(docs)) {
    const runAs = at(pod, 'securityContext', 'runAsUser');
    if (owner.obj.kind !== 'ServingRuntime' && String(runAs) !== uid) problems.push(`${owner.file} ${nameOf(owner.obj)} runs as ${String(runAs)}, the image as ${String(uid)}`);
  }
  // The entrypoint: the CLI, with the Node flags of every server process.
  const entry = last.body.filter((i) => i.op === 'ENTRYPOINT').at(-1)?.rest;
  let argv: unknown;
  try {
    argv = JSON.parse(entry ?? '');
  } catch {
    argv = entry;
  }
  const workdir = last.body.filter((i) => i.op === 'WORKDIR').at(-1)?.rest;
  if (JSON.stringify(argv) !== JSON.stringify(['node', ...SERVER_NODE_FLAGS, 'dist/cli/main.js'])) problems.push(`ENTRYPOINT ${String(entry)} is not node ${SERVER_NODE_FLAGS.join(' ')} dist/cli/main.js (exec form)`);
  if (workdir !== '/app') problems.push(`WORKDIR ${String(workdir)}, while the manifests' init container imports /app/dist/...`);
  // What the runtime reads, each copied into the runtime stage from a path that exists here (or that the build makes).
  const copied = new Map<string, string>();
  for (const i of last.body.filter((x) => x.op === 'COPY')) {
    const parts = i.rest.split(/\s+/).filter((p) => !p.startsWith('--'));
    const dest = parts.at(-1)!.replace(/^\.\//, '').replace(/\/$/, '');
    for (const src of parts.slice(0, -1)) copied.set(dest, src.replace(/^\/src\//, ''));
  }
  const built = new Set(['node_modules', 'dist']);
  for (const needed of ['package.json', 'node_modules', 'dist', 'protos', 'profiles/bundled', 'controller/dashboard/page']) {
    const src = copied.get(needed);
    if (src === undefined) problems.push(`the runtime stage does not copy ${needed}`);
    else if (!built.has(src) && !fs.existsSync(path.join(ROOT, src))) problems.push(`the runtime stage copies ${src}, which does not exist`);
  }
  return problems;
}

// ---- the tests ------------------------------------------------------------

const DOCKERFILE = fs.readFileSync(path.join(DEPLOY, 'Dockerfile'), 'utf8');

describe('deploy/kubernetes', () => {
  const docs = loadDocs();

  it('parses every file; every object is of a known kind and valid against its schema', () => {
    expect(docs.length).toBeGreaterThan(10);
    for (const d of docs) {
      if (NOT_OBJECTS.has(d.file)) continue;
      const k = kindOf(d.obj);
      const validate = BUILT_IN[k];
      expect(validate !== undefined || CUSTOM.has(k), `${d.file}: ${k} is no kind this test knows`).toBe(true);
      if (validate) expect(() => validate(d.obj), `${d.file} ${k} ${nameOf(d.obj)}`).not.toThrow();
    }
  });

  it('rejects an object its schema rejects', () => {
    const broken = structuredClone(find(docs, 'Deployment', 'punctual-worker'));
    objs(containerOf(broken).ports)[0]!.containerPort = 'metrics';
    expect(() => BUILT_IN['apps/v1/Deployment']!(broken)).toThrow(/containerPort/);
    const noSelector = structuredClone(find(docs, 'StatefulSet', 'punctual-controller'));
    delete (noSelector.spec as Obj).selector;
    expect(() => BUILT_IN['apps/v1/StatefulSet']!(noSelector)).toThrow(/selector/);
  });

  it('the single layout is base/ and its workers: each kustomization lists every manifest beside it, in the namespace it sets', () => {
    const single = readKustomization(K8S);
    const base = readKustomization(BASE);
    // What both layouts share is base/ (a folder with its own kustomization); the single layout adds its workers.
    expect(single.resources).toContain('base');
    for (const dir of [K8S, BASE]) {
      const resources = (readKustomization(dir).resources as string[]) ?? [];
      const files = resources.filter((r) => fs.statSync(path.join(dir, r)).isFile());
      const beside = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');
      expect(files.sort(), path.relative(K8S, dir) || '.').toEqual(beside.sort());
    }
    // Every object the single layout lists is in the namespace its kustomizations set.
    expect(base.namespace).toBe(single.namespace);
    const listed = listedFiles(K8S);
    expect(listed.sort()).toEqual(['base/controller-services.yaml', 'base/controller.yaml', 'base/namespace.yaml', 'base/secret.yaml', 'worker-hpa.yaml', 'worker.yaml']);
    for (const d of docs.filter((x) => listed.includes(x.file) && x.obj.kind !== 'Namespace')) expect(at(d.obj, 'metadata', 'namespace'), d.file).toBe(single.namespace);
    // The image tag is the package's version.
    const version = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect(objs(single.images).find((i) => i.name === 'punctual')?.newTag).toBe(version);
    // The TLS component exists, is what the kustomization's comment names, and patches what it lists.
    expect(commentedComponents(K8S)).toEqual(['components/tls']);
    const component = docs.find((d) => d.file === path.join('components', 'tls', 'kustomization.yaml'))!.obj;
    expect(component.kind).toBe('Component');
    for (const p of objs(component.patches)) {
      const target = at(p, 'target');
      expect(docs.some((d) => listed.includes(d.file) && d.obj.kind === at(target, 'kind') && nameOf(d.obj) === at(target, 'name')), JSON.stringify(target)).toBe(true);
    }
  });

  it('renders what `kubectl apply -k deploy/kubernetes` applies: base/\'s objects, one worker Deployment and its HPA, at the package\'s tag', () => {
    const version = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    for (const k of [undefined, (x: Obj) => (x.components = commentedComponents(K8S))]) {
      const rendered = kustomize(K8S, k);
      expect(rendered.map((d) => `${d.file} ${String(d.obj.kind)} ${nameOf(d.obj)}`).sort()).toEqual([
        'base/controller-services.yaml Service punctual-controller',
        'base/controller-services.yaml Service punctual-controller-headless',
        'base/controller.yaml StatefulSet punctual-controller',
        'base/namespace.yaml Namespace punctual',
        'base/secret.yaml Secret punctual-tokens',
        'worker-hpa.yaml HorizontalPodAutoscaler punctual-worker',
        'worker.yaml Deployment punctual-worker',
      ]);
      for (const { pod } of podTemplates(rendered)) for (const c of [...objs(pod.containers), ...objs(pod.initContainers)]) expect(c.image).toBe(`punctual:${version}`);
    }
  });

  it('every kustomization loads under kustomize\'s default load restrictor (with its TLS components too), and what it names exists', () => {
    expect(loadProblems(K8S)).toEqual([]);
    expect(loadProblems(K8S, (k) => (k.components = commentedComponents(K8S)))).toEqual([]);
    // Every kustomization and component under deploy/kubernetes, the overlays' included.
    const dirs = yamlFiles(K8S).filter((f) => path.basename(f) === 'kustomization.yaml').map((f) => path.dirname(f));
    expect(dirs.map((d) => path.relative(K8S, d) || '.').sort()).toEqual(['.', 'base', 'components/tls', 'sharded', 'sharded/tls-workers']);
    for (const dir of dirs) expect(loadProblems(dir), path.relative(K8S, dir) || '.').toEqual([]);
    // And the check fails where kubectl kustomize would refuse.
    const add = (r: string) => (k: Obj) => (k.resources = [...(k.resources as string[]), r]);
    expect(loadProblems(K8S, add('workers.yaml'))).toEqual(['.: resource workers.yaml does not exist']);
    expect(loadProblems(K8S, add('optional'))).toEqual(['.: resource optional is a folder with no kustomization.yaml']);
    expect(loadProblems(K8S, add('components/tls'))).toEqual(['.: resource components/tls is a Component']);
    expect(loadProblems(BASE, add('../worker.yaml'))).toEqual(['base: resource ../worker.yaml is outside base (the default load restrictor refuses it)']);
    expect(loadProblems(BASE, add('..'))).toEqual(['base: resource .. contains base, which loads it (a cycle)']);
  });

  it('parses every container that runs the CLI, with its flags and the CLI\'s defaults', async () => {
    const all = await cliContainers(docs);
    expect(all.map((c) => `${nameOf(c.owner.obj)}/${String(c.container.name)}: ${c.parsed.command}`).sort()).toEqual([
      'punctual-controller/controller: controller',
      'punctual-worker-gpu/worker: worker',
      'punctual-worker/worker: worker',
      'punctual/kserve-container: controller',
      'punctual/worker: worker',
    ]);
    const worker = all.find((c) => nameOf(c.owner.obj) === 'punctual-worker')!.parsed;
    expect(worker.globals.controller).toBe('punctual-controller-headless:7000');
    expect(worker.globals.token).toBe('punctual-tokens/worker-token');
    expect(worker.flags).toMatchObject({ executors: 2, threads: 1, memory: 2 * 2 ** 30, device: 'cpu', healthPort: 9466, metricsPort: 9465, listenHost: '0.0.0.0' });
    const controller = all.find((c) => nameOf(c.owner.obj) === 'punctual-controller')!.parsed;
    expect(controller.flags).toMatchObject({ port: 7000, httpPort: 8000, metricsPort: 9464, host: '0.0.0.0', adminToken: 'punctual-tokens/admin-token' });
  });

  it('the wiring holds: probes, Prometheus, Services, tokens, resources, autoscaling', async () => {
    expect(await wiringProblems(docs)).toEqual([]);
  });

  it('the TLS component gives the controller its pair and the workers the CA, and moves the probes to HTTPS', async () => {
    // The GPU workers are applied on their own (kubectl apply -f), outside the component's reach: their file says what TLS needs there.
    const tls = withComponent(docs, path.join('components', 'tls')).filter((d) => d.file !== 'optional/worker-gpu.yaml');
    for (const d of tls) {
      const validate = BUILT_IN[kindOf(d.obj)];
      if (validate) expect(() => validate(d.obj), `${d.file} ${nameOf(d.obj)} with TLS`).not.toThrow();
    }
    const controller = (await cliContainers(tls)).find((c) => nameOf(c.owner.obj) === 'punctual-controller')!;
    expect(controller.parsed.flags).toMatchObject({ tlsCert: '/etc/punctual/tls/tls.crt', tlsKey: '/etc/punctual/tls/tls.key' });
    expect(await wiringProblems(tls)).toEqual([]);
    // Without the component's probe change, the gRPC probe would meet a TLS port.
    const probeless = structuredClone(tls);
    containerOf(find(probeless, 'StatefulSet', 'punctual-controller')).readinessProbe = { grpc: { port: 7000 } };
    expect((await wiringProblems(probeless)).join('\n')).toMatch(/readinessProbe .*"grpc".* is not grpc on --health-port 7001 \(the listener speaks TLS\)/);
    // Nor with the health port off.
    const noHealth = structuredClone(tls);
    setArg(containerOf(find(noHealth, 'StatefulSet', 'punctual-controller')), '--health-port', undefined);
    expect((await wiringProblems(noHealth)).join('\n')).toMatch(/--health-port is off/);
    // Without the CA, the workers could not verify the controller.
    const noCa = structuredClone(tls);
    const worker = containerOf(find(noCa, 'Deployment', 'punctual-worker'));
    worker.env = objs(worker.env).filter((e) => e.name !== 'PUNCTUAL_TLS_CA');
    expect((await wiringProblems(noCa)).join('\n')).toMatch(/the controller speaks TLS, and the worker has no CA/);
  });

  // Each check above fails on a manifest broken the way it guards against.
  const BREAKS: [string, (d: Doc[]) => void, RegExp][] = [
    ['a controller readiness probe on the wrong port', (d) => ((containerOf(find(d, 'StatefulSet', 'punctual-controller')).readinessProbe as Obj).grpc = { port: 7001 }), /readinessProbe/],
    ['a controller liveness probe off the metrics port', (d) => setArg(containerOf(find(d, 'StatefulSet', 'punctual-controller')), '--metrics-port', '9474'), /livenessProbe/],
    ['a worker health port that its probe does not use', (d) => setArg(containerOf(find(d, 'Deployment', 'punctual-worker')), '--health-port', '9467'), /readinessProbe .* --health-port 9467/],
    ['a worker on its default --health-port with the probe elsewhere', (d) => {
      const c = containerOf(find(d, 'Deployment', 'punctual-worker'));
      setArg(c, '--health-port', undefined);
      ((c.readinessProbe as Obj).grpc as Obj).port = 9476;
    }, /--health-port 9466/],
    ['a worker health port on loopback', (d) => setArg(containerOf(find(d, 'Deployment', 'punctual-worker')), '--listen-host', undefined), /--listen-host 127\.0\.0\.1 is loopback/],
    ['controller metrics on loopback', (d) => setArg(containerOf(find(d, 'StatefulSet', 'punctual-controller')), '--metrics-host', undefined), /--metrics-host 127\.0\.0\.1 is loopback/],
    ['a Prometheus annotation on the wrong port', (d) => ((at(find(d, 'Deployment', 'punctual-worker'), 'spec', 'template', 'metadata', 'annotations') as Obj)['prometheus.io/port'] = '9464'), /prometheus\.io annotations/],
    ['a token as a literal value', (d) => {
      const env = objs(containerOf(find(d, 'StatefulSet', 'punctual-controller')).env).find((e) => e.name === 'PUNCTUAL_ADMIN_TOKEN')!;
      delete env.valueFrom;
      env.value = 'hunter2';
    }, /PUNCTUAL_ADMIN_TOKEN: a literal value/],
    ['a token from a key the Secret lacks', (d) => {
      const env = objs(containerOf(find(d, 'Deployment', 'punctual-worker')).env).find((e) => e.name === 'PUNCTUAL_TOKEN')!;
      (at(env, 'valueFrom', 'secretKeyRef') as Obj).key = 'worker';
    }, /Secret punctual-tokens has no key worker/],
    ['a controller without its admin token', (d) => {
      const c = containerOf(find(d, 'StatefulSet', 'punctual-controller'));
      c.env = objs(c.env).filter((e) => e.name !== 'PUNCTUAL_ADMIN_TOKEN');
    }, /would refuse to start/],
    ['a worker without a token', (d) => {
      const c = containerOf(find(d, 'Deployment', 'punctual-worker'));
      c.env = objs(c.env).filter((e) => e.name !== 'PUNCTUAL_TOKEN');
    }, /the worker has no token/],
    ['a worker dialing the wrong port', (d) => withGlobal(containerOf(find(d, 'Deployment', 'punctual-worker')), 'punctual-controller-headless:7001'), /has no port 7001/],
    ['a worker dialing no Service', (d) => withGlobal(containerOf(find(d, 'Deployment', 'punctual-worker')), 'punctual-ctrl:7000'), /names no Service/],
    ['workers dialing a Service that hides a not-ready controller', (d) => ((find(d, 'Service', 'punctual-controller-headless').spec as Obj).publishNotReadyAddresses = false), /not-ready addresses/],
    ['a CPU request that is not executors × threads', (d) => setArg(containerOf(find(d, 'Deployment', 'punctual-worker')), '--threads', '2'), /resources\.requests\.cpu 2 is not .* = 4/],
    ['a memory limit below the models\' budget', (d) => setArg(containerOf(find(d, 'Deployment', 'punctual-worker')), '--memory', '4GiB'), /memory limit/],
    ['a device the CLI does not know', (d) => setArg(containerOf(find(d, 'Deployment', 'punctual-worker-gpu')), '--device', 'cuda'), /punctual refuses its args: .*cuda:N/],
    ['a flag the CLI does not have', (d) => setArg(containerOf(find(d, 'StatefulSet', 'punctual-controller')), '--grpc-port', '7000'), /punctual refuses its args: .*--grpc-port/],
    ['a GPU worker on a device it was not given', (d) => setArg(containerOf(find(d, 'Deployment', 'punctual-worker-gpu')), '--device', 'cuda:1'), /nvidia\.com\/gpu ≥ 2/],
    ['a drain longer than the grace period', (d) => setArg(containerOf(find(d, 'Deployment', 'punctual-worker')), '--drain-timeout', '45'), /terminationGracePeriodSeconds/],
    ['a repository off the volume', (d) => setArg(containerOf(find(d, 'StatefulSet', 'punctual-controller')), '--repo', '/data/models'), /--repo \/data\/models is not/],
    ['an HPA on a metric no adapter rule makes', (d) => (objs(at(find(d, 'HorizontalPodAutoscaler', 'punctual-worker'), 'spec', 'metrics'))[0]!.pods as Obj).metric = { name: 'punctual_busy' }, /punctual_busy is no custom rule/],
    ['an adapter rule on a metric nobody exports', (d) => (objs(at(d.find((x) => x.file.endsWith('prometheus-adapter-values.yaml'))!.obj, 'rules', 'custom'))[0]!.seriesQuery = 'punctual_executor_busy_total{pod!=""}'), /is no metric Punctual exports/],
    ['a KServe worker dialing elsewhere', (d) => {
      const rt = find(d, 'ServingRuntime', 'punctual');
      const c = objs(at(rt, 'spec', 'containers'))[1]!;
      c.args = ['--controller=127.0.0.1:7001', ...(c.args as string[]).filter((a) => !a.startsWith('--controller='))];
    }, /not the controller beside it/],
  ];

  it.each(BREAKS)('fails on %s', async (_what, breakIt, expected) => {
    const broken = structuredClone(docs);
    breakIt(broken);
    const problems = await wiringProblems(broken);
    expect(problems.join('\n')).toMatch(expected);
  });
});

describe('deploy/Dockerfile', () => {
  const docs = loadDocs();

  it('is multi-stage on node:20-bookworm-slim, runs as the pods\' non-root uid, and its entrypoint is the CLI', () => {
    expect(dockerfileProblems(DOCKERFILE, docs)).toEqual([]);
    // The build context leaves out what the image makes itself.
    const ignored = fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const p of ['node_modules', 'dist', '.git']) expect(ignored, p).toContain(p);
  });

  it.each([
    ['root', (t: string) => t.replace('USER 10001:10001', 'USER root'), /not a numeric non-root uid/],
    ['another uid than the pods', (t: string) => t.replace('USER 10001:10001', 'USER 1000:1000'), /runs as 10001, the image as 1000/],
    ['an entrypoint that is not the CLI', (t: string) => t.replace('"dist/cli/main.js"', '"dist/cli/other.js"'), /ENTRYPOINT/],
    ['an entrypoint without the server Node flags', (t: string) => t.replace('"--initial-old-space-size=128", ', ''), /ENTRYPOINT/],
    ['no protos in the image', (t: string) => t.replace(/^COPY .*\/src\/protos .*$/m, ''), /does not copy protos/],
    ['a stage on another base image', (t: string) => t.replace(/^FROM \$\{NODE_IMAGE\} AS (build|deps)$/gm, 'FROM node:22 AS $1'), /not node:20-bookworm-slim/],
  ])('fails on %s', (_what, change, expected) => {
    const changed = change(DOCKERFILE);
    expect(changed).not.toBe(DOCKERFILE);
    expect(dockerfileProblems(changed, docs).join('\n')).toMatch(expected);
  });
});
