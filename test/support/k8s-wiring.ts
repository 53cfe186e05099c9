// The wiring between deploy/kubernetes' objects and the processes they run,
// for test/deploy-manifests.test.ts and test/deploy-sharded.test.ts: each
// check returns the problems it finds, as lines a person can act on (probe
// ports against the CLI's flags and defaults, Services, tokens, resources,
// autoscaling, TLS, and a ring of controllers' members, names and shards).
import fs from 'node:fs';
import path from 'node:path';
import { isLoopbackHost } from '../../common/listen-address.js';
import { checkRing, parseRing, type RingMember } from '../../common/ring-members.js';
import { checkListenSafety } from '../../controller/listen-guard.js';
import { REJECT_STATUS } from '../../controller/reasons.js';
import { at, type CliContainer, cliContainers, type Doc, isObj, K8S, kindOf, nameOf, type Obj, objs, parseContainer, podTemplates, quantity, readDocs, ROOT, secretKeys, str } from './k8s-manifests.js';

/** The container port a probe or Service names (a number, or a port's name). */
export function resolvePort(container: Obj, port: unknown): number | undefined {
  if (typeof port === 'number') return port;
  const named = objs(container.ports).find((p) => p.name === port);
  return typeof named?.containerPort === 'number' ? named.containerPort : undefined;
}

/** The probe's kind and port: grpc, or httpGet with its path. */
function probeOf(container: Obj, which: string): { kind: 'grpc' | 'http'; port: number | undefined; path?: string } | undefined {
  const p = container[which];
  if (!isObj(p)) return undefined;
  if (isObj(p.grpc)) return { kind: 'grpc', port: resolvePort(container, p.grpc.port) };
  if (isObj(p.httpGet)) return { kind: 'http', port: resolvePort(container, p.httpGet.port), path: str(p.httpGet.path) };
  return undefined;
}

