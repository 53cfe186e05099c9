// Clockwork's experiments in the simulator (bench/clockwork.ts runs them and
// prints their figures): running one simulation with the why of its
// rejections, and the four experiments' arrivals and runs.
import fs from 'node:fs';
import path from 'node:path';
import { clockworkV100Set, RESNET50_V100_EXEC_MS, V100_MEMORY_BYTES } from '../profiles/clockwork-v100.js';
import { parseAzureTrace } from '../traces/azure-trace.js';
import { generateAzureTrace } from '../traces/generate-trace.js';
import { exponential, prng } from '../traces/random.js';
import { loadSimModels, type SimModel } from '../traces/sim-models.js';
import { simulate, type SimulationOptions, type SimulationResult } from '../traces/simulator.js';
import type { Bucket, Summary } from '../traces/summary.js';
import { blockMapping, traceArrivals, type Arrival } from '../traces/trace-arrivals.js';
import type { Figure } from './support.js';


/** Where the pictures go: bench/out/ (gitignored) of the folder the benchmark runs from, the repository root. */
export const OUT = path.resolve('bench', 'out', 'clockwork');
export const V100_B1_MS = RESNET50_V100_EXEC_MS[1]!;

// ---- running one simulation, with the why of its rejections ---------------

/** Why admission turned requests away, as the scheduler's messages say, split by whether the model was resident anywhere. */
export interface RejectionReasons {
  /** The model was loaded (or loading) nowhere when the request arrived. */
  coldPredictedLate: number;
  coldWouldPush: number;
  /** The model was resident on some executor. */
  warmPredictedLate: number;
  warmWouldPush: number;
}

export interface Run {
  result: SimulationResult;
  summary: Summary;
  reasons: RejectionReasons;
  /** Loads started per second of virtual time (index = second). */
  loadsPerSecond: number[];
  decisions: number;
  wallS: number;
  /** When the first model was unloaded (evicted), virtual ms. */
  firstUnloadMs?: number;
  /** From the first arrival at or after `steadyFromMs` on: arrivals taken and decisions made per second of wall time. */
  steady?: { arrivalsPerS: number; decisionsPerS: number };
}

/**
 * Runs the simulator, watching its decisions for loads and residency and its
 * rejections for their reasons. With `steadyFromMs`, also times the run from
 * the first arrival at or after it (the simulator pulls arrivals as virtual
 * time reaches them), leaving out a start-up such as the executors' warm-up.
 */
export function runSim(source: Iterable<Arrival>, opts: SimulationOptions, steadyFromMs?: number): Run {
  const where = new Map<string, number>();
  const reasons: RejectionReasons = { coldPredictedLate: 0, coldWouldPush: 0, warmPredictedLate: 0, warmWouldPush: 0 };
  const loadsPerSecond: number[] = [];
  let decisions = 0;
  let firstUnloadMs: number | undefined;
  let pulled = 0;
  let mark: { wall: number; pulled: number; decisions: number } | undefined;
  let last: { wall: number; decisions: number } | undefined;
  const arrivals = function* (): Generator<Arrival> {
    for (const a of source) {
      if (!mark && steadyFromMs !== undefined && a.time >= steadyFromMs) mark = { wall: performance.now(), pulled, decisions };
      pulled++;
      yield a;
    }
    // The last arrival is in: what follows is the drain (and idle executors warming), not the steady state.
    last = { wall: performance.now(), decisions };
  };
  const t0 = performance.now();
  const result = simulate(arrivals(), {
    ...opts,
    onDecision: (d, at) => {
      decisions++;
      if (d.type === 'load') {
        where.set(d.model, (where.get(d.model) ?? 0) + 1);
        const s = Math.floor(at / 1000);
        while (loadsPerSecond.length <= s) loadsPerSecond.push(0);
        loadsPerSecond[s]!++;
      } else if (d.type === 'unload') {
        where.set(d.model, Math.max(0, (where.get(d.model) ?? 0) - 1));
        firstUnloadMs ??= at;
      }
    },
    onReject: (model, _at, message) => {
      const cold = (where.get(model) ?? 0) === 0;
      const push = message.includes('would push');
      if (cold) reasons[push ? 'coldWouldPush' : 'coldPredictedLate']++;
      else reasons[push ? 'warmWouldPush' : 'warmPredictedLate']++;
    },
  });
  const end = performance.now();
  const stop = last ?? { wall: end, decisions };
  const span = mark ? stop.wall - mark.wall : 0;
  const steady = mark && span > 0 ? { arrivalsPerS: ((pulled - mark.pulled) * 1000) / span, decisionsPerS: ((stop.decisions - mark.decisions) * 1000) / span } : undefined;
  return { result, summary: result.summary, reasons, loadsPerSecond, decisions, wallS: (end - t0) / 1000, ...(firstUnloadMs !== undefined ? { firstUnloadMs } : {}), ...(steady ? { steady } : {}) };
}

