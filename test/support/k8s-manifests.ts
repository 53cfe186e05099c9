// deploy/kubernetes read back offline, for test/deploy-manifests.test.ts and
// test/deploy-sharded.test.ts: the YAML documents, a schema per built-in kind
// (kubernetes-models), what the real `punctual` CLI makes of each container's
// args, and the part of kustomize the manifests use (resources, components,
// JSON patches with a target, namespace, images), which refuses any other
// field rather than render it wrongly, with what its default load restrictor
// refuses. The wiring checks are in k8s-wiring.ts.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Namespace, Secret, Service } from 'kubernetes-models/v1';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import type { CliContext } from '../../cli/context.js';
import { buildProgram } from '../../cli/program.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEPLOY = path.join(ROOT, 'deploy');
export const K8S = path.join(DEPLOY, 'kubernetes');
/** Overlays inside deploy/kubernetes: rendered on their own (from base/), not read with the single layout's files. */
export const OVERLAYS = ['sharded'];

export type Obj = Record<string, unknown>;

/** One YAML document: its file (relative to deploy/kubernetes/) and its value. */
export interface Doc {
  file: string;
  obj: Obj;
}

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function at(v: unknown, ...keys: (string | number)[]): unknown {
  let cur = v;
  for (const k of keys) {
    if (typeof k === 'number') cur = Array.isArray(cur) ? (cur as unknown[])[k] : undefined;
    else cur = isObj(cur) ? cur[k] : undefined;
  }
  return cur;
}

export function objs(v: unknown): Obj[] {
  return Array.isArray(v) ? v.filter(isObj) : [];
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function kindOf(o: Obj): string {
  return `${String(o.apiVersion)}/${String(o.kind)}`;
}

export function nameOf(o: Obj): string {
  return String(at(o, 'metadata', 'name'));
}

// ---- reading --------------------------------------------------------------

export function yamlFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? yamlFiles(path.join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [path.join(dir, e.name)] : []))
    .sort();
}

