// A model's own intra-op thread count (issue 13 point 6; seed 000: tuning
// OpenMP threads cut Nextdoor's latency 4×). `punctual profile` measures each
// thread count and records the most predictable one (ModelProfile.bestThreads);
// an operator may set one in the model's config.json (`threads`). A session of
// the model then gets that many threads, capped by the executor's share of
// cores (its announced thread count, the worker's --threads, which stays the
// default for models that ask for none). The executor class its estimates are
// kept under follows: a model that wants 1 thread on a cpu/t2 executor runs,
// and is estimated, as cpu/t1. One set of rules for the controller's scheduler,
// its dispatcher, the simulator and the worker.
import { deviceOf, executorClass } from './device.js';

/** Most intra-op threads a model may ask for (config.json `threads`). */
export const MAX_MODEL_THREADS = 256;

/** The threads a model asks for: its config's explicit count, else its profile's bestThreads, else none (the executor's own). */
export function wantedThreads(config: { threads?: number } | undefined, profile: { bestThreads?: number } | undefined): number | undefined {
  const explicit = config?.threads;
  if (explicit !== undefined && isThreadCount(explicit)) return explicit;
  const best = profile?.bestThreads;
  return best !== undefined && isThreadCount(best) ? best : undefined;
}

/** True for an integer from 1 to MAX_MODEL_THREADS. */
export function isThreadCount(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= MAX_MODEL_THREADS;
}

/** The intra-op threads of a session: what the model wants, at most the executor's budget; the budget when it wants none. */
export function sessionThreads(wanted: number | undefined, budget: number): number {
  return wanted === undefined ? budget : Math.max(1, Math.min(wanted, budget));
}

/**
 * The thread count an executor class names ("cpu/t2" → 2, "emulated/t4" → 4);
 * undefined for a class without one ("cuda": intra-op threads hardly matter
 * next to the GPU, and its estimates are kept for the device alone).
 */
export function classThreads(cls: string): number | undefined {
  const slash = cls.lastIndexOf('/');
  if (slash < 0) return undefined;
  const device = deviceOf(cls.slice(0, slash));
  const m = /^t([1-9][0-9]*)$/.exec(cls.slice(slash + 1));
  if (!device || !m) return undefined;
  const threads = Number(m[1]);
  return executorClass(device, threads) === cls ? threads : undefined;
}

/**
 * The class a model's session has on an executor of class `cls`: the same
 * device with sessionThreads(wanted, the class's threads). `cls` itself when
 * the model wants none or the class names no thread count.
 */
export function sessionClass(cls: string, wanted: number | undefined): string {
  if (wanted === undefined) return cls;
  const budget = classThreads(cls);
  if (budget === undefined) return cls;
  const threads = sessionThreads(wanted, budget);
  return threads === budget ? cls : `${cls.slice(0, cls.lastIndexOf('/'))}/t${threads}`;
}
