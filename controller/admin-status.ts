// Builds the Admin API's views of the cluster and its models from the live
// state: workers and executors with what they hold, models with configs,
// estimates per batch size and executor class, and counters.
import type { ClusterStatusResponse, ModelInfo } from '../common/wire.js';
import type { Estimates } from './scheduler/estimates.js';
import type { ServedModel } from './model-registry.js';
import { executorId } from './scheduler/types.js';
import type { ServingCore } from './serving-core.js';

export function buildModelInfo(m: ServedModel, core: ServingCore, estimates: Estimates): ModelInfo {
  const classes = new Set<string>(Object.keys(m.profile?.classes ?? {}));
  for (const e of core.view.executors()) classes.add(e.spec.cls);
  const loadedOn: string[] = [];
  for (const e of core.view.executors()) if (e.holds(m.key)) loadedOn.push(e.spec.id);
  const firstClass = [...classes][0] ?? 'cpu/t1';
  return {
    name: m.config.name,
    version: m.config.version,
    inputs: m.config.inputs,
    outputs: m.config.outputs,
    maxBatch: m.config.maxBatch,
    batchSizes: m.config.batchSizes,
    defaultSloMs: m.config.defaultSloMs,
    sizeBytes: m.size,
    memoryBytes: estimates.memory(m.key),
    loadMs: estimates.load(m.key, firstClass),
    estimates: [...classes].flatMap((cls) =>
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

export function buildClusterStatus(core: ServingCore, estimates: Estimates, now: number, startedAt: number): ClusterStatusResponse {
  return {
    uptimeS: (now - startedAt) / 1000,
    policy: core.view.policy,
    models: core.registry.all().map((m) => buildModelInfo(m, core, estimates)),
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