export function labelsMatch(selector: unknown, labels: unknown): boolean {
  if (!isObj(selector) || !isObj(labels) || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** True when `file` lies under a mount of one of the pod's Secret volumes. */
function onSecretVolume(c: CliContainer, file: string): boolean {
  const secretVolumes = new Set(objs(c.pod.volumes).filter((v) => isObj(v.secret)).map((v) => v.name));
  return objs(c.container.volumeMounts).some((m) => secretVolumes.has(m.name) && file.startsWith(String(m.mountPath).replace(/\/?$/, '/')));
}

function controllerProblems(c: CliContainer, docs: Doc[]): string[] {
  const problems: string[] = [];
  const f = c.parsed.flags;
  const port = Number(f.port);
  const metricsPort = Number(f.metricsPort);
  const httpPort = Number(f.httpPort);
  const declared = new Map(objs(c.container.ports).map((p) => [Number(p.containerPort), p]));
  if (kindOf(c.owner.obj) === 'serving.kserve.io/v1alpha1/ServingRuntime') {
    // KServe sends V2 REST to the container's (first) port.
    const first = objs(c.container.ports)[0]?.containerPort;
    if (first !== httpPort) problems.push(`${c.where}: KServe's port ${String(first)} is not --http-port ${httpPort}`);
  } else {
    for (const [flag, p] of [['--port', port], ['--http-port', httpPort], ['--metrics-port', metricsPort]] as const) {
      if (p > 0 && !declared.has(p)) problems.push(`${c.where}: ${flag} ${p} is not among its containerPorts (${[...declared.keys()].join(', ')})`);
    }
  }
  if (metricsPort < 0) problems.push(`${c.where}: --metrics-port is off, so nothing serves /healthz, /readyz and /metrics`);
  if (isLoopbackHost(String(f.metricsHost))) problems.push(`${c.where}: --metrics-host ${String(f.metricsHost)} is loopback: the kubelet's probes and Prometheus connect to the pod's IP`);
  // The process must start at all: not loopback needs an admin token (or --insecure).
  try {
    checkListenSafety(String(f.host), { ...(f.adminToken ? { adminToken: String(f.adminToken) } : {}) }, f.insecure === true);
  } catch (err) {
    problems.push(`${c.where}: the controller would refuse to start: ${err instanceof Error ? err.message.slice(0, 80) : String(err)}`);
  }
  const tls = f.tlsCert !== undefined;
  if (tls) {
    for (const file of [f.tlsCert, f.tlsKey]) if (!onSecretVolume(c, String(file))) problems.push(`${c.where}: ${String(file)} is on no Secret volume it mounts`);
    // The metrics port speaks HTTPS with the listener's pair: probes and Prometheus must too.
    for (const which of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
      const get = at(c.container, which, 'httpGet');
      if (isObj(get) && get.scheme !== 'HTTPS') problems.push(`${c.where}: ${which} speaks HTTP to a metrics port that speaks HTTPS`);
    }
    if (at(c.podMeta, 'annotations', 'prometheus.io/scheme') !== 'https') problems.push(`${c.where}: Prometheus would scrape HTTPS metrics over HTTP`);
  }
  const ready = probeOf(c.container, 'readinessProbe');
  if (c.owner.obj.kind === 'StatefulSet' || ready) {
    // grpc.health.v1 on the client port, or on --health-port (plaintext); only there where the listener speaks TLS (the kubelet's gRPC probe does not).
    const healthPort = Number(f.healthPort ?? -1);
    if (tls && healthPort < 0) problems.push(`${c.where}: the listener speaks TLS and --health-port is off: a kubelet's gRPC probe has nothing it can reach`);
    const grpcPorts = (tls ? [healthPort] : [port, healthPort]).filter((p) => p >= 0);
    if (!ready || ready.kind !== 'grpc' || !grpcPorts.includes(Number(ready.port))) {
      problems.push(`${c.where}: readinessProbe ${JSON.stringify(ready)} is not grpc on ${tls ? `--health-port ${healthPort} (the listener speaks TLS)` : `--port ${port}${healthPort >= 0 ? ` or --health-port ${healthPort}` : ''}`}`);
    }
    for (const which of ['livenessProbe', 'startupProbe']) {
      const p = probeOf(c.container, which);
      if (!p || p.kind !== 'http' || p.port !== metricsPort || p.path !== '/healthz') {
        problems.push(`${c.where}: ${which} ${JSON.stringify(p)} is not /healthz on --metrics-port ${metricsPort}`);
      }
    }
  }
  if (c.owner.obj.kind === 'StatefulSet') {
    // --repo on the claimed volume, in a folder of it (not its root, where lost+found lives).
    const claims = new Set(objs(at(c.owner.obj, 'spec', 'volumeClaimTemplates')).map((t) => String(at(t, 'metadata', 'name'))));
    const repo = String(f.repo);
    const mount = objs(c.container.volumeMounts).find((m) => claims.has(String(m.name)) && repo.startsWith(String(m.mountPath).replace(/\/?$/, '/')));
    if (!mount) problems.push(`${c.where}: --repo ${repo} is not in a folder of a volume from its volumeClaimTemplates`);
    // The seeding init container builds the repository the controller reads.
    for (const init of objs(c.pod.initContainers)) {
      const script = (Array.isArray(init.command) ? init.command : []).map(String).join(' ');
      const m = /import\('([^']+)'\)[^]*ensureDefaultRepository\('([^']+)'\)/.exec(script);
      if (!m) continue;
      const source = path.join(ROOT, path.relative('/app/dist', m[1]!).replace(/\.js$/, '.ts'));
      if (!fs.existsSync(source) || !/export async function ensureDefaultRepository\b/.test(fs.readFileSync(source, 'utf8'))) {
        problems.push(`${c.where}: init container ${String(init.name)} imports ${m[1]!}, whose source ${path.relative(ROOT, source)} exports no ensureDefaultRepository`);
      }
      if (m[2] !== repo) problems.push(`${c.where}: init container ${String(init.name)} seeds ${m[2]!}, the controller reads --repo ${repo}`);
    }
    // The Services: one that publishes not-ready addresses for the workers, with the gRPC port.
    const services = docs.filter((d) => kindOf(d.obj) === 'v1/Service' && labelsMatch(at(d.obj, 'spec', 'selector'), c.podMeta.labels));
    if (services.length === 0) problems.push(`${c.where}: no Service selects the controller's pods`);
    for (const s of services) {
      for (const p of objs(at(s.obj, 'spec', 'ports'))) {
        const target = resolvePort(c.container, p.targetPort ?? p.port);
        if (target === undefined || !declared.has(target)) problems.push(`${s.file} Service ${nameOf(s.obj)}: port ${String(p.name)} targets ${String(p.targetPort)}, which the controller does not declare`);
      }
    }
  }
  return problems;
}

/** Where a worker's --controller host leads, as cluster DNS resolves it. */
interface Dialed {
  service: Doc;
  controller: CliContainer;
  /** Set when the host is one StatefulSet pod's stable name. */
  ordinal?: number;
}

/**
 * A Service (`svc`, `svc.ns`, `svc.ns.svc…`) that selects a controller
 * StatefulSet's pods, or one of its pods by its stable name under the
 * StatefulSet's governing Service (`sts-N.svc`, `sts-N.svc.ns.svc…`).
 */
export function dialedOf(host: string, docs: Doc[], controllers: CliContainer[]): Dialed | undefined {
  const labels = host.split('.');
  const service = (name: string | undefined, rest: string[]) =>
    docs.find((d) => kindOf(d.obj) === 'v1/Service' && nameOf(d.obj) === name && (rest.length === 0 || (rest[0] === at(d.obj, 'metadata', 'namespace') && (rest.length === 1 || rest[1] === 'svc'))));
  for (const k of controllers.filter((x) => x.owner.obj.kind === 'StatefulSet')) {
    const ordinal = labels[0]!.startsWith(`${nameOf(k.owner.obj)}-`) ? /^\d+$/.exec(labels[0]!.slice(nameOf(k.owner.obj).length + 1))?.[0] : undefined;
    const governing = service(str(at(k.owner.obj, 'spec', 'serviceName')), labels.slice(2));
    if (ordinal !== undefined && labels[1] === at(k.owner.obj, 'spec', 'serviceName') && governing && labelsMatch(at(governing.obj, 'spec', 'selector'), k.podMeta.labels)) {
      return { service: governing, controller: k, ordinal: Number(ordinal) };
    }
  }
  const s = service(labels[0], labels.slice(1));
  const controller = controllers.find((k) => k.owner.obj.kind === 'StatefulSet' && s && labelsMatch(at(s.obj, 'spec', 'selector'), k.podMeta.labels));
  return s && controller ? { service: s, controller } : undefined;
}

function workerProblems(c: CliContainer, docs: Doc[], controllers: CliContainer[]): string[] {
  const problems: string[] = [];
  const f = c.parsed.flags;
  const metricsPort = Number(f.metricsPort);
  const healthPort = Number(f.healthPort);
  const kserve = kindOf(c.owner.obj) === 'serving.kserve.io/v1alpha1/ServingRuntime';
  if (!kserve) {
    if (isLoopbackHost(String(f.listenHost))) problems.push(`${c.where}: --listen-host ${String(f.listenHost)} is loopback: the kubelet's probes and Prometheus connect to the pod's IP`);
    const ready = probeOf(c.container, 'readinessProbe');
    if (!ready || ready.kind !== 'grpc' || ready.port !== healthPort) problems.push(`${c.where}: readinessProbe ${JSON.stringify(ready)} is not grpc on --health-port ${healthPort}`);
    const live = probeOf(c.container, 'livenessProbe');
    if (!live || live.kind !== 'http' || live.port !== metricsPort || live.path !== '/healthz') problems.push(`${c.where}: livenessProbe ${JSON.stringify(live)} is not /healthz on --metrics-port ${metricsPort}`);
  }
  // --controller: a Service that selects the controller's pods (and reaches them before they are ready), on the controller's --port.
  const [host, portText] = String(c.parsed.globals.controller).split(/:(?=\d+$)/);
  const port = Number(portText);
  if (kserve) {
    const beside = controllers.find((k) => k.owner === c.owner);
    if (!beside || !isLoopbackHost(host!) || Number(beside.parsed.flags.port) !== port) problems.push(`${c.where}: --controller ${String(c.parsed.globals.controller)} is not the controller beside it`);
  } else {
    const target = dialedOf(host!, docs, controllers);
    if (!target) {
      problems.push(`${c.where}: --controller ${String(c.parsed.globals.controller)} names no Service that selects the controller's pods, nor a controller pod under its StatefulSet's serviceName`);
    } else {
      const serviceName = nameOf(target.service.obj);
      const controllerPort = Number(target.controller.parsed.flags.port);
      if (target.ordinal === undefined) {
        const sp = objs(at(target.service.obj, 'spec', 'ports')).find((p) => p.port === port);
        if (!sp || resolvePort(target.controller.container, sp.targetPort ?? sp.port) !== controllerPort) {
          problems.push(`${c.where}: --controller ${String(c.parsed.globals.controller)}: Service ${serviceName} has no port ${port} to the controller's --port ${controllerPort}`);
        }
      } else {
        // A pod's own name: its address, so the port is the container's, with no Service's mapping.
        const pod = `${nameOf(target.controller.owner.obj)}-${target.ordinal}`;
        if (port !== controllerPort) problems.push(`${c.where}: --controller ${String(c.parsed.globals.controller)}: pod ${pod} has no port ${port}, its controller listens on --port ${controllerPort}`);
        if (at(target.service.obj, 'spec', 'clusterIP') !== 'None') problems.push(`${c.where}: --controller ${String(c.parsed.globals.controller)}: Service ${serviceName} is not headless, so pod ${pod} has no DNS name under it`);
        const replicas = Number(at(target.controller.owner.obj, 'spec', 'replicas') ?? 1);
        if (target.ordinal >= replicas) problems.push(`${c.where}: --controller ${String(c.parsed.globals.controller)}: pod ${pod} is not run by replicas ${replicas}`);
      }
      if (at(target.service.obj, 'spec', 'publishNotReadyAddresses') !== true) {
        problems.push(`${c.where}: Service ${serviceName} does not publish not-ready addresses, but the controller is ready only once a worker has joined`);
      }
    }
  }
  const dialed = kserve ? controllers.find((k) => k.owner === c.owner) : dialedOf(host!, docs, controllers)?.controller;
  if (dialed?.parsed.flags.tlsCert !== undefined) {
    const ca = c.parsed.globals.tlsCa;
    if (ca === undefined || !onSecretVolume(c, String(ca))) problems.push(`${c.where}: the controller speaks TLS, and the worker has no CA (PUNCTUAL_TLS_CA, --tls-ca) on a Secret volume: ${String(ca)}`);
  }
  if (!c.parsed.globals.token) problems.push(`${c.where}: the worker has no token (PUNCTUAL_TOKEN or --token), and the controller has tokens`);
  // Resources: cpu = executors × threads, requested and limited alike; memory above the models' budget.
  const cores = Number(f.executors) * Number(f.threads);
  for (const which of ['requests', 'limits']) {
    const cpu = quantity(at(c.container, 'resources', which, 'cpu'));
    if (cpu !== cores) problems.push(`${c.where}: resources.${which}.cpu ${String(at(c.container, 'resources', which, 'cpu'))} is not --executors ${String(f.executors)} × --threads ${String(f.threads)} = ${cores}`);
  }
  const memory = quantity(at(c.container, 'resources', 'limits', 'memory'));
  const device = String(f.device);
  const gpus = quantity(at(c.container, 'resources', 'limits', 'nvidia.com/gpu'));
  if (device.startsWith('cuda:')) {
    const index = Number(device.slice('cuda:'.length));
    if (!(gpus > index)) problems.push(`${c.where}: --device ${device} needs nvidia.com/gpu ≥ ${index + 1} in its limits, has ${String(at(c.container, 'resources', 'limits', 'nvidia.com/gpu'))}`);
  } else {
    if (gpus > 0) problems.push(`${c.where}: asks for nvidia.com/gpu but runs --device ${device}`);
    if (!(memory > Number(f.memory))) problems.push(`${c.where}: memory limit ${String(at(c.container, 'resources', 'limits', 'memory'))} is not above --memory ${String(f.memory)} bytes`);
  }
  return problems;
}

/**
 * A controller StatefulSet run as a ring (`--ring`): the members are its
 * ordinals, each at its stable DNS name, each pod names itself, each shard has
 * workers of its own (and its own HPA), and the shards start independently.
 */
async function ringProblems(c: CliContainer, docs: Doc[], controllers: CliContainer[], workers: CliContainer[]): Promise<string[]> {
  const problems: string[] = [];
  if (c.owner.obj.kind !== 'StatefulSet') return [`${c.where}: --ring outside a StatefulSet: members need stable names and addresses`];
  const sts = c.owner.obj;
  const name = nameOf(sts);
  const replicas = Number(at(sts, 'spec', 'replicas') ?? 1);
  const serviceName = String(at(sts, 'spec', 'serviceName'));
  const namespace = String(at(sts, 'metadata', 'namespace'));
  const port = Number(c.parsed.flags.port);
  const ordinals = Array.from({ length: replicas }, (_, i) => `${name}-${i}`);
  // The list as the CLI reads it, and as common/ring-members.ts checks one from the wire.
  const spec = c.args.flatMap((a, i) => (a.startsWith('--ring=') ? [a.slice('--ring='.length)] : a === '--ring' ? [c.args[i + 1] ?? ''] : [])).at(-1) ?? '';
  let members: RingMember[] = [];
  try {
    members = checkRing(parseRing(spec));
  } catch (err) {
    problems.push(`${c.where}: --ring ${spec}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const names = members.map((m) => m.name);
  const missing = ordinals.filter((o) => !names.includes(o));
  const extra = names.filter((n) => !ordinals.includes(n));
  if (missing.length > 0) problems.push(`${c.where}: --ring lacks ${missing.join(', ')}: it must name every ordinal of replicas ${replicas}`);
  if (extra.length > 0) problems.push(`${c.where}: --ring names ${extra.join(', ')}, no pod of replicas ${replicas}`);
  for (const m of members.filter((x) => ordinals.includes(x.name))) {
    const want = `${m.name}.${serviceName}.${namespace}.svc:${port}`;
    if (m.address !== want) problems.push(`${c.where}: --ring member ${m.name} at ${m.address}, not its stable DNS name and --port, ${want}`);
  }
  const governing = docs.find((d) => kindOf(d.obj) === 'v1/Service' && nameOf(d.obj) === serviceName && at(d.obj, 'metadata', 'namespace') === namespace);
  if (!governing || at(governing.obj, 'spec', 'clusterIP') !== 'None' || !labelsMatch(at(governing.obj, 'spec', 'selector'), c.podMeta.labels)) {
    problems.push(`${c.where}: serviceName ${serviceName} is no headless Service selecting its pods, so the ring's addresses resolve to nothing`);
  } else if (at(governing.obj, 'spec', 'publishNotReadyAddresses') !== true) {
    problems.push(`${c.where}: Service ${serviceName} does not publish not-ready addresses: a controller is ready only once its workers joined, by its DNS name`);
  }
  if (at(sts, 'spec', 'podManagementPolicy') !== 'Parallel') problems.push(`${c.where}: podManagementPolicy is not Parallel: pod N+1 would wait for shard N to be ready (its workers and models)`);
  // --ring-name: each pod's own name (the downward API's metadata.name), parsed as that pod runs it.
  for (const [i, pod] of ordinals.entries()) {
    const t = podTemplates([c.owner])[0]!;
    const ringName = (await parseContainer(t, c.container, pod)).parsed.flags.ringName;
    if (ringName !== pod) problems.push(`${c.where}: pod ${i} runs --ring-name ${String(ringName)}, not its own name ${pod}`);
  }
  // The shards' workers: each Deployment dials one ordinal by its stable name; every ordinal has one, with workers.
  const byOrdinal = new Map<number, CliContainer[]>();
  for (const w of workers.filter((x) => x.owner.obj.kind === 'Deployment')) {
    const target = dialedOf(String(w.parsed.globals.controller).replace(/:\d+$/, ''), docs, controllers);
    if (target?.controller !== c) continue;
    if (target.ordinal === undefined) {
      problems.push(`${w.where}: --controller ${String(w.parsed.globals.controller)} is Service ${nameOf(target.service.obj)}, which reaches all ${replicas} controllers of the ring: a worker would serve whichever shard it lands on`);
    } else {
      byOrdinal.set(target.ordinal, [...(byOrdinal.get(target.ordinal) ?? []), w]);
    }
  }
  const hpas = docs.filter((d) => kindOf(d.obj) === 'autoscaling/v2/HorizontalPodAutoscaler');
  for (const [i, pod] of ordinals.entries()) {
    const shard = byOrdinal.get(i) ?? [];
    if (shard.length === 0) problems.push(`${c.where}: shard ${pod} has no worker Deployment dialing it`);
    if (shard.length > 1) problems.push(`${c.where}: shard ${pod} has ${shard.length} worker Deployments (${shard.map((w) => nameOf(w.owner.obj)).join(', ')}): one per shard`);
    for (const w of shard) {
      const hpa = hpas.find((h) => at(h.obj, 'spec', 'scaleTargetRef', 'kind') === 'Deployment' && at(h.obj, 'spec', 'scaleTargetRef', 'name') === nameOf(w.owner.obj));
      const count = Number(hpa ? (at(hpa.obj, 'spec', 'minReplicas') ?? 1) : (at(w.owner.obj, 'spec', 'replicas') ?? 1));
      if (!(count > 0)) problems.push(`${w.where}: runs no workers for shard ${pod}`);
      if (!hpa) problems.push(`${w.where}: no HorizontalPodAutoscaler scales shard ${pod}'s workers`);
      // Capacity rejections: the shard's own controller's, not the sum over the ring.
      for (const m of objs(at(hpa?.obj, 'spec', 'metrics')).filter((x) => x.type === 'External')) {
        const pods = at(m, 'external', 'metric', 'selector', 'matchLabels', 'pod');
        if (pods !== pod) problems.push(`${hpa!.file} HorizontalPodAutoscaler ${nameOf(hpa!.obj)}: External metric selects pod ${String(pods)}, not its shard's controller ${pod}`);
      }
    }
  }
  // Each shard's Deployment owns its pods only.
  const deployments = [...byOrdinal.values()].flat().map((w) => w.owner.obj);
  for (const a of deployments) {
    for (const b of deployments) {
      if (a !== b && labelsMatch(at(a, 'spec', 'selector', 'matchLabels'), at(b, 'spec', 'template', 'metadata', 'labels'))) problems.push(`Deployment ${nameOf(a)}'s selector also selects Deployment ${nameOf(b)}'s pods`);
    }
  }
  return problems;
}

export async function wiringProblems(docs: Doc[]): Promise<string[]> {
  const problems: string[] = [];
  const all = await cliContainers(docs, problems);
  const controllers = all.filter((c) => c.parsed.command === 'controller');
  const workers = all.filter((c) => c.parsed.command === 'worker');
  if (!controllers.some((c) => c.owner.obj.kind === 'StatefulSet')) problems.push('no controller StatefulSet');
  for (const { owner, podMeta } of podTemplates(docs)) {
    const selector = at(owner.obj, 'spec', 'selector', 'matchLabels');
    if (selector !== undefined && !labelsMatch(selector, podMeta.labels)) problems.push(`${owner.file} ${String(owner.obj.kind)} ${nameOf(owner.obj)}: its selector does not select its own pods' labels (the API server refuses it)`);
  }
  if (!workers.some((c) => c.owner.obj.kind === 'Deployment')) problems.push('no worker Deployment');
  for (const c of all) {
    if (c.parsed.command !== 'controller' && c.parsed.command !== 'worker') problems.push(`${c.where}: runs \`punctual ${c.parsed.command}\``);
  }
  for (const c of controllers) problems.push(...controllerProblems(c, docs));
  for (const c of workers) problems.push(...workerProblems(c, docs, controllers));
  for (const c of controllers) {
    if (c.parsed.flags.ring !== undefined) problems.push(...(await ringProblems(c, docs, controllers, workers)));
    else if (c.owner.obj.kind === 'StatefulSet' && Number(at(c.owner.obj, 'spec', 'replicas') ?? 1) > 1) {
      problems.push(`${c.where}: replicas ${String(at(c.owner.obj, 'spec', 'replicas'))} without --ring: controllers that know nothing of each other, behind one Service`);
    }
  }

  // Tokens: every token variable from a Secret of the manifests, by a key it has; never a literal.
  const secrets = secretKeys(docs);
  for (const { owner, pod } of podTemplates(docs)) {
    for (const container of [...objs(pod.containers), ...objs(pod.initContainers)]) {
      for (const e of objs(container.env)) {
        if (!/^PUNCTUAL_\w*TOKEN$/.test(String(e.name))) continue;
        const ref = at(e, 'valueFrom', 'secretKeyRef');
        const where = `${owner.file} ${nameOf(owner.obj)} container ${String(container.name)} env ${String(e.name)}`;
        if (e.value !== undefined || !isObj(ref)) problems.push(`${where}: a literal value, not a secretKeyRef`);
        else if (!secrets.get(String(ref.name))?.has(String(ref.key))) problems.push(`${where}: Secret ${String(ref.name)} has no key ${String(ref.key)}`);
      }
      if (objs(container.envFrom).length > 0) problems.push(`${owner.file} ${nameOf(owner.obj)}: envFrom hides which variables it sets`);
    }
  }
  for (const c of all) {
    const f = c.parsed.flags;
    const role = c.parsed.command;
    // The tokens the process ends up with: the controller's three, the worker's one.
    const wanted = role === 'controller' ? ['adminToken', 'inferToken', 'workerToken'] : [];
    for (const t of wanted) if (!f[t]) problems.push(`${c.where}: no ${t}`);
    // Prometheus: scraped on the metrics port.
    const ann = (isObj(c.podMeta.annotations) ? c.podMeta.annotations : {}) as Obj;
    if (c.owner.obj.kind !== 'ServingRuntime') {
      if (ann['prometheus.io/scrape'] !== 'true' || ann['prometheus.io/port'] !== String(f.metricsPort)) {
        problems.push(`${c.where}: prometheus.io annotations ${JSON.stringify(ann)} do not scrape --metrics-port ${String(f.metricsPort)}`);
      }
      const grace = Number(c.pod.terminationGracePeriodSeconds ?? 30);
      if (!(grace > Number(f.drainTimeout))) problems.push(`${c.where}: terminationGracePeriodSeconds ${grace} is not above --drain-timeout ${String(f.drainTimeout)}`);
    }
  }

  // The HorizontalPodAutoscaler: its target exists; its metrics are the adapter's, made of metrics the processes export.
  // The adapter's rules: an overlay's render lacks them (they are Helm values), so they come from the file.
  const adapterFile = path.join('optional', 'prometheus-adapter-values.yaml');
  const adapter = (docs.find((d) => d.file === adapterFile) ?? readDocs(path.join(K8S, adapterFile))[0])?.obj;
  const rules = [...objs(at(adapter, 'rules', 'custom')), ...objs(at(adapter, 'rules', 'external'))];
  const exported = new Set(
    ['controller/metrics.ts', 'worker/worker-observability.ts'].flatMap((f) => [...fs.readFileSync(path.join(ROOT, f), 'utf8').matchAll(/name: '(punctual_\w+)'/g)].map((m) => m[1]!)),
  );
  for (const r of rules) {
    const series = /^(\w+)\{/.exec(String(r.seriesQuery))?.[1];
    if (!series || !exported.has(series)) problems.push(`prometheus-adapter rule ${String(at(r, 'name', 'as'))}: ${String(series)} is no metric Punctual exports`);
    for (const m of String(r.metricsQuery).matchAll(/reason=~"([^"]+)"/g)) {
      for (const reason of m[1]!.split('|')) if (!(reason in REJECT_STATUS)) problems.push(`prometheus-adapter rule ${String(at(r, 'name', 'as'))}: ${reason} is no rejection reason`);
    }
  }
  for (const d of docs.filter((x) => kindOf(x.obj) === 'autoscaling/v2/HorizontalPodAutoscaler')) {
    const ref = at(d.obj, 'spec', 'scaleTargetRef');
    const target = docs.find((x) => x.obj.kind === at(ref, 'kind') && nameOf(x.obj) === at(ref, 'name'));
    if (!target) problems.push(`${d.file}: scaleTargetRef ${JSON.stringify(ref)} names nothing in the manifests`);
    for (const m of objs(at(d.obj, 'spec', 'metrics'))) {
      const kind = m.type === 'Pods' ? 'custom' : m.type === 'External' ? 'external' : undefined;
      const name = String(at(m, kind === 'custom' ? 'pods' : 'external', 'metric', 'name'));
      const rule = kind ? objs(at(adapter, 'rules', kind)).find((r) => at(r, 'name', 'as') === name) : undefined;
      if (!rule) problems.push(`${d.file}: metric ${String(m.type)} ${name} is no ${String(kind)} rule of optional/prometheus-adapter-values.yaml`);
    }
  }

  // prometheus-operator: the ServiceMonitor's port is a Service's, the PodMonitor's a container's.
  for (const d of docs) {
    if (kindOf(d.obj) === 'monitoring.coreos.com/v1/ServiceMonitor') {
      const sel = at(d.obj, 'spec', 'selector', 'matchLabels');
      const ports = docs.filter((x) => kindOf(x.obj) === 'v1/Service' && labelsMatch(sel, at(x.obj, 'metadata', 'labels'))).flatMap((x) => objs(at(x.obj, 'spec', 'ports')).map((p) => p.name));
      for (const e of objs(at(d.obj, 'spec', 'endpoints'))) if (!ports.includes(e.port)) problems.push(`${d.file} ServiceMonitor: port ${String(e.port)} is on no Service it selects`);
    }
    if (kindOf(d.obj) === 'monitoring.coreos.com/v1/PodMonitor') {
      const values = objs(at(d.obj, 'spec', 'selector', 'matchExpressions')).flatMap((e) => (Array.isArray(e.values) ? e.values : []));
      const selected = workers.filter((w) => values.includes(at(w.podMeta, 'labels', 'app.kubernetes.io/component')));
      if (selected.length === 0) problems.push(`${d.file} PodMonitor: selects no worker`);
      for (const e of objs(at(d.obj, 'spec', 'podMetricsEndpoints'))) {
        for (const w of selected) if (resolvePort(w.container, e.port) !== Number(w.parsed.flags.metricsPort)) problems.push(`${d.file} PodMonitor: port ${String(e.port)} is not ${w.where}'s --metrics-port`);
      }
    }
  }
  return problems;
}

