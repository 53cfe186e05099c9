// Per model version, the cumulative counts and times Triton's statistics
// extension reports (ModelStatistics over gRPC, GET /v2/models/{m}/stats
// over REST), kept as the serving core tells them (a ServingObserver), in
// plain numbers: the services turn a snapshot into their own wire form.
//
// What each figure is, in Punctual's terms (README, "Triton compatibility"):
//   success         answered with outputs; ns from arrival (headers) to answer
//   fail            rejected by admission (ns: arrival to verdict) or accepted
//                   and then failed (dropped, worker gone; ns: arrival to failure)
//   queue           arrival to the start of its action on the worker
//   compute_input   0 ns: inputs are made into tensors inside the measured run
//   compute_infer   the run of the action it was in (the worker's measure)
//   compute_output  the rest: the worker's handling around the run and the
//                   outputs' way back, so queue + compute_* = success
//   inference_count items answered; execution_count INFER actions run
//   batch_stats     per batch size of the actions run, per action
// Counts are per item: a V2 request with a batch axis of n is n items
// (Triton counts it once in success and n in inference_count).
//
// Memory: one entry per model version that has had traffic, each with at most
// MAX_BATCH_SIZES batch sizes; entries of versions no longer registered are
// dropped as new ones come (isLive), so it stays O(models × batch sizes).
import type { ServingObserver } from './serving-observer.js';
import { parseModelKey } from '../common/model-config.js';

/** A count and its cumulative duration, as Triton's StatisticDuration (ns). */
export interface StatDuration {
  count: number;
  ns: number;
}

export interface BatchStatistics {
  batchSize: number;
  computeInput: StatDuration;
  computeInfer: StatDuration;
  computeOutput: StatDuration;
}

/** One model version's statistics at one moment: plain data, owned by the caller. */
export interface ModelStatsSnapshot {
  name: string;
  version: number;
  /** When its last answer was given, ms since the epoch; 0 before the first. */
  lastInference: number;
  inferenceCount: number;
  executionCount: number;
  success: StatDuration;
  fail: StatDuration;
  queue: StatDuration;
  computeInput: StatDuration;
  computeInfer: StatDuration;
  computeOutput: StatDuration;
  /** Ascending by batch size. */
  batches: BatchStatistics[];
}

/** Distinct batch sizes kept per model version (a model's max batch is at most 1024). */
export const MAX_BATCH_SIZES = 1024;

export interface ModelStatisticsOptions {
  /** Wall clock for last_inference, ms since the epoch. @default Date.now */
  wallClock?: () => number;
  /** Whether a model version is still registered; entries of others are dropped. @default always */
  isLive?: (key: string) => boolean;
}

/** What is kept per model version: a snapshot's figures, with its batch sizes by size. */
type Entry = Omit<ModelStatsSnapshot, 'name' | 'version' | 'batches'> & { batches: Map<number, BatchStatistics> };

const zero = (): StatDuration => ({ count: 0, ns: 0 });
const nsOf = (ms: number): number => (ms > 0 && Number.isFinite(ms) ? Math.round(ms * 1e6) : 0);

function add(d: StatDuration, ms: number): void {
  d.count += 1;
  d.ns += nsOf(ms);
}

function fresh(): Entry {
  return {
    lastInference: 0,
    inferenceCount: 0,
    executionCount: 0,
    success: zero(),
    fail: zero(),
    queue: zero(),
    computeInput: zero(),
    computeInfer: zero(),
    computeOutput: zero(),
    batches: new Map(),
  };
}

export class ModelStatistics implements ServingObserver {
  private readonly entries = new Map<string, Entry>();
  private readonly wallClock: () => number;
  private readonly isLive: (key: string) => boolean;
  /** Entries past which the next new one first drops those no longer registered. */
  private pruneAt = 16;

  constructor(opts: ModelStatisticsOptions = {}) {
    this.wallClock = opts.wallClock ?? Date.now;
    this.isLive = opts.isLive ?? (() => true);
  }

  private entry(key: string): Entry {
    let e = this.entries.get(key);
    if (e) return e;
    if (this.entries.size >= this.pruneAt) {
      for (const k of this.entries.keys()) if (!this.isLive(k)) this.entries.delete(k);
      this.pruneAt = 2 * this.entries.size + 16;
    }
    e = fresh();
    this.entries.set(key, e);
    return e;
  }

  answered(model: string, a: { totalMs: number; queueMs: number; execMs: number }): void {
    const e = this.entry(model);
    e.lastInference = this.wallClock();
    e.inferenceCount += 1;
    add(e.success, a.totalMs);
    add(e.queue, a.queueMs);
    add(e.computeInput, 0);
    add(e.computeInfer, a.execMs);
    add(e.computeOutput, a.totalMs - a.queueMs - a.execMs);
  }

  failed(model: string, _status: string, _reason: string, e?: { totalMs: number }): void {
    add(this.entry(model).fail, e?.totalMs ?? 0);
  }

  rejected(model: string, _code: string, e?: { waitedMs: number }): void {
    add(this.entry(model).fail, e?.waitedMs ?? 0);
  }

  executed(model: string, x: { batch: number; durationMs: number; outputMs: number }): void {
    const e = this.entry(model);
    e.executionCount += 1;
    let b = e.batches.get(x.batch);
    if (!b) {
      if (e.batches.size >= MAX_BATCH_SIZES || !(Number.isSafeInteger(x.batch) && x.batch >= 1)) return;
      b = { batchSize: x.batch, computeInput: zero(), computeInfer: zero(), computeOutput: zero() };
      e.batches.set(x.batch, b);
    }
    add(b.computeInput, 0);
    add(b.computeInfer, x.durationMs);
    add(b.computeOutput, x.outputMs);
  }

  /** Model version `key`'s statistics now (all zero when it has had no traffic). */
  snapshot(key: string): ModelStatsSnapshot {
    const { name, version } = parseModelKey(key);
    const e = this.entries.get(key) ?? fresh();
    const copy = (d: StatDuration): StatDuration => ({ count: d.count, ns: d.ns });
    return {
      name,
      version,
      lastInference: e.lastInference,
      inferenceCount: e.inferenceCount,
      executionCount: e.executionCount,
      success: copy(e.success),
      fail: copy(e.fail),
      queue: copy(e.queue),
      computeInput: copy(e.computeInput),
      computeInfer: copy(e.computeInfer),
      computeOutput: copy(e.computeOutput),
      batches: [...e.batches.values()]
        .sort((x, y) => x.batchSize - y.batchSize)
        .map((b) => ({ batchSize: b.batchSize, computeInput: copy(b.computeInput), computeInfer: copy(b.computeInfer), computeOutput: copy(b.computeOutput) })),
    };
  }

  /** Model versions with an entry (tests, and to show the bound holds). */
  get size(): number {
    return this.entries.size;
  }
}
