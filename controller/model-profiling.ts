// Re-profiles a served model on the controller's machine (Admin.ProfileModel):
// the exec time distribution per batch size, load time and memory for each
// intra-op thread count 1..T (each its own executor class, cpu/tN), and the
// thread count with the lowest batch-1 p99, the most predictable setting.
// Batch sizes not measured this time keep their earlier figures. Progress is
// reported in runs (warm-up and timed) over every thread count and batch size.
import fs from 'node:fs';
import os from 'node:os';
import { invalidArgument, PunctualError, Status } from '../common/errors.js';
import { profileModel } from '../profiles/profiler.js';
import type { ClassProfile, ModelProfile, ThreadTrial } from '../common/profile.js';
import type { ServedModel } from './model-registry.js';

export interface ReprofileOptions {
  batchSizes: number[];
  iterations: number;
  /** 0 = this machine's cores. */
  maxThreads: number;
  /** Runs done of the total, and the thread count and batch size being measured. */
  onProgress?: (p: ReprofileProgress) => void;
}

export interface ReprofileProgress {
  done: number;
  total: number;
  threads: number;
  batchSize: number;
}

/** Untimed runs per batch size before the timed ones (the profiler's default). */
const WARMUP = 2;

/** Keeps earlier batch figures of a class that this run did not measure. */
function merge(earlier: ClassProfile | undefined, now: ClassProfile): ClassProfile {
  if (!earlier) return now;
  const measured = new Set(now.batches.map((b) => b.batch));
  const batches = [...now.batches, ...earlier.batches.filter((b) => !measured.has(b.batch))].sort((a, b) => a.batch - b.batch);
  return { ...now, batches };
}

export async function reprofile(m: ServedModel, o: ReprofileOptions): Promise<ModelProfile> {
  const sizes = o.batchSizes.length > 0 ? [...new Set(o.batchSizes)].sort((a, b) => a - b) : m.config.batchSizes;
  const bad = sizes.filter((b) => !(b >= 1 && b <= m.config.maxBatch));
  if (bad.length > 0) throw invalidArgument(`batch sizes ${bad.join(', ')} are outside 1..${m.config.maxBatch} (the model's max batch)`);
  if (!(o.iterations >= 1 && o.iterations <= 10_000)) throw invalidArgument(`iterations must be from 1 to 10000, not ${o.iterations}`);
  const cores = os.cpus().length;
  const maxThreads = o.maxThreads || cores;
  if (maxThreads > 256) throw invalidArgument(`max threads must be at most 256, not ${maxThreads}`);
  if (!fs.existsSync(m.file)) {
    throw new PunctualError(Status.FAILED_PRECONDITION, `the file of ${m.key} is gone from the repository (${m.file}); register it again`, 'model_file_missing');
  }
  // Batch 1 is always measured: the thread trial compares it.
  const measure = sizes.includes(1) ? sizes : [1, ...sizes];

  const classes: Record<string, ClassProfile> = { ...(m.profile?.classes ?? {}) };
  const trials: ThreadTrial[] = [];
  let memoryBytes = 0;
  let last: ModelProfile | undefined;
  const perThreads = measure.length * (o.iterations + WARMUP);
  const total = perThreads * maxThreads;
  o.onProgress?.({ done: 0, total, threads: 1, batchSize: measure[0]! });
  for (let threads = 1; threads <= maxThreads; threads++) {
    const before = (threads - 1) * perThreads;
    const { profile } = await profileModel(m.key, m, m.config.inputs, measure, {
      iterations: o.iterations,
      warmup: WARMUP,
      loads: 1,
      threads,
      ...(o.onProgress ? { onProgress: (done: number, _t: number, batch: number) => o.onProgress?.({ done: before + done, total, threads, batchSize: batch }) } : {}),
    });
    last = profile;
    memoryBytes = Math.max(memoryBytes, profile.memoryBytes);
    for (const [cls, c] of Object.entries(profile.classes)) {
      classes[cls] = merge(classes[cls], c);
      const b1 = c.batches.find((b) => b.batch === 1);
      if (b1) trials.push({ threads, p50Ms: b1.p50Ms, p99Ms: b1.p99Ms });
    }
  }
  let best = trials[0];
  for (const t of trials) if (best && t.p99Ms < best.p99Ms) best = t;
  return {
    model: m.key,
    sha256: m.sha256,
    measuredAt: last?.measuredAt ?? new Date().toISOString(),
    host: last?.host ?? os.hostname(),
    memoryBytes: Math.max(memoryBytes, m.profile?.memoryBytes ?? 0),
    classes,
    threadTrials: trials,
    ...(best ? { bestThreads: best.threads } : {}),
  };
}
