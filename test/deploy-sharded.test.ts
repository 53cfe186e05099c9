// deploy/kubernetes/sharded (issue 14, point 2) read back and checked offline:
// the overlay that runs the controller StatefulSet as a ring of three, rendered
// as kustomize would (support/k8s-manifests.ts), every object validated against
// its schema, every container's args parsed by the real CLI in each pod it runs
// in. The single layout's wiring checks hold on its objects, and the ring's
// (support/k8s-wiring.ts): --ring names every ordinal at its stable DNS name,
// each pod names itself, each shard has one worker Deployment dialing its own
// controller pod, with an HPA of its own. Each ring check is shown to fail on
// an overlay broken on purpose. It takes what it shares with the single layout
// from ../base, and loads under kustomize's default load restrictor (kubectl
// apply -k).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRing, parseRing } from '../common/ring-members.js';
import { at, BUILT_IN, cliContainers, commentedComponents, containerOf, type Doc, find, K8S, kindOf, kustomize, loadProblems, nameOf, type Obj, objs, parseContainer, podTemplates, readKustomization, setArg, withGlobal, yamlFiles } from './support/k8s-manifests.js';
import { wiringProblems } from './support/k8s-wiring.js';

const SHARDED = path.join(K8S, 'sharded');
const SHARDS = 3;
const RING = Array.from({ length: SHARDS }, (_, i) => ({ name: `punctual-controller-${i}`, address: `punctual-controller-${i}.punctual-controller-headless.punctual.svc:7000` }));
const SHARD_LABEL = 'punctual/shard';

function ringArg(c: Obj): string {
  return (c.args as string[]).find((a) => a.startsWith('--ring='))!;
}

function setRing(d: Doc[], members: string): void {
  const c = containerOf(find(d, 'StatefulSet', 'punctual-controller'));
  c.args = (c.args as string[]).map((a) => (a.startsWith('--ring=') ? `--ring=${members}` : a));
}