/** The mappings one YAML file holds. */
export function readDocs(full: string): Doc[] {
  const file = path.relative(K8S, full);
  const docs: Doc[] = [];
  for (const d of parseAllDocuments(fs.readFileSync(full, 'utf8'))) {
    if (d.errors.length > 0) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`);
    const v: unknown = d.toJS();
    if (v === null || v === undefined) continue;
    if (!isObj(v)) throw new Error(`${file}: a document that is not a mapping`);
    docs.push({ file, obj: v });
  }
  return docs;
}

/** Every document under deploy/kubernetes/ but the overlays': the single layout (base/ and its workers), components/, optional/. */
export function loadDocs(): Doc[] {
  const overlays = OVERLAYS.map((o) => path.join(K8S, o) + path.sep);
  return yamlFiles(K8S)
    .filter((f) => !overlays.some((o) => f.startsWith(o)))
    .flatMap(readDocs);
}

// ---- kinds ----------------------------------------------------------------

type Validator = (o: Obj) => void;
/** The built-in kinds the manifests use, each with its schema (kubernetes-models validates offline). */
export const BUILT_IN: Record<string, Validator> = {
  'v1/Namespace': (o) => new Namespace(o as ConstructorParameters<typeof Namespace>[0]).validate(),
  'v1/Secret': (o) => new Secret(o as ConstructorParameters<typeof Secret>[0]).validate(),
  'v1/Service': (o) => new Service(o as ConstructorParameters<typeof Service>[0]).validate(),
  'apps/v1/StatefulSet': (o) => new StatefulSet(o as ConstructorParameters<typeof StatefulSet>[0]).validate(),
  'apps/v1/Deployment': (o) => new Deployment(o as ConstructorParameters<typeof Deployment>[0]).validate(),
  'autoscaling/v2/HorizontalPodAutoscaler': (o) => new HorizontalPodAutoscaler(o as ConstructorParameters<typeof HorizontalPodAutoscaler>[0]).validate(),
};
/** Kinds of CRDs (or kustomize's own files), checked by the wiring but with no schema here. */
export const CUSTOM = new Set([
  'kustomize.config.k8s.io/v1beta1/Kustomization',
  'kustomize.config.k8s.io/v1alpha1/Component',
  'monitoring.coreos.com/v1/ServiceMonitor',
  'monitoring.coreos.com/v1/PodMonitor',
  'serving.kserve.io/v1alpha1/ServingRuntime',
]);
/** Files that hold no Kubernetes object: values for a Helm chart. */
export const NOT_OBJECTS = new Set(['optional/prometheus-adapter-values.yaml']);

const SUFFIX: Record<string, number> = { m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

/** A Kubernetes quantity ("2", "500m", "3Gi") as a number; NaN when it is none. */
export function quantity(v: unknown): number {
  const m = /^(\d+(?:\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(String(v));
  return m ? Number(m[1]) * SUFFIX[m[2] ?? '']! : NaN;
}

// ---- the CLI --------------------------------------------------------------

export interface ParsedArgs {
  command: string;
  flags: Record<string, unknown>;
  globals: Record<string, unknown>;
}

/**
 * What `punctual <args>` would run with, as the real CLI parses it (its flags,
 * their defaults, the environment it reads): each command's action is
 * replaced by one that records its options, so nothing starts.
 */
export async function parseCli(args: readonly string[], env: Record<string, string>): Promise<ParsedArgs> {
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
export interface CliContainer {
  where: string;
  owner: Doc;
  pod: Obj;
  podMeta: Obj;
  container: Obj;
  /** Its args as the kubelet passes them, in pod `podName`. */
  args: string[];
  podName: string;
  parsed: ParsedArgs;
}

/** Every pod template in the objects: Deployments, StatefulSets, and a ServingRuntime's containers. */
export function podTemplates(docs: Doc[]): { owner: Doc; pod: Obj; podMeta: Obj }[] {
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
export function secretKeys(docs: Doc[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const d of docs) {
    if (kindOf(d.obj) !== 'v1/Secret') continue;
    out.set(nameOf(d.obj), new Set([...Object.keys((at(d.obj, 'stringData') as Obj) ?? {}), ...Object.keys((at(d.obj, 'data') as Obj) ?? {})]));
  }
  return out;
}

/**
 * The container's environment as the process sees it in pod `podName`: a
 * Secret's value stands in as `<secret>/<key>`; the downward API's
 * metadata.name and metadata.namespace are the pod's.
 */
export function envOf(container: Obj, podName: string, namespace: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of objs(container.env)) {
    const name = String(e.name);
    const ref = at(e, 'valueFrom', 'secretKeyRef');
    const field = at(e, 'valueFrom', 'fieldRef', 'fieldPath');
    if (isObj(ref)) env[name] = `${String(ref.name)}/${String(ref.key)}`;
    else if (field === 'metadata.name') env[name] = podName;
    else if (field === 'metadata.namespace') env[name] = namespace;
    else if (typeof e.value === 'string') env[name] = e.value;
  }
  return env;
}

/** Args as the kubelet expands them: `$(VAR)` from the container's env when it has VAR, `$$` a `$`. */
export function expandArgs(args: readonly string[], env: Record<string, string>): string[] {
  return args.map((a) => a.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (whole, v: string | undefined) => (v === undefined ? '$' : (env[v] ?? whole))));
}

/** A pod of `owner`: a StatefulSet's by its ordinal, a Deployment's by a stand-in for its generated suffix. */
export function podNameOf(owner: Obj, ordinal = 0): string {
  return owner.kind === 'StatefulSet' ? `${nameOf(owner)}-${ordinal}` : `${nameOf(owner)}-pod`;
}

/** One container of a pod template, parsed as it would run in pod `podName`. */
export async function parseContainer(t: { owner: Doc; pod: Obj; podMeta: Obj }, container: Obj, podName: string): Promise<CliContainer> {
  const where = `${t.owner.file} ${String(t.owner.obj.kind)} ${nameOf(t.owner.obj)} container ${String(container.name)}`;
  const env = envOf(container, podName, String(at(t.owner.obj, 'metadata', 'namespace')));
  const args = expandArgs((Array.isArray(container.args) ? container.args : []).map(String), env);
  return { where, ...t, container, args, podName, parsed: await parseCli(args, env) };
}

/** The containers that run the CLI, parsed (a StatefulSet's as its pod 0); `refused` gathers the args the CLI would refuse (exit 2). */
export async function cliContainers(docs: Doc[], refused: string[] = []): Promise<CliContainer[]> {
  const out: CliContainer[] = [];
  for (const t of podTemplates(docs)) {
    for (const container of objs(t.pod.containers)) {
      if (container.command !== undefined) continue;
      try {
        out.push(await parseContainer(t, container, podNameOf(t.owner.obj)));
      } catch (err) {
        const where = `${t.owner.file} ${String(t.owner.obj.kind)} ${nameOf(t.owner.obj)} container ${String(container.name)}`;
        refused.push(`${where}: punctual refuses its args: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  return out;
}

// ---- editing, for the tests' broken copies --------------------------------

export function find(docs: Doc[], kind: string, name: string): Obj {
  const d = docs.find((x) => x.obj.kind === kind && nameOf(x.obj) === name);
  if (!d) throw new Error(`no ${kind} ${name}`);
  return d.obj;
}

export function containerOf(o: Obj, i = 0): Obj {
  return objs(at(o, 'spec', 'template', 'spec', 'containers'))[i]!;
}

export function setArg(c: Obj, flag: string, value: string | undefined): void {
  const args = (c.args as string[]).filter((a) => !a.startsWith(`${flag}=`));
  c.args = value === undefined ? args : [...args, `${flag}=${value}`];
}

export function withGlobal(c: Obj, value: string): void {
  c.args = [`--controller=${value}`, ...(c.args as string[]).filter((a) => !a.startsWith('--controller='))];
}

// ---- kustomize ------------------------------------------------------------

/** Applies RFC 6902 `add` and `replace` operations (what the patches use) to `target`, in place. */
export function applyJsonPatch(target: Obj, ops: Obj[]): void {
  for (const op of ops) {
    const keys = String(op.path).split('/').slice(1).map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = keys.pop()!;
    const parent = at(target, ...keys.map((k) => (/^\d+$/.test(k) ? Number(k) : k)));
    if (op.op !== 'add' && op.op !== 'replace') throw new Error(`op ${String(op.op)} is not applied here`);
    if (Array.isArray(parent)) {
      if (last === '-' && op.op === 'add') parent.push(structuredClone(op.value));
      else if (op.op === 'add') parent.splice(Number(last), 0, structuredClone(op.value));
      else parent[Number(last)] = structuredClone(op.value);
    } else if (isObj(parent)) {
      if (op.op === 'replace' && !(last in parent)) throw new Error(`replace ${String(op.path)}: nothing there`);
      parent[last] = structuredClone(op.value);
    } else {
      throw new Error(`${String(op.path)}: no parent to ${String(op.op)} into`);
    }
  }
}

const TARGET_KEYS = new Set(['kind', 'name', 'namespace', 'labelSelector']);

/** The documents a patch's target selects, as kustomize matches them: name a regex of the whole name, labelSelector `k=v,…`. */
function selected(docs: Doc[], target: Obj): Doc[] {
  for (const k of Object.keys(target)) if (!TARGET_KEYS.has(k)) throw new Error(`patch target field ${k} is not matched here`);
  const whole = (re: unknown) => new RegExp(`^(?:${String(re)})$`);
  const labels = str(target.labelSelector)?.split(',').map((kv) => kv.split('=')) ?? [];
  return docs.filter(
    (d) =>
      (target.kind === undefined || d.obj.kind === target.kind) &&
      (target.name === undefined || whole(target.name).test(nameOf(d.obj))) &&
      (target.namespace === undefined || whole(target.namespace).test(String(at(d.obj, 'metadata', 'namespace')))) &&
      labels.every(([k, v]) => at(d.obj, 'metadata', 'labels', k!) === v),
  );
}

/** A kustomization's (or component's) `patches`, in place: JSON patches with a target only. */
function applyPatches(docs: Doc[], dir: string, patches: unknown): void {
  for (const p of objs(patches)) {
    const text = p.path !== undefined ? fs.readFileSync(path.resolve(dir, String(p.path)), 'utf8') : String(p.patch);
    const ops: unknown = parseYaml(text);
    if (!Array.isArray(ops) || !isObj(p.target)) throw new Error(`${path.relative(K8S, dir)}: only JSON patches with a target are applied here`);
    for (const d of selected(docs, p.target)) applyJsonPatch(d.obj, objs(ops));
  }
}

const FIELDS = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'components', 'patches', 'images']);

