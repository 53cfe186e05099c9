// deploy/ read back and checked offline (issue 14): the container image
// (deploy/Dockerfile) and the Kubernetes manifests (deploy/kubernetes/). No
// cluster, no Docker engine: every YAML document is parsed, every object of
// a built-in kind is validated against its kind's OpenAPI schema
// (kubernetes-models), and the wiring between the objects and the processes
// is checked: each container's args are parsed by the real `punctual` CLI
// (its flags and defaults, with the container's environment), and the probe
// ports, Prometheus annotations, Services, tokens, CPU and memory must agree
// with what the processes will do. Each wiring check is also shown to fail on
// a manifest broken on purpose.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Namespace, Secret, Service } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import type { CliContext } from '../cli/context.js';
import { buildProgram } from '../cli/program.js';
import { isLoopbackHost } from '../common/listen-address.js';
import { SERVER_NODE_FLAGS } from '../common/node-flags.js';
import { checkListenSafety } from '../controller/listen-guard.js';
import { REJECT_STATUS } from '../controller/reasons.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEPLOY = path.join(ROOT, 'deploy');
const K8S = path.join(DEPLOY, 'kubernetes');

type Obj = Record<string, unknown>;

/** One YAML document: its file (relative to deploy/kubernetes/) and its value. */
interface Doc {
  file: string;
  obj: Obj;
}

// ---- reading --------------------------------------------------------------

function yamlFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? yamlFiles(path.join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [path.join(dir, e.name)] : []))
    .sort();
}

