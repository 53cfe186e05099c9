// Builds the Admin API's views of the cluster and its models from the live
// state: workers and executors with what they hold, models with configs,
// estimates per batch size and executor class, and counters. For thousands
// of models: pages (ListModels and ClusterStatus take a page size and the
// token that ended the previous page), a brief form without the estimates
// tables, and a summary of every model that comes with each status page.
import { invalidArgument } from '../common/errors.js';
import { wantedThreads } from '../common/model-threads.js';
import type { ClusterStatusResponse, ListModelsResponse, ModelInfo } from '../common/wire.js';
import type { ModelSummary } from '../protos/generated/punctual/v1/ModelSummary.js';
import type { Estimates } from './scheduler/estimates.js';
import type { ModelRegistry, ServedModel } from './model-registry.js';
import { executorId } from './scheduler/types.js';
import type { ServingCore } from './serving-core.js';

/** Which models a ListModels or ClusterStatus call asks for, as they arrive on the wire. */
export interface ModelsQuery {
  /** 0 = every model. */
  pageSize?: number;
  /** The next_page_token of the previous page. */
  pageToken?: string;
  /** Leave the estimates tables out. */
  brief?: boolean;
  /** Only this name's versions (ListModels). */
  name?: string;
}

/** A page token is the key of the last model of the previous page: at most a name, '@' and nine digits. */
const MAX_TOKEN_LENGTH = 128 + 1 + 9;

export interface ModelInfoOptions {
  /** Leave the estimates table out (estimates empty). @default false */
  brief?: boolean;
}

export function buildModelInfo(m: ServedModel, core: ServingCore, estimates: Estimates, o: ModelInfoOptions = {}): ModelInfo {
  // The classes its sessions run as (a model with its own thread count runs as cpu/tN on any executor of more threads).
  const classes = new Set<string>(Object.keys(m.profile?.classes ?? {}).map((c) => estimates.classOf(m.key, c)));
  const loadedOn: string[] = [];
  for (const e of core.view.executors()) {
    classes.add(estimates.classOf(m.key, e.spec.cls));
    if (e.holds(m.key)) loadedOn.push(e.spec.id);
  }
  const firstClass = [...classes][0] ?? 'cpu/t1';
  return {
    name: m.config.name,
    version: m.config.version,
    inputs: m.config.inputs,
    outputs: m.config.outputs,
    maxBatch: m.config.maxBatch,
    batchSizes: m.config.batchSizes,
    defaultSloMs: m.config.defaultSloMs,
    threads: wantedThreads(m.config, m.profile) ?? 0,
    sizeBytes: m.size,
    memoryBytes: estimates.memory(m.key),
    loadMs: estimates.load(m.key, firstClass),
    estimates: o.brief
      ? []
      : [...classes].flatMap((cls) =>
          m.config.batchSizes.map((b) => ({ batchSize: b, executorClass: cls, execMs: estimates.exec(m.key, b, cls), typicalMs: estimates.typical(m.key, b, cls) })),
        ),
    loadedOn,
    requestsOk: m.counters.ok,
    requestsRejected: m.counters.rejected,
    requestsFailed: m.counters.failed,
    queued: core.view.queued(m.key),
    admissionReserveMs: core.recentError(m.key),
  };
}

/** The page a query asks for; a token no page could have ended with is INVALID_ARGUMENT. */
function pageOf(registry: ModelRegistry, q: ModelsQuery): ReturnType<ModelRegistry['page']> {
  const token = q.pageToken ?? '';
  if (token.length > MAX_TOKEN_LENGTH) throw invalidArgument(`page_token is ${token.length} characters long: pass the next_page_token of a previous page`);
  return registry.page({ after: token, limit: q.pageSize ?? 0, ...(q.name ? { name: q.name } : {}) });
}

/** ListModels: every model, or one page (in key order), brief or with estimates. */
export function listModels(core: ServingCore, estimates: Estimates, q: ModelsQuery = {}): ListModelsResponse {
  const page = pageOf(core.registry, q);
  // One name asked for, held nowhere here, and another controller's: its owner answers it (controller/shard.ts).
  const owner = q.name && page.total === 0 ? core.registry.shard?.elsewhere(q.name) : undefined;
  if (owner) throw core.registry.shard!.otherShard(q.name!, owner);
  return {
    models: page.models.map((m) => buildModelInfo(m, core, estimates, { brief: q.brief ?? false })),
    nextPageToken: page.next,
    total: page.total,
  };
}

/** Counts over every registered model, whatever the page. */
export function modelSummary(core: ServingCore): ModelSummary {
  const { registry, view } = core;
  const loaded = new Set<string>();
  for (const e of view.executors()) for (const key of e.models.keys()) if (registry.get(key)) loaded.add(key);
  let ok = 0;
  let rejected = 0;
  let failed = 0;
  for (const m of registry.all()) {
    ok += m.counters.ok;
    rejected += m.counters.rejected;
    failed += m.counters.failed;
  }
  const contents = registry.contents();
  return {
    models: registry.size,
    names: registry.names,
    loaded: loaded.size,
    queued: view.queued(),
    requestsOk: ok,
    requestsRejected: rejected,
    requestsFailed: failed,
    distinctFiles: contents.files,
    distinctBytes: contents.bytes,
  };
}

export function buildClusterStatus(core: ServingCore, estimates: Estimates, now: number, startedAt: number, q: ModelsQuery = {}): ClusterStatusResponse {
  const page = pageOf(core.registry, { ...q, name: '' });
  return {
    uptimeS: (now - startedAt) / 1000,
    policy: core.view.policy,
    models: page.models.map((m) => buildModelInfo(m, core, estimates, { brief: q.brief ?? false })),
    nextPageToken: page.next,
    modelSummary: modelSummary(core),
    workers: [...core.workers.values()].map((w) => ({
      id: w.id,
      name: w.name,
      clockOffsetMs: w.offset,
      rttMs: w.rtt,
      connectedForS: (now - w.connectedAt) / 1000,
      draining: w.draining,
      unresponsive: w.unresponsive,
      executors: w.executors.map((info) => {
        const t = core.view.executor(executorId(w.id, info.index));
        return {
          index: info.index,
          device: info.device,
          threads: info.threads,
          memoryBudgetBytes: info.memoryBytes,
          memoryUsedBytes: t?.memoryUsed ?? 0,
          loaded: t ? [...t.models.keys()].sort() : [],
          executorClass: t?.spec.cls ?? '',
          actionsCompleted: t?.completed ?? 0,
          bookedAheadMs: t ? Math.max(0, t.freeAt - now) : 0,
          loads: t?.loads ?? 0,
          unloads: t?.unloads ?? 0,
          suspended: t?.suspended ?? false,
        };
      }),
    })),
  };
}