/** A folder's kustomization.yaml, refused when it uses a field `kustomize` below does not render. */
export function readKustomization(dir: string): Obj {
  const k: unknown = parseYaml(fs.readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8'));
  if (!isObj(k)) throw new Error(`${dir}: kustomization.yaml is not a mapping`);
  for (const f of Object.keys(k)) if (!FIELDS.has(f)) throw new Error(`${path.relative(K8S, dir)}: kustomize field ${f} is not rendered here`);
  return k;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : [];
}

/**
 * What `kubectl kustomize dir` renders, in kustomize's order: resources
 * (files, or folders rendered first), then components (their resources and
 * patches), then the kustomization's own patches, namespace and images.
 * `edit` changes the kustomization first (to uncomment its components).
 */
export function kustomize(dir: string, edit?: (k: Obj) => void): Doc[] {
  const k = readKustomization(dir);
  edit?.(k);
  const out: Doc[] = [];
  for (const r of strings(k.resources)) {
    const full = path.resolve(dir, r);
    out.push(...(fs.statSync(full).isDirectory() ? kustomize(full) : readDocs(full)));
  }
  for (const c of strings(k.components)) {
    const cdir = path.resolve(dir, c);
    const component = readKustomization(cdir);
    if (component.kind !== 'Component') throw new Error(`${c} is no Component`);
    for (const r of strings(component.resources)) out.push(...readDocs(path.resolve(cdir, r)));
    applyPatches(out, cdir, component.patches);
  }
  applyPatches(out, dir, k.patches);
  for (const d of out) {
    if (typeof k.namespace === 'string' && d.obj.kind !== 'Namespace' && isObj(d.obj.metadata)) d.obj.metadata.namespace = k.namespace;
    for (const { pod } of podTemplates([d])) {
      for (const c of [...objs(pod.containers), ...objs(pod.initContainers)]) {
        const image = objs(k.images).find((i) => String(c.image).split(/[:@]/)[0] === i.name);
        if (image) c.image = `${String(image.newName ?? image.name)}${image.newTag !== undefined ? `:${String(image.newTag)}` : String(c.image).slice(String(image.name).length)}`;
      }
    }
  }
  return out;
}

/** The single layout's documents with a component's patches applied, as `kubectl kustomize` would with `components: [dir]`. */
export function withComponent(docs: Doc[], dir: string): Doc[] {
  const out = structuredClone(docs);
  const full = path.join(K8S, dir);
  const component = readKustomization(full);
  for (const p of objs(component.patches)) {
    if (selected(out, p.target as Obj).length === 0) throw new Error(`${dir}: patch target ${JSON.stringify(p.target)} is not in the manifests`);
  }
  applyPatches(out, full, component.patches);
  return out;
}

/** The components a kustomization names in its commented-out `components:` block (TLS, off by default). */
export function commentedComponents(dir: string): string[] {
  const text = fs.readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8');
  const block = /^# components:\n((?:#\s+- .*\n)+)/m.exec(text)?.[1] ?? '';
  return [...block.matchAll(/- (\S+)/g)].map((m) => m[1]!);
}

/** The files a kustomization takes as resources, its folders' too (relative to deploy/kubernetes/). */
export function listedFiles(dir: string): string[] {
  return strings(readKustomization(dir).resources).flatMap((r) => {
    const full = path.resolve(dir, r);
    return fs.statSync(full).isDirectory() ? listedFiles(full) : [path.relative(K8S, full)];
  });
}

function kindOfKustomization(dir: string): string {
  return String(readKustomization(dir).kind ?? 'Kustomization');
}

/** True when `full` is `dir` or lies below it. */
function within(dir: string, full: string): boolean {
  const rel = path.relative(dir, full);
  return rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

/**
 * What `kubectl kustomize dir` refuses to load, with its default load
 * restrictor (LoadRestrictionsRootOnly), in the kustomization at `dir` and
 * every one it loads: a file (a resource, a patch's path) outside its own
 * kustomization's folder; a folder (a resource, a component) with no
 * kustomization.yaml, or that contains a folder it is loaded from (a cycle);
 * a path that does not exist. `edit` changes the kustomization first.
 */
export function loadProblems(dir: string, edit?: (k: Obj) => void, loading: string[] = []): string[] {
  const k = readKustomization(dir);
  edit?.(k);
  const here = path.relative(K8S, dir) || '.';
  const roots = [...loading, dir];
  const problems: string[] = [];
  // What each field may name: a resource a file or a kustomization folder, a component a folder, a patch a file.
  const refs: { what: string; ref: string; may: 'file' | 'folder' | 'either' }[] = [
    ...strings(k.resources).map((ref) => ({ what: 'resource', ref, may: 'either' as const })),
    ...strings(k.components).map((ref) => ({ what: 'component', ref, may: 'folder' as const })),
    ...objs(k.patches).flatMap((p) => (typeof p.path === 'string' ? [{ what: 'patch', ref: p.path, may: 'file' as const }] : [])),
  ];
  for (const { what, ref, may } of refs) {
    const full = path.resolve(dir, ref);
    if (!fs.existsSync(full)) {
      problems.push(`${here}: ${what} ${ref} does not exist`);
    } else if (fs.statSync(full).isDirectory() !== (may === 'folder') && may !== 'either') {
      problems.push(`${here}: ${what} ${ref} is ${may === 'folder' ? 'a file, not a folder' : 'a folder, not a file'}`);
    } else if (fs.statSync(full).isDirectory()) {
      const contained = roots.find((r) => within(full, r));
      if (contained !== undefined) problems.push(`${here}: ${what} ${ref} contains ${path.relative(K8S, contained) || '.'}, which loads it (a cycle)`);
      else if (!fs.existsSync(path.join(full, 'kustomization.yaml'))) problems.push(`${here}: ${what} ${ref} is a folder with no kustomization.yaml`);
      else if (kindOfKustomization(full) !== (what === 'component' ? 'Component' : 'Kustomization')) problems.push(`${here}: ${what} ${ref} is a ${kindOfKustomization(full)}`);
      else problems.push(...loadProblems(full, undefined, roots));
    } else if (!within(dir, full)) {
      problems.push(`${here}: ${what} ${ref} is outside ${here} (the default load restrictor refuses it)`);
    }
  }
  return problems;
}