export function writeOut(name: string, svg: string): string {
  fs.mkdirSync(OUT, { recursive: true });
  const file = path.join(OUT, name);
  fs.writeFileSync(file, svg);
  return path.relative(process.cwd(), file);
}

export const pct = (x: number, digits = 3): string => `${(100 * x).toFixed(digits)} %`;

// ---- 1. the Azure replay ----------------------------------------------------

export interface AzureReplayCase {
  label: string;
  models: SimModel[];
  workers: number;
  memoryBytes?: number;
  /** Trace functions (the paper gave each model instance four or five). */
  functions: number;
  minutes: number;
  /** Offered load: Σ batch-1 runs ÷ executor time (the summary's config.utilisation), aimed at. */
  utilisation: number;
  sloMs: number;
  seed: number;
}

/** Mean batch-1 p50 over the models, ms: what one request costs an executor unbatched. */
export function meanRun1(models: readonly SimModel[]): number {
  let sum = 0;
  for (const m of models) sum += Object.values(m.profile.classes)[0]!.batches.find((b) => b.batch === 1)!.p50Ms;
  return sum / models.length;
}

/**
 * An Azure-like trace for these models, scaled so that its expected offered
 * load (every arrival's batch-1 run, over the executors' time) is `utilisation`:
 * generated near it, then its counts scaled by what its own functions, mapped
 * onto the models as traceArrivals maps them, add up to.
 */
export function azureLikeArrivals(models: readonly SimModel[], executors: number, o: { functions: number; minutes: number; utilisation: number; seed: number }): Iterable<Arrival> {
  return azureLikeWorkload(models, executors, o)();
}

/** azureLikeArrivals as a stream that can be drawn again, identical each time (the trace is generated once). */
export function azureLikeWorkload(models: readonly SimModel[], executors: number, o: { functions: number; minutes: number; utilisation: number; seed: number }): () => Iterable<Arrival> {
  const perMinute = ((o.utilisation * executors * 1000) / meanRun1(models)) * 60;
  const trace = parseAzureTrace(generateAzureTrace({ functions: o.functions, minutes: o.minutes, seed: o.seed, totalPerMinute: perMinute }));
  const keys = models.map((m) => m.key);
  const run1 = models.map((m) => Object.values(m.profile.classes)[0]!.batches.find((b) => b.batch === 1)!.p50Ms);
  const map = blockMapping(trace.functions.length, models.length);
  let work = 0;
  trace.functions.forEach((f, i) => {
    let n = 0;
    for (const c of f.counts) n += c;
    work += n * run1[map[i]!]!;
  });
  const rateScale = work > 0 ? (o.utilisation * executors * o.minutes * 60_000) / work : 1;
  return () => traceArrivals(trace, { models: keys, seed: o.seed, rateScale });
}

export function azureReplay(c: AzureReplayCase): Run {
  return runSim(azureLikeArrivals(c.models, c.workers, c), {
    models: c.models,
    workers: c.workers,
    executorsPerWorker: 1,
    ...(c.memoryBytes !== undefined ? { memoryBytes: c.memoryBytes } : {}),
    sloMs: c.sloMs,
    seed: c.seed,
    durationMs: c.minutes * 60_000,
  });
}