describe('deploy/kubernetes/sharded', () => {
  const docs = kustomize(SHARDED);
  /** The single layout (deploy/kubernetes), whose workers the shards' copy. */
  const single = kustomize(K8S);

  it('renders (with only the kustomize fields this test renders); every object is of a built-in kind and valid against its schema', () => {
    const shards = RING.flatMap((_, i) => [`Deployment punctual-worker-${i}`, `HorizontalPodAutoscaler punctual-worker-${i}`]);
    expect(docs.map((d) => `${String(d.obj.kind)} ${nameOf(d.obj)}`).sort()).toEqual(
      [...shards, 'Namespace punctual', 'Secret punctual-tokens', 'Service punctual-controller', 'Service punctual-controller-headless', 'StatefulSet punctual-controller'].sort(),
    );
    for (const d of docs) {
      const validate = BUILT_IN[kindOf(d.obj)];
      expect(validate, `${d.file}: ${kindOf(d.obj)}`).toBeDefined();
      expect(() => validate!(d.obj), `${d.file} ${nameOf(d.obj)}`).not.toThrow();
    }
  });

  it('takes every resource of the single layout but its workers (that is ../base), its namespace and image, and uses every file it holds', () => {
    const overlay = readKustomization(SHARDED);
    const singleK = readKustomization(K8S);
    const resources = (overlay.resources as string[]) ?? [];
    const shared = (singleK.resources as string[]).filter((r) => r !== 'worker.yaml' && r !== 'worker-hpa.yaml').map((r) => `../${r}`);
    expect(shared).toEqual(['../base']);
    expect(resources.filter((r) => r.startsWith('../'))).toEqual(shared);
    expect(overlay.namespace).toBe(singleK.namespace);
    expect(overlay.images).toEqual(singleK.images);
    // Every file here is a resource, a patch, or a component the comment names.
    const used = new Set([
      'kustomization.yaml',
      ...resources.filter((r) => !r.startsWith('../')),
      ...objs(overlay.patches).flatMap((p) => (typeof p.path === 'string' ? [p.path] : [])),
      ...commentedComponents(SHARDED).filter((c) => !c.startsWith('../')).map((c) => path.join(c, 'kustomization.yaml')),
    ]);
    expect(yamlFiles(SHARDED).map((f) => path.relative(SHARDED, f)).sort()).toEqual([...used].sort());
    // What it keeps of base/ is as the single layout renders it, but the controller, which only the ring patch changes.
    const kept = docs.filter((x) => !x.file.startsWith(`sharded${path.sep}`));
    expect(kept.map((d) => d.file).every((f) => f.startsWith(`base${path.sep}`))).toBe(true);
    for (const d of kept) {
      if (d.obj.kind === 'StatefulSet') continue;
      expect(d.obj, d.file).toEqual(find(single, String(d.obj.kind), nameOf(d.obj)));
    }
  });

  it('loads under kustomize\'s default load restrictor (kubectl apply -k): files only from its own folder, ../base and components as kustomization folders', () => {
    const tls = (k: Obj) => (k.components = commentedComponents(SHARDED));
    expect(loadProblems(SHARDED)).toEqual([]);
    expect(loadProblems(SHARDED, tls)).toEqual([]);
    // Each path it names is a file in this folder, or a folder outside it with a kustomization of its own.
    const overlay = readKustomization(SHARDED);
    tls(overlay);
    const named = [...(overlay.resources as string[]), ...(overlay.components as string[]), ...objs(overlay.patches).flatMap((p) => (typeof p.path === 'string' ? [p.path] : []))];
    for (const ref of named) {
      const full = path.resolve(SHARDED, ref);
      const inHere = !path.relative(SHARDED, full).startsWith('..');
      const kustomizationFolder = fs.statSync(full).isDirectory() && fs.existsSync(path.join(full, 'kustomization.yaml'));
      expect(inHere || kustomizationFolder, ref).toBe(true);
    }
    // The README says so.
    expect(fs.readFileSync(path.join(SHARDED, 'README.md'), 'utf8')).toContain('kubectl apply -k deploy/kubernetes/sharded\n');
  });

  // kustomize's default load restrictor refuses each (kubectl kustomize's own errors: "security; file ... is not in or below", "cycle detected", "must build at directory").
  const LOAD_BREAKS: [string, (k: Obj) => void, string][] = [
    ['the base\'s files by path (as the overlay once did)', (k) => (k.resources = ['../base/namespace.yaml', ...(k.resources as string[]).filter((r) => r !== '../base')]), 'sharded: resource ../base/namespace.yaml is outside sharded (the default load restrictor refuses it)'],
    ['the folder above, which holds this one', (k) => (k.resources = ['..', ...(k.resources as string[]).filter((r) => r !== '../base')]), 'sharded: resource .. contains sharded, which loads it (a cycle)'],
    ['a patch from outside its folder', (k) => (objs(k.patches)[0]!.path = '../base/controller.yaml'), 'sharded: patch ../base/controller.yaml is outside sharded (the default load restrictor refuses it)'],
    ['a folder without a kustomization', (k) => (k.resources = [...(k.resources as string[]), '../optional']), 'sharded: resource ../optional is a folder with no kustomization.yaml'],
    ['a component that is a file', (k) => (k.components = ['../components/tls/kustomization.yaml']), 'sharded: component ../components/tls/kustomization.yaml is a file, not a folder'],
    ['a resource that is not there', (k) => (k.resources = [...(k.resources as string[]), 'worker.yaml']), 'sharded: resource worker.yaml does not exist'],
  ];

  it.each(LOAD_BREAKS)('the load check refuses %s', (_what, breakIt, expected) => {
    expect(loadProblems(SHARDED, breakIt)).toEqual([expected]);
  });

  it('each shard\'s workers and HPA are the single layout\'s but for their name, shard label, --controller and rejections\' pod', () => {
    const worker = find(single, 'Deployment', 'punctual-worker');
    const hpa = find(single, 'HorizontalPodAutoscaler', 'punctual-worker');
    for (let i = 0; i < SHARDS; i++) {
      const d = structuredClone(find(docs, 'Deployment', `punctual-worker-${i}`));
      expect(at(d, 'spec', 'selector', 'matchLabels', SHARD_LABEL)).toBe(String(i));
      for (const labels of [at(d, 'metadata', 'labels'), at(d, 'spec', 'selector', 'matchLabels'), at(d, 'spec', 'template', 'metadata', 'labels')] as Obj[]) {
        expect(labels[SHARD_LABEL]).toBe(String(i));
        delete labels[SHARD_LABEL];
      }
      (d.metadata as Obj).name = 'punctual-worker';
      expect(containerOf(d).args).toContain(`--controller=${RING[i]!.address}`);
      withGlobal(containerOf(d), 'punctual-controller-headless:7000');
      expect(d, `punctual-worker-${i}`).toEqual(worker);

      const h = structuredClone(find(docs, 'HorizontalPodAutoscaler', `punctual-worker-${i}`));
      expect(at(h, 'spec', 'scaleTargetRef', 'name')).toBe(`punctual-worker-${i}`);
      delete (h.metadata as Obj & { labels: Obj }).labels[SHARD_LABEL];
      (h.metadata as Obj).name = 'punctual-worker';
      (at(h, 'spec', 'scaleTargetRef') as Obj).name = 'punctual-worker';
      const external = at(objs(at(h, 'spec', 'metrics')).find((m) => m.type === 'External'), 'external', 'metric') as Obj;
      expect(external.selector).toEqual({ matchLabels: { pod: `punctual-controller-${i}` } });
      delete external.selector;
      expect(h, `HPA punctual-worker-${i}`).toEqual(hpa);
    }
  });

  it('each controller pod runs with the ring of every ordinal and its own name, which common/ring-members.ts accepts', async () => {
    const sts = find(docs, 'StatefulSet', 'punctual-controller');
    expect(at(sts, 'spec', 'replicas')).toBe(SHARDS);
    const arg = ringArg(containerOf(sts)).slice('--ring='.length);
    expect(checkRing(parseRing(arg))).toEqual(RING);
    expect(containerOf(sts).args).toContain('--ring-name=$(POD_NAME)');
    expect(objs(containerOf(sts).env).find((e) => e.name === 'POD_NAME')).toEqual({ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
    const t = podTemplates(docs).find((x) => x.owner.obj === sts)!;
    for (let i = 0; i < SHARDS; i++) {
      const { parsed } = await parseContainer(t, containerOf(sts), `punctual-controller-${i}`);
      expect(parsed.command).toBe('controller');
      expect(parsed.flags).toMatchObject({ ring: RING, ringName: `punctual-controller-${i}`, port: 7000, adminToken: 'punctual-tokens/admin-token' });
    }
    const workers = (await cliContainers(docs)).filter((c) => c.parsed.command === 'worker');
    expect(workers.map((w) => `${nameOf(w.owner.obj)} ${String(w.parsed.globals.controller)} ${String(w.parsed.globals.token)}`).sort()).toEqual(
      RING.map((m, i) => `punctual-worker-${i} ${m.address} punctual-tokens/worker-token`),
    );
  });

  it('the wiring holds: the single layout\'s checks and the ring\'s', async () => {
    expect(await wiringProblems(docs)).toEqual([]);
  });

  it('with the TLS components its comment names: the controller\'s pair, every shard\'s CA', async () => {
    expect(commentedComponents(SHARDED)).toEqual(['../components/tls', 'tls-workers']);
    const tls = kustomize(SHARDED, (k) => (k.components = commentedComponents(SHARDED)));
    for (const d of tls) expect(() => BUILT_IN[kindOf(d.obj)]!(d.obj), `${d.file} ${nameOf(d.obj)} with TLS`).not.toThrow();
    const all = await cliContainers(tls);
    expect(all.find((c) => c.parsed.command === 'controller')!.parsed.flags).toMatchObject({ tlsCert: '/etc/punctual/tls/tls.crt', healthPort: 7001 });
    for (const w of all.filter((c) => c.parsed.command === 'worker')) expect(w.parsed.globals.tlsCa, w.where).toBe('/etc/punctual/tls/ca.crt');
    expect(await wiringProblems(tls)).toEqual([]);
    // The single layout's component alone reaches no shard's workers.
    const componentOnly = kustomize(SHARDED, (k) => (k.components = ['../components/tls']));
    expect((await wiringProblems(componentOnly)).join('\n')).toMatch(/punctual-worker-0 .*the controller speaks TLS, and the worker has no CA/);
  });

  const sts = (d: Doc[]) => find(d, 'StatefulSet', 'punctual-controller');
  const worker = (d: Doc[], i: number) => containerOf(find(d, 'Deployment', `punctual-worker-${i}`));
  const member = (i: number, address = RING[i]!.address) => `punctual-controller-${i}=${address}`;
  // Each ring check (and a few of the single layout's, on the overlay's objects) fails on an overlay broken the way it guards against.
  const BREAKS: [string, (d: Doc[]) => void, RegExp][] = [
    ['more replicas than the ring names', (d) => ((sts(d).spec as Obj).replicas = 4), /--ring lacks punctual-controller-3: it must name every ordinal of replicas 4/],
    ['a ring naming a pod that does not run', (d) => ((sts(d).spec as Obj).replicas = 2), /--ring names punctual-controller-2, no pod of replicas 2/],
    ['a member by another name than its pod\'s', (d) => setRing(d, [member(0), member(1), `shard-2=${RING[2]!.address}`].join(',')), /--ring lacks punctual-controller-2[^]*--ring names shard-2/],
    ['a member at a name outside its namespace', (d) => setRing(d, [member(0), member(1, 'punctual-controller-1.punctual-controller-headless:7000'), member(2)].join(',')), /member punctual-controller-1 at punctual-controller-1\.punctual-controller-headless:7000, not its stable DNS name/],
    ['a member at another pod\'s address', (d) => setRing(d, [member(0), member(1, RING[2]!.address), member(2)].join(',')), /member punctual-controller-1 at punctual-controller-2\./],
    ['a member on another port than --port', (d) => setRing(d, [member(0), member(1), member(2, 'punctual-controller-2.punctual-controller-headless.punctual.svc:7001')].join(',')), /member punctual-controller-2 at .*:7001, not .*:7000/],
    ['a ring that names a member twice', (d) => setRing(d, [member(0), member(1), member(1)].join(',')), /punctual refuses its args: .*named twice/],
    ['a ring name that is not the pod\'s own', (d) => setArg(containerOf(sts(d)), '--ring-name', 'punctual-controller-0'), /pod 1 runs --ring-name punctual-controller-0, not its own name punctual-controller-1/],
    ['POD_NAME from the namespace', (d) => (objs(containerOf(sts(d)).env).find((e) => e.name === 'POD_NAME')!.valueFrom = { fieldRef: { fieldPath: 'metadata.namespace' } }), /pod 0 runs --ring-name punctual, not its own name/],
    ['no --ring-name', (d) => setArg(containerOf(sts(d)), '--ring-name', undefined), /pod 0 runs --ring-name undefined/],
    ['a governing Service that hides not-ready controllers', (d) => ((find(d, 'Service', 'punctual-controller-headless').spec as Obj).publishNotReadyAddresses = false), /Service punctual-controller-headless does not publish not-ready addresses: a controller is ready only once its workers joined/],
    ['a serviceName that is not headless', (d) => ((sts(d).spec as Obj).serviceName = 'punctual-controller'), /serviceName punctual-controller is no headless Service/],
    ['workers dialing a pod under a Service that is not headless', (d) => {
      (sts(d).spec as Obj).serviceName = 'punctual-controller';
      withGlobal(worker(d, 0), 'punctual-controller-0.punctual-controller.punctual.svc:7000');
    }, /Service punctual-controller is not headless, so pod punctual-controller-0 has no DNS name under it/],
    ['three controllers without a ring', (d) => {
      setArg(containerOf(sts(d)), '--ring', undefined);
      setArg(containerOf(sts(d)), '--ring-name', undefined);
    }, /replicas 3 without --ring/],
    ['shards that start one after another', (d) => delete (sts(d).spec as Obj).podManagementPolicy, /podManagementPolicy is not Parallel/],
    ['a shard\'s workers dialing the headless Service', (d) => withGlobal(worker(d, 0), 'punctual-controller-headless:7000'), /is Service punctual-controller-headless, which reaches all 3 controllers[^]*shard punctual-controller-0 has no worker Deployment/],
    ['two shards\' workers dialing one controller', (d) => withGlobal(worker(d, 2), RING[1]!.address), /shard punctual-controller-1 has 2 worker Deployments \(punctual-worker-1, punctual-worker-2\)[^]*shard punctual-controller-2 has no worker/],
    ['workers dialing a pod the StatefulSet does not run', (d) => withGlobal(worker(d, 2), 'punctual-controller-3.punctual-controller-headless.punctual.svc:7000'), /pod punctual-controller-3 is not run by replicas 3/],
    ['workers dialing their pod on another port', (d) => withGlobal(worker(d, 1), 'punctual-controller-1.punctual-controller-headless.punctual.svc:7001'), /pod punctual-controller-1 has no port 7001, its controller listens on --port 7000/],
    ['workers dialing their pod in another namespace', (d) => withGlobal(worker(d, 1), 'punctual-controller-1.punctual-controller-headless.default.svc:7000'), /names no Service that selects the controller's pods/],
    ['shards\' Deployments whose selectors overlap', (d) => delete (at(find(d, 'Deployment', 'punctual-worker-1'), 'spec', 'selector', 'matchLabels') as Obj)[SHARD_LABEL], /Deployment punctual-worker-1's selector also selects Deployment punctual-worker-0's pods/],
    ['a shard\'s template without its shard label', (d) => delete (at(find(d, 'Deployment', 'punctual-worker-2'), 'spec', 'template', 'metadata', 'labels') as Obj)[SHARD_LABEL], /Deployment punctual-worker-2: its selector does not select its own pods' labels/],
    ['a shard without an HPA', (d) => d.splice(d.findIndex((x) => x.obj.kind === 'HorizontalPodAutoscaler' && nameOf(x.obj) === 'punctual-worker-2'), 1), /no HorizontalPodAutoscaler scales shard punctual-controller-2's workers/],
    ['a shard with no workers', (d) => {
      d.splice(d.findIndex((x) => x.obj.kind === 'HorizontalPodAutoscaler' && nameOf(x.obj) === 'punctual-worker-1'), 1);
      (find(d, 'Deployment', 'punctual-worker-1').spec as Obj).replicas = 0;
    }, /runs no workers for shard punctual-controller-1/],
    ['an HPA scaling on the whole ring\'s rejections', (d) => delete (at(objs(at(find(d, 'HorizontalPodAutoscaler', 'punctual-worker-0'), 'spec', 'metrics')).find((m) => m.type === 'External'), 'external', 'metric') as Obj).selector, /External metric selects pod undefined, not its shard's controller punctual-controller-0/],
    ['an HPA on another shard\'s rejections', (d) => ((at(objs(at(find(d, 'HorizontalPodAutoscaler', 'punctual-worker-2'), 'spec', 'metrics')).find((m) => m.type === 'External'), 'external', 'metric', 'selector', 'matchLabels') as Obj).pod = 'punctual-controller-0'), /HorizontalPodAutoscaler punctual-worker-2: External metric selects pod punctual-controller-0/],
    // The single layout's checks reach the shards' objects.
    ['a shard worker\'s token from a key the Secret lacks', (d) => (at(objs(worker(d, 1).env).find((e) => e.name === 'PUNCTUAL_TOKEN'), 'valueFrom', 'secretKeyRef') as Obj).key = 'worker', /punctual-worker-1 container worker env PUNCTUAL_TOKEN: Secret punctual-tokens has no key worker/],
    ['a shard worker\'s readiness probe off its health port', (d) => setArg(worker(d, 2), '--health-port', '9467'), /punctual-worker-2 container worker: readinessProbe .* --health-port 9467/],
    ['a controller without its admin token', (d) => {
      const c = containerOf(sts(d));
      c.env = objs(c.env).filter((e) => e.name !== 'PUNCTUAL_ADMIN_TOKEN');
    }, /would refuse to start/],
  ];

  it.each(BREAKS)('fails on %s', async (_what, breakIt, expected) => {
    const broken = structuredClone(docs);
    breakIt(broken);
    expect((await wiringProblems(broken)).join('\n')).toMatch(expected);
  });
});
