// How long an action takes on the emulated device: what the model's stored
// profile says, drawn per action, never what the controller expects of it.
// The controller sends the profile's figures with each LOAD (Action.emulated,
// from controller/emulated-profile.ts); a run is p50 plus normal noise with
// the p50→p99 spread (σ = (p99 − p50) / 2.326), at least half p50, as the
// simulator draws them (traces/simulator.ts), and a LOAD is the profile's
// load time within ±5 %. The controller's estimates start from the same
// figures and learn these runs, so the two agree.
//
// Why not Action.expected_ms: that is the controller's estimate, a
// percentile of the runs it measured. A run that sleeps it lasts a little
// longer (a timer fires late, never early), the estimate learns the longer
// run, and the next run sleeps that: under steady load cls's batch-1
// estimate climbed from 1.2 ms to 60+ ms in seconds and admission rejected
// everything (issue 13). Without figures (a controller before this, a model
// without a profile) expected_ms is still what an action takes.
import type { EmulatedModel__Output } from '../common/wire.js';

/** A uniform draw in [0, 1). */
export type Rand = () => number;

/** A standard normal draw (Box–Muller). */
export function gaussian(rand: Rand): number {
  const u = Math.max(rand(), Number.MIN_VALUE);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** z of the 99th percentile of a normal distribution. */
const Z99 = 2.326;

/** Spread of an emulated load: ± this share of the profile's load time, about (σ). */
const LOAD_NOISE = 0.05;

/** The figures of one batch size: p50 and p99, ms. */
interface RunFigures {
  p50Ms: number;
  p99Ms: number;
}

/** A model's figures on the emulated device, checked once at its LOAD. */
export class EmulatedRuns {
  private readonly byBatch = new Map<number, RunFigures>();

  private constructor(readonly loadMs: number) {}

  /** The figures of a LOAD, or undefined when it carries none usable (then expected_ms stands). */
  static of(m: EmulatedModel__Output | null | undefined): EmulatedRuns | undefined {
    if (!m) return undefined;
    const runs = new EmulatedRuns(finiteAtLeast0(m.loadMs) ?? 0);
    for (const b of m.batches ?? []) {
      const p50 = finiteAtLeast0(b.p50Ms);
      const p99 = finiteAtLeast0(b.p99Ms);
      if (!Number.isSafeInteger(b.batch) || b.batch < 1 || p50 === undefined) continue;
      runs.byBatch.set(b.batch, { p50Ms: p50, p99Ms: Math.max(p50, p99 ?? p50) });
    }
    return runs.byBatch.size > 0 ? runs : undefined;
  }

  /**
   * The figures of a batch size: its own, else batch 1's × the size (CPU
   * batching is about linear; the controller's estimates scale so too),
   * else undefined.
   */
  figures(batch: number): RunFigures | undefined {
    const own = this.byBatch.get(batch);
    if (own) return own;
    const one = this.byBatch.get(1);
    if (!one || !(batch >= 1)) return undefined;
    return { p50Ms: one.p50Ms * batch, p99Ms: one.p99Ms * batch };
  }

  /** One INFER's duration at `batch`, ms; undefined when the figures have nothing for it. */
  run(batch: number, rand: Rand): number | undefined {
    const f = this.figures(batch);
    if (!f) return undefined;
    const sigma = (f.p99Ms - f.p50Ms) / Z99;
    return Math.max(f.p50Ms * 0.5, f.p50Ms + sigma * gaussian(rand));
  }

  /** One LOAD's duration, ms. */
  load(rand: Rand): number {
    return Math.max(0, this.loadMs * (1 + LOAD_NOISE * gaussian(rand)));
  }
}

function finiteAtLeast0(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : undefined;
}
