// Built-in synthetic workloads, each an open-loop Poisson process whose mean
// rate over the run is `rate` requests per second:
//   constant  homogeneous Poisson, models chosen uniformly
//   bursty    on/off: 2.5 s at 3.4× the rate, 7.5 s at 0.2× (period 10 s)
//   diurnal   a day compressed into the run: 0.2× at the ends, 1.8× mid-run
//   zipf      constant rate, model popularity Zipf(1) over the models (many-models case)
// Time-varying rates are drawn by thinning (Lewis–Shedler). Lazy and in time order.
import type { Arrival } from './trace-arrivals.js';
import { exponential, prng, type Rand } from './random.js';

export const SYNTHETIC_WORKLOADS = ['constant', 'bursty', 'diurnal', 'zipf'] as const;
export type SyntheticName = (typeof SYNTHETIC_WORKLOADS)[number];

export function isSyntheticName(s: string): s is SyntheticName {
  return (SYNTHETIC_WORKLOADS as readonly string[]).includes(s);
}

export interface SyntheticOptions {
  models: readonly string[];
  /** Mean arrival rate over the run, requests/s. */
  rate: number;
  /** Length of the run, s. */
  durationS: number;
  seed?: number;
}

const BURST_PERIOD_MS = 10_000;
const BURST_ON = 0.25;
const BURST_HIGH = 3.4;
const BURST_LOW = 0.2;

/** Rate multiplier at time t (ms) of a run lasting `durationMs`; and its maximum. */
function shape(name: SyntheticName, durationMs: number): { at: (t: number) => number; max: number } {
  switch (name) {
    case 'bursty':
      return { at: (t) => ((t % BURST_PERIOD_MS) < BURST_ON * BURST_PERIOD_MS ? BURST_HIGH : BURST_LOW), max: BURST_HIGH };
    case 'diurnal':
      return { at: (t) => 1 - 0.8 * Math.cos((2 * Math.PI * t) / durationMs), max: 1.8 };
    default:
      return { at: () => 1, max: 1 };
  }
}

/** Cumulative Zipf(1) weights over n models, for picking by binary search. */
function zipfTable(n: number): Float64Array {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) cdf[i] = sum += 1 / (i + 1);
  for (let i = 0; i < n; i++) cdf[i]! /= sum;
  return cdf;
}

function pickZipf(cdf: Float64Array, rand: Rand): number {
  const u = rand();
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid]! < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function* syntheticArrivals(name: SyntheticName, opts: SyntheticOptions): Generator<Arrival> {
  if (opts.models.length === 0) throw new Error('no models for the workload');
  if (!(opts.rate > 0)) throw new Error(`rate must be positive, not ${opts.rate}`);
  const rand = prng(opts.seed ?? 1);
  const durationMs = opts.durationS * 1000;
  const { at, max } = shape(name, durationMs);
  const cdf = name === 'zipf' ? zipfTable(opts.models.length) : undefined;
  const meanGap = 1000 / (opts.rate * max);
  for (let t = exponential(rand, meanGap); t < durationMs; t += exponential(rand, meanGap)) {
    if (max !== 1 && rand() * max >= at(t)) continue;
    const i = cdf ? pickZipf(cdf, rand) : Math.floor(rand() * opts.models.length);
    yield { time: t, model: opts.models[i]! };
  }
}
