// Admin.DescribeModel's view of one model name: every served version with its
// config, estimates, where it is loaded and counters (ModelInfo), plus the
// stored profile per executor class and batch size, and the thread trial.
import { quoted, someOf } from '../common/bounded-text.js';
import { notFound } from '../common/errors.js';
import type { DescribeModelResponse, ProfileInfo } from '../common/wire.js';
import type { ModelProfile } from '../common/profile.js';
import { buildModelInfo } from './admin-status.js';
import type { Estimates } from './scheduler/estimates.js';
import type { ServingCore } from './serving-core.js';

export function profileInfo(p: ModelProfile | undefined): ProfileInfo | undefined {
  if (!p) return undefined;
  return {
    measuredAt: p.measuredAt,
    host: p.host,
    memoryBytes: p.memoryBytes,
    classes: Object.values(p.classes).map((c) => ({
      executorClass: c.cls,
      threads: c.threads,
      loadMs: c.loadMs,
      batches: c.batches.map((b) => ({ batchSize: b.batch, iterations: b.iterations, meanMs: b.meanMs, p50Ms: b.p50Ms, p99Ms: b.p99Ms, maxMs: b.maxMs })),
    })),
    threadTrials: p.threadTrials ?? [],
    bestThreads: p.bestThreads ?? 0,
  };
}

export function describeModel(name: string, core: ServingCore, estimates: Estimates): DescribeModelResponse {
  const versions = core.registry.versions(name);
  if (versions.length === 0) {
    const names = [...new Set(core.registry.all().map((m) => m.config.name))].sort();
    throw notFound(`model ${quoted(name)} is not registered; registered models: ${names.length ? someOf(names) : '(none)'}`);
  }
  const newest = versions[versions.length - 1]!;
  return {
    name,
    versions: versions.map((m) => ({
      info: buildModelInfo(m, core, estimates),
      profile: profileInfo(m.profile),
      sha256: m.sha256,
      isDefault: m === newest,
    })),
  };
}
