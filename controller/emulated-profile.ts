// What an emulated executor (device "emulated") is told of a model with its
// LOAD (Action.emulated): how the model runs there, from its stored profile,
// so that the emulated device's runs take what the profile says a run takes
// (worker/emulated-runs.ts) and not the action's expected time, which is the
// controller's own estimate learning from those runs (a loop that grew
// without end: issue 13).
//
// The figures are the ones the controller's estimates start from for that
// class (scheduler/estimates.ts): nothing profiles an emulated class, so,
// there as here, each batch size comes from the first of the profile's
// classes that has it, and the load time from the first class. The
// estimates then learn the emulated runs, and the two agree.
import { executorClass, parseDevice } from '../common/device.js';
import type { BatchProfile, ModelProfile } from '../common/profile.js';
import type { EmulatedModel__Output, ExecutorInfo__Output } from '../common/wire.js';

/** The profile's figures for class `cls`, as the estimates seed them; undefined when it has none. */
export function emulatedModel(profile: ModelProfile | undefined, cls: string): EmulatedModel__Output | undefined {
  if (!profile) return undefined;
  const classes = Object.values(profile.classes ?? {});
  const own = profile.classes[cls];
  const batches = new Map<number, { batch: number; p50Ms: number; p99Ms: number }>();
  // typical = min(p50, p99), as Estimates.seed reads them.
  const take = (b: BatchProfile): void => {
    if (!batches.has(b.batch)) batches.set(b.batch, { batch: b.batch, p50Ms: Math.min(b.p50Ms, b.p99Ms), p99Ms: b.p99Ms });
  };
  // A class of its own: its batch sizes (another size is its batch 1 × the
  // size, on the worker as in the estimates); batch 1 from another class if
  // it lacks one. None: each size from the first class that has it.
  for (const b of own?.batches ?? []) take(b);
  for (const c of classes) {
    for (const b of c.batches ?? []) if (!own || (b.batch === 1 && c !== own)) take(b);
  }
  if (batches.size === 0) return undefined;
  const loadMs = (own ?? classes[0])?.loadMs ?? 0;
  return { loadMs, batches: [...batches.values()].sort((a, b) => a.batch - b.batch) };
}

/** Action.emulated for a LOAD of a model with `profile` on executor `index` of a worker: set only where that executor is emulated. */
export function emulatedLoad(executors: readonly ExecutorInfo__Output[], index: number, profile: ModelProfile | undefined): { emulated: EmulatedModel__Output } | Record<string, never> {
  const e = executors.find((x) => x.index === index);
  if (!e || e.device !== 'emulated') return {};
  const emulated = emulatedModel(profile, executorClass(parseDevice(e.device), e.threads));
  return emulated ? { emulated } : {};
}
