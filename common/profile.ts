// A model's measured profile, stored as profile.json beside its model.onnx:
// execution time per batch size (distribution), load time and memory, per
// executor class. The scheduler's estimates start from it.

export interface BatchProfile {
  batch: number;
  iterations: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface ClassProfile {
  /** e.g. "cpu/t1" */
  cls: string;
  threads: number;
  batches: BatchProfile[];
  loadMs: number;
}

export interface ModelProfile {
  model: string;
  /** SHA-256 of the model file it was measured on; a different file needs a new profile. */
  sha256: string;
  measuredAt: string;
  host: string;
  memoryBytes: number;
  classes: Record<string, ClassProfile>;
  /** Batch-1 latency per intra-op thread count (`punctual profile`). */
  threadTrials?: ThreadTrial[];
  /** The thread count with the lowest batch-1 p99: the most predictable setting. */
  bestThreads?: number;
}

export interface ThreadTrial {
  threads: number;
  p50Ms: number;
  p99Ms: number;
}

export function parseProfile(raw: unknown): ModelProfile | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const o = raw as Partial<ModelProfile>;
  if (typeof o.sha256 !== 'string' || typeof o.memoryBytes !== 'number' || typeof o.classes !== 'object' || o.classes === null) {
    return undefined;
  }
  return o as ModelProfile;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function summarize(batch: number, samples: readonly number[]): BatchProfile {
  const s = [...samples].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  return { batch, iterations: s.length, meanMs: mean, p50Ms: percentile(s, 50), p99Ms: percentile(s, 99), maxMs: s[s.length - 1] ?? 0 };
}