function loadDocs(): Doc[] {
  const docs: Doc[] = [];
  for (const full of yamlFiles(K8S)) {
    const file = path.relative(K8S, full);
    for (const d of parseAllDocuments(fs.readFileSync(full, 'utf8'))) {
      if (d.errors.length > 0) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`);
      const v: unknown = d.toJS();
      if (v === null || v === undefined) continue;
      if (!isObj(v)) throw new Error(`${file}: a document that is not a mapping`);
      docs.push({ file, obj: v });
    }
  }
  return docs;
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function at(v: unknown, ...keys: (string | number)[]): unknown {
  let cur = v;
  for (const k of keys) {
    if (typeof k === 'number') cur = Array.isArray(cur) ? (cur as unknown[])[k] : undefined;
    else cur = isObj(cur) ? cur[k] : undefined;
  }
  return cur;
}

function objs(v: unknown): Obj[] {
  return Array.isArray(v) ? v.filter(isObj) : [];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function kindOf(o: Obj): string {
  return `${String(o.apiVersion)}/${String(o.kind)}`;
}

function nameOf(o: Obj): string {
  return String(at(o, 'metadata', 'name'));
}

// ---- kinds ----------------------------------------------------------------

type Validator = (o: Obj) => void;
/** The built-in kinds the manifests use, each with its schema (kubernetes-models validates offline). */
const BUILT_IN: Record<string, Validator> = {
  'v1/Namespace': (o) => new Namespace(o as ConstructorParameters<typeof Namespace>[0]).validate(),
  'v1/Secret': (o) => new Secret(o as ConstructorParameters<typeof Secret>[0]).validate(),
  'v1/Service': (o) => new Service(o as ConstructorParameters<typeof Service>[0]).validate(),
  'apps/v1/StatefulSet': (o) => new StatefulSet(o as ConstructorParameters<typeof StatefulSet>[0]).validate(),
  'apps/v1/Deployment': (o) => new Deployment(o as ConstructorParameters<typeof Deployment>[0]).validate(),
  'autoscaling/v2/HorizontalPodAutoscaler': (o) => new HorizontalPodAutoscaler(o as ConstructorParameters<typeof HorizontalPodAutoscaler>[0]).validate(),
};
/** Kinds of CRDs (or kustomize's own files), checked by the wiring below but with no schema here. */
const CUSTOM = new Set([
  'kustomize.config.k8s.io/v1beta1/Kustomization',
  'kustomize.config.k8s.io/v1alpha1/Component',
  'monitoring.coreos.com/v1/ServiceMonitor',
  'monitoring.coreos.com/v1/PodMonitor',
  'serving.kserve.io/v1alpha1/ServingRuntime',
]);
/** Files that hold no Kubernetes object: values for a Helm chart. */
const NOT_OBJECTS = new Set(['optional/prometheus-adapter-values.yaml']);

// ---- quantities -----------------------------------------------------------

const SUFFIX: Record<string, number> = { m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

/** A Kubernetes quantity ("2", "500m", "3Gi") as a number; NaN when it is none. */
function quantity(v: unknown): number {
  const m = /^(\d+(?:\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(String(v));
  return m ? Number(m[1]) * SUFFIX[m[2] ?? '']! : NaN;
}

// ---- the CLI --------------------------------------------------------------

interface ParsedArgs {
  command: string;
  flags: Record<string, unknown>;
  globals: Record<string, unknown>;
}

/**
 * What `punctual <args>` would run with, as the real CLI parses it (its flags,
 * their defaults, the environment it reads): each command's action is
 * replaced by one that records its options, so nothing starts.
 */
async function parseCli(args: readonly string[], env: Record<string, string>): Promise<ParsedArgs> {
  const sink = { write: () => true };
  const ctx: CliContext = { io: { stdout: sink, stderr: sink, env, cwd: DEPLOY }, exitCode: 0 };
  const program = await buildProgram(ctx, args);
  let parsed: ParsedArgs | undefined;
  for (const cmd of program.commands) {
    cmd.action((flags: Record<string, unknown>, c: Command) => {
      parsed = { command: c.name(), flags, globals: c.optsWithGlobals() };
    });
  }
  await program.parseAsync([...args], { from: 'user' });
  if (!parsed) throw new Error(`punctual ${args.join(' ')} runs no command`);
  return parsed;
}

/** A container running the image's ENTRYPOINT (the CLI): no `command` of its own. */
interface CliContainer {
  where: string;
  owner: Doc;
  pod: Obj;
  podMeta: Obj;
  container: Obj;
  parsed: ParsedArgs;
}

/** Every pod template in the objects: Deployments, StatefulSets, and a ServingRuntime's containers. */
function podTemplates(docs: Doc[]): { owner: Doc; pod: Obj; podMeta: Obj }[] {
  const out: { owner: Doc; pod: Obj; podMeta: Obj }[] = [];
  for (const d of docs) {
    const k = kindOf(d.obj);
    if (k === 'apps/v1/Deployment' || k === 'apps/v1/StatefulSet') {
      out.push({ owner: d, pod: (at(d.obj, 'spec', 'template', 'spec') as Obj) ?? {}, podMeta: (at(d.obj, 'spec', 'template', 'metadata') as Obj) ?? {} });
    } else if (k === 'serving.kserve.io/v1alpha1/ServingRuntime') {
      out.push({ owner: d, pod: (at(d.obj, 'spec') as Obj) ?? {}, podMeta: {} });
    }
  }
  return out;
}

/** The Secrets in the manifests: name → its keys. */
function secretKeys(docs: Doc[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const d of docs) {
    if (kindOf(d.obj) !== 'v1/Secret') continue;
    out.set(nameOf(d.obj), new Set([...Object.keys((at(d.obj, 'stringData') as Obj) ?? {}), ...Object.keys((at(d.obj, 'data') as Obj) ?? {})]));
  }
  return out;
}

/** The container's environment as the process sees it: a Secret's value stands in as `<secret>/<key>`. */
function envOf(container: Obj): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of objs(container.env)) {
    const name = String(e.name);
    const ref = at(e, 'valueFrom', 'secretKeyRef');
    if (isObj(ref)) env[name] = `${String(ref.name)}/${String(ref.key)}`;
    else if (typeof e.value === 'string') env[name] = e.value;
  }
  return env;
}

/** The containers that run the CLI, parsed; `refused` gathers the args the CLI would refuse (exit 2). */
async function cliContainers(docs: Doc[], refused: string[] = []): Promise<CliContainer[]> {
  const out: CliContainer[] = [];
  for (const { owner, pod, podMeta } of podTemplates(docs)) {
    for (const container of objs(pod.containers)) {
      if (container.command !== undefined) continue;
      const args = (Array.isArray(container.args) ? container.args : []).map(String);
      const where = `${owner.file} ${String(owner.obj.kind)} ${nameOf(owner.obj)} container ${String(container.name)}`;
      try {
        out.push({ where, owner, pod, podMeta, container, parsed: await parseCli(args, envOf(container)) });
      } catch (err) {
        refused.push(`${where}: punctual refuses its args: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  return out;
}

// ---- the wiring -----------------------------------------------------------

/** The container port a probe or Service names (a number, or a port's name). */
function resolvePort(container: Obj, port: unknown): number | undefined {
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

function labelsMatch(selector: unknown, labels: unknown): boolean {
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
    const serviceName = host!.split('.')[0]!;
    const service = docs.find((d) => kindOf(d.obj) === 'v1/Service' && nameOf(d.obj) === serviceName);
    const controller = controllers.find((k) => k.owner.obj.kind === 'StatefulSet' && service && labelsMatch(at(service.obj, 'spec', 'selector'), k.podMeta.labels));
    if (!service || !controller) {
      problems.push(`${c.where}: --controller ${String(c.parsed.globals.controller)} names no Service that selects the controller's pods`);
    } else {
      const sp = objs(at(service.obj, 'spec', 'ports')).find((p) => p.port === port);
      if (!sp || resolvePort(controller.container, sp.targetPort ?? sp.port) !== Number(controller.parsed.flags.port)) {
        problems.push(`${c.where}: --controller ${String(c.parsed.globals.controller)}: Service ${serviceName} has no port ${port} to the controller's --port ${String(controller.parsed.flags.port)}`);
      }
      if (at(service.obj, 'spec', 'publishNotReadyAddresses') !== true) {
        problems.push(`${c.where}: Service ${serviceName} does not publish not-ready addresses, but the controller is ready only once a worker has joined`);
      }
    }
  }
  const dialed = kserve ? controllers.find((k) => k.owner === c.owner) : controllers.find((k) => k.owner.obj.kind === 'StatefulSet');
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

async function wiringProblems(docs: Doc[]): Promise<string[]> {
  const problems: string[] = [];
  const all = await cliContainers(docs, problems);
  const controllers = all.filter((c) => c.parsed.command === 'controller');
  const workers = all.filter((c) => c.parsed.command === 'worker');
  if (!controllers.some((c) => c.owner.obj.kind === 'StatefulSet')) problems.push('no controller StatefulSet');
  if (!workers.some((c) => c.owner.obj.kind === 'Deployment')) problems.push('no worker Deployment');
  for (const c of all) {
    if (c.parsed.command !== 'controller' && c.parsed.command !== 'worker') problems.push(`${c.where}: runs \`punctual ${c.parsed.command}\``);
  }
  for (const c of controllers) problems.push(...controllerProblems(c, docs));
  for (const c of workers) problems.push(...workerProblems(c, docs, controllers));

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
  const adapter = docs.find((d) => d.file === 'optional/prometheus-adapter-values.yaml')?.obj;
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

// ---- kustomize components -------------------------------------------------

/** Applies RFC 6902 `add` and `replace` operations (what the components use) to `target`, in place. */
function applyJsonPatch(target: Obj, ops: Obj[]): void {
  for (const op of ops) {
    const keys = String(op.path).split('/').slice(1).map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = keys.pop()!;
    const parent = at(target, ...keys.map((k) => (/^\d+$/.test(k) ? Number(k) : k)));
    if (op.op !== 'add' && op.op !== 'replace') throw new Error(`op ${String(op.op)} is not applied here`);
    if (Array.isArray(parent)) {
      if (last === '-' && op.op === 'add') parent.push(op.value);
      else if (op.op === 'add') parent.splice(Number(last), 0, op.value);
      else parent[Number(last)] = op.value;
    } else if (isObj(parent)) {
      if (op.op === 'replace' && !(last in parent)) throw new Error(`replace ${String(op.path)}: nothing there`);
      parent[last] = op.value;
    } else {
      throw new Error(`${String(op.path)}: no parent to ${String(op.op)} into`);
    }
  }
}

/** The base's documents with a component's patches applied, as `kubectl kustomize` would with `components: [dir]`. */
function withComponent(docs: Doc[], dir: string): Doc[] {
  const out = structuredClone(docs);
  const component = out.find((d) => d.file === path.join(dir, 'kustomization.yaml'))!.obj;
  for (const p of objs(component.patches)) {
    const target = out.find((d) => d.obj.kind === at(p, 'target', 'kind') && nameOf(d.obj) === at(p, 'target', 'name'));
    if (!target) throw new Error(`${dir}: patch target ${JSON.stringify(p.target)} is not in the base`);
    applyJsonPatch(target.obj, objs(parseYaml(String(p.patch))));
  }
  return out;
}

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

function find(docs: Doc[], kind: string, name: string): Obj {
  const d = docs.find((x) => x.obj.kind === kind && nameOf(x.obj) === name);
  if (!d) throw new Error(`no ${kind} ${name}`);
  return d.obj;
}

function containerOf(o: Obj, i = 0): Obj {
  return objs(at(o, 'spec', 'template', 'spec', 'containers'))[i]!;
}

function setArg(c: Obj, flag: string, value: string | undefined): void {
  const args = (c.args as string[]).filter((a) => !a.startsWith(`${flag}=`));
  c.args = value === undefined ? args : [...args, `${flag}=${value}`];
}

function withGlobal(c: Obj, value: string): void {
  c.args = [`--controller=${value}`, ...(c.args as string[]).filter((a) => !a.startsWith('--controller='))];
}

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

  it('the kustomizations list files that exist, and the base lists every manifest beside it', () => {
    const base = docs.find((d) => d.file === 'kustomization.yaml')!.obj;
    const resources = (base.resources as string[]) ?? [];
    for (const r of resources) expect(fs.existsSync(path.join(K8S, r)), r).toBe(true);
    const beside = fs.readdirSync(K8S).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');
    expect([...resources].sort()).toEqual(beside.sort());
    // Every object in the base is in the namespace the kustomization sets.
    for (const d of docs.filter((x) => resources.includes(x.file) && x.obj.kind !== 'Namespace')) expect(at(d.obj, 'metadata', 'namespace'), d.file).toBe(base.namespace);
    // The image tag is the package's version.
    const version = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect(objs(base.images).find((i) => i.name === 'punctual')?.newTag).toBe(version);
    // The TLS component exists and is what the base's comment names.
    const component = docs.find((d) => d.file === path.join('components', 'tls', 'kustomization.yaml'))!.obj;
    expect(component.kind).toBe('Component');
    for (const p of objs(component.patches)) {
      const target = at(p, 'target');
      expect(docs.some((d) => resources.includes(d.file) && d.obj.kind === at(target, 'kind') && nameOf(d.obj) === at(target, 'name')), JSON.stringify(target)).toBe(true);
    }
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