export function replayFigures(c: AzureReplayCase, r: Run): Figure[] {
  const s = r.summary;
  const name = `clockwork azure replay, ${c.label}`;
  const beyond = s.rejected_beyond_floor ?? s.rejected;
  const why = r.reasons;
  const during = r.loadsPerSecond.slice(0, Math.ceil(s.duration_s)).reduce((a, b) => a + b, 0);
  return [
    {
      name: `${name}: SLO attainment, all requests`,
      value: 100 * s.slo_attainment,
      unit: '%',
      target: c.label.startsWith('V100') ? '≥ 99.99 % (Clockwork: 99.997 %)' : undefined,
      note:
        `${s.requests} requests in ${s.duration_s} s (${s.offered_rps.toFixed(0)} r/s), utilisation ${pct(Number(s.config.utilisation), 1)}; ` +
        `${s.ok_within_slo} within SLO, ${s.rejected} rejected (${beyond} beyond the floor of ${s.floor ?? 0}), ${s.late} late; p99 ${s.p99_ms.toFixed(1)} ms`,
    },
    { name: `${name}: accepted SLO attainment`, value: 100 * s.accepted_slo_attainment, unit: '%' },
    {
      name: `${name}: rejected`,
      value: 100 * (s.rejected / Math.max(1, s.requests)),
      unit: '% of requests',
      note: `reasons: model resident nowhere ${why.coldPredictedLate} predicted late + ${why.coldWouldPush} would push admitted ones; resident ${why.warmPredictedLate} + ${why.warmWouldPush}`,
    },
    { name: `${name}: goodput`, value: s.goodput_rps, unit: 'r/s' },
    {
      name: `${name}: loads`,
      value: during / s.duration_s,
      unit: 'loads/s',
      note: `${during} loads while requests arrived (${r.result.loads} with the warm-up of idle executors after the last); simulated in ${r.wallS.toFixed(1)} s`,
    },
  ];
}

// ---- 2. the many-models ramp ------------------------------------------------

export interface RampOptions {
  /** Seconds with the minor model alone before the first major one (the paper: 15 minutes). */
  warmupS: number;
  /** Major models; one more is active every second, so the run lasts warmupS + majors seconds. */
  majors: number;
  minorRate: number;
  majorRate: number;
  seed: number;
}

/**
 * The ramp's arrivals: model 0 (minor) Poisson at minorRate throughout; from
 * warmupS on, major model k (1-based) becomes active at warmupS + k − 1 s and
 * the majors share majorRate evenly: one Poisson stream at majorRate, each
 * arrival given to an active major at random — the same as an independent
 * Poisson stream of majorRate ÷ active per model.
 */
export function* rampArrivals(keys: readonly string[], o: RampOptions): Generator<Arrival> {
  if (keys.length < o.majors + 1) throw new Error(`the ramp needs ${o.majors + 1} models, got ${keys.length}`);
  const rand = prng(o.seed);
  const endMs = (o.warmupS + o.majors) * 1000;
  let tMinor = exponential(rand, 1000 / o.minorRate);
  let tMajor = o.warmupS * 1000 + exponential(rand, 1000 / o.majorRate);
  for (;;) {
    const t = Math.min(tMinor, tMajor);
    if (t >= endMs) return;
    if (tMinor <= tMajor) {
      yield { time: tMinor, model: keys[0]! };
      tMinor += exponential(rand, 1000 / o.minorRate);
    } else {
      const active = Math.min(o.majors, Math.floor((tMajor - o.warmupS * 1000) / 1000) + 1);
      yield { time: tMajor, model: keys[1 + Math.floor(rand() * active)]! };
      tMajor += exponential(rand, 1000 / o.majorRate);
    }
  }
}

export function ramp(o: RampOptions, memoryBytes = V100_MEMORY_BYTES): Run {
  const models = loadSimModels({ sources: clockworkV100Set(), instances: o.majors + 1 });
  return runSim(rampArrivals(models.map((m) => m.key), o), {
    models,
    workers: 1,
    executorsPerWorker: 1,
    memoryBytes,
    sloMs: 100,
    seed: o.seed,
    durationMs: (o.warmupS + o.majors) * 1000,
  });
}

/** One row of a timeline, over [fromS, toS). */
export interface Window {
  fromS: number;
  toS: number;
  offered: number;
  goodput: number;
  attainment: number;
  loads: number;
}

export function windowOf(buckets: readonly Bucket[], loads: readonly number[], fromS: number, toS: number): Window {
  let offered = 0;
  let ok = 0;
  let l = 0;
  for (let s = fromS; s < toS; s++) {
    offered += buckets[s]?.offered ?? 0;
    ok += buckets[s]?.okWithin ?? 0;
    l += loads[s] ?? 0;
  }
  const n = Math.max(1, toS - fromS);
  return { fromS, toS, offered: offered / n, goodput: ok / n, attainment: offered > 0 ? ok / offered : 1, loads: l / n };
}

// ---- 3. tight SLOs ----------------------------------------------------------

export interface TightSloOptions {
  copies: number;
  rate: number;
  workers: number;
  /** The first SLO, ms (one batch-1 run); each step multiplies it by `factor`. */
  startMs: number;
  factor: number;
  stepS: number;
  /** Stop after the first step whose SLO exceeds startMs × this. */
  untilMultiple: number;
  seed: number;
}

export function tightSloSteps(o: TightSloOptions): number[] {
  const slos: number[] = [];
  for (let slo = o.startMs; ; slo *= o.factor) {
    slos.push(slo);
    if (slo > o.startMs * o.untilMultiple) return slos;
  }
}

/** Poisson at `rate` over `copies` models chosen at random; every arrival carries its step's SLO. */
export function* tightSloArrivals(keys: readonly string[], o: TightSloOptions): Generator<Arrival> {
  const rand = prng(o.seed);
  const slos = tightSloSteps(o);
  const endMs = slos.length * o.stepS * 1000;
  for (let t = exponential(rand, 1000 / o.rate); t < endMs; t += exponential(rand, 1000 / o.rate)) {
    yield { time: t, model: keys[Math.floor(rand() * keys.length)]!, sloMs: slos[Math.floor(t / (o.stepS * 1000))]! };
  }
}

export function tightSlo(o: TightSloOptions): Run {
  const models = loadSimModels({ sources: clockworkV100Set(), instances: o.copies });
  return runSim(tightSloArrivals(models.map((m) => m.key), o), {
    models,
    workers: o.workers,
    executorsPerWorker: 1,
    memoryBytes: V100_MEMORY_BYTES,
    seed: o.seed,
    durationMs: tightSloSteps(o).length * o.stepS * 1000,
  });
}

// ---- 4. controller scalability ------------------------------------------------

export interface ScaleCase {
  workers: number;
  modelsPerWorker: number;
  /** Offered load per executor, as a share of its batch-1 capacity. */
  utilisation: number;
  seconds: number;
  /** Wall-clock throughput is measured from here on (the executors' warm-up loads come first). */
  steadyFromS: number;
  seed: number;
}

export function scalability(c: ScaleCase): Run {
  const n = c.workers * c.modelsPerWorker;
  const models = loadSimModels({ sources: clockworkV100Set(), instances: n });
  const source = azureLikeArrivals(models, c.workers, { functions: 5 * n, minutes: 1, utilisation: c.utilisation, seed: c.seed });
  const endMs = c.seconds * 1000;
  const arrivals = function* (): Generator<Arrival> {
    for (const a of source) {
      if (a.time >= endMs) return;
      yield a;
    }
  };
  const opts = { models, workers: c.workers, executorsPerWorker: 1, memoryBytes: V100_MEMORY_BYTES, sloMs: 100, seed: c.seed, durationMs: endMs };
  return runSim(arrivals(), opts, c.steadyFromS * 1000);
}

// ---- pictures -----------------------------------------------------------------
