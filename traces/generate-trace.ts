// Writes seeded traces for tests, demos and benchmarks, one line at a time.
// Two shapes: 'azure' (the default), the published character of the Azure
// Functions 2019 trace (traces/function-model.ts: popularity over many orders
// of magnitude, mostly rare functions, timers, on/off, bursts, a daily
// curve); and 'zipf-poisson', the original simple one (popularity 1/(f+1),
// Poisson minutes), kept because results are pinned on it. Two formats:
// '2019' (invocations_per_function_md: one row per function, per-minute
// counts, in either header variant) and '2021' (one row per invocation:
// app,func,end_timestamp,duration), the same counts in both for a seed.
import { functionPopulation, minuteCounts, mixSeed, type FunctionSpec } from './function-model.js';
import { gaussian, poisson, prng } from './random.js';

export type TraceShape = 'azure' | 'zipf-poisson';
export type TraceFileFormat = '2019' | '2021';

export interface GenerateTraceOptions {
  /** @default 'azure' */
  shape?: TraceShape;
  /** @default '2019' */
  format?: TraceFileFormat;
  /** Functions (2019: rows, idle ones included). @default 12 */
  functions?: number;
  /** Minutes: 1..1440 in the 2019 format, 1..20160 (two weeks) in the 2021 one. @default 10 */
  minutes?: number;
  /**
   * 'azure' shape: scale the non-timer rates so the trace is expected to
   * average this many invocations a minute. @default the published absolute rates
   */
  totalPerMinute?: number;
  /** 'zipf-poisson' shape: mean invocations per minute of the busiest function. @default 600 */
  peakPerMinute?: number;
  /** 2019 format: 'azure': HashOwner,HashApp,HashFunction,Trigger,1..N; 'minute': minute_1.. and no Trigger, columns reordered. @default 'azure' */
  variant?: 'azure' | 'minute';
  /** @default 1 */
  seed?: number;
  /** Called as the work goes: rows (2019) or minutes (2021) done, of total. */
  onProgress?: (done: number, total: number) => void;
}

export const MAX_2019_MINUTES = 1440;
export const MAX_2021_MINUTES = 14 * 1440;

/** Throws on options that do not go together (the CLI reports them as usage errors). */
export function checkGenerateOptions(opts: GenerateTraceOptions): void {
  const shape = opts.shape ?? 'azure';
  const format = opts.format ?? '2019';
  const minutes = opts.minutes ?? 10;
  const max = format === '2019' ? MAX_2019_MINUTES : MAX_2021_MINUTES;
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > max) throw new Error(`minutes must be an integer from 1 to ${max} in the ${format} format, not ${minutes}`);
  const functions = opts.functions ?? 12;
  if (!Number.isInteger(functions) || functions < 1) throw new Error(`functions must be a positive integer, not ${functions}`);
  if (shape === 'azure' && opts.peakPerMinute !== undefined) throw new Error("peakPerMinute is for the 'zipf-poisson' shape; the 'azure' shape takes totalPerMinute");
  if (shape === 'zipf-poisson' && opts.totalPerMinute !== undefined) throw new Error("totalPerMinute is for the 'azure' shape; the 'zipf-poisson' shape takes peakPerMinute");
  if (shape === 'zipf-poisson' && format === '2021') throw new Error("the 2021 format is generated from the 'azure' shape only");
  if (format === '2021' && opts.variant !== undefined && opts.variant !== 'azure') throw new Error('header variants are a 2019-format option');
}

/** The trace's lines, without newlines, header first. */
export function* traceLines(opts: GenerateTraceOptions = {}): Generator<string> {
  checkGenerateOptions(opts);
  if ((opts.shape ?? 'azure') === 'zipf-poisson') yield* zipfPoissonLines(opts);
  else if ((opts.format ?? '2019') === '2019') yield* azure2019Lines(opts);
  else yield* azure2021Lines(opts);
}

/** The whole trace as one string (small traces: tests and demos). */
export function generateAzureTrace(opts: GenerateTraceOptions = {}): string {
  let text = '';
  for (const line of traceLines(opts)) text += line + '\n';
  return text;
}

function header2019(variant: 'azure' | 'minute', minutes: number): string {
  const minuteNames = Array.from({ length: minutes }, (_, i) => (variant === 'azure' ? String(i + 1) : `minute_${i + 1}`));
  return (variant === 'azure' ? ['HashOwner', 'HashApp', 'HashFunction', 'Trigger', ...minuteNames] : ['HashFunction', 'HashOwner', 'HashApp', ...minuteNames]).join(',');
}

/** The 'azure' shape's functions for these options. */
export function populationOf(opts: GenerateTraceOptions): FunctionSpec[] {
  return functionPopulation({
    functions: opts.functions ?? 12,
    seed: opts.seed ?? 1,
    ...(opts.totalPerMinute !== undefined ? { totalPerMinute: opts.totalPerMinute, minutes: opts.minutes ?? 10 } : {}),
  });
}

function* azure2019Lines(opts: GenerateTraceOptions): Generator<string> {
  const minutes = opts.minutes ?? 10;
  const variant = opts.variant ?? 'azure';
  const population = populationOf(opts);
  yield header2019(variant, minutes);
  for (const [i, f] of population.entries()) {
    const steps = minuteCounts(f);
    const counts = new Array<number>(minutes);
    for (let m = 0; m < minutes; m++) counts[m] = steps.next().value;
    yield (variant === 'azure' ? [f.owner, f.app, f.fn, f.trigger, ...counts] : [f.fn, f.owner, f.app, ...counts]).join(',');
    opts.onProgress?.(i + 1, population.length);
  }
}

/** Per-invocation rows: each minute's invocations at random instants in it (timers at their own second), a duration per invocation. */
function* azure2021Lines(opts: GenerateTraceOptions): Generator<string> {
  const minutes = opts.minutes ?? 10;
  const seed = opts.seed ?? 1;
  const population = populationOf(opts);
  const rand = prng(mixSeed(seed, 2021));
  const steps = population.map((f) => minuteCounts(f));
  // Durations: a log-normal median per function (most well under a second, a few of minutes), log-normal spread around it.
  const medianS = population.map(() => Math.min(600, 10 ** (-0.4 + 0.8 * gaussian(rand))));
  const second = population.map(() => rand() * 60);
  yield 'app,func,end_timestamp,duration';
  const starts: number[] = [];
  const which: number[] = [];
  const durations: number[] = [];
  for (let m = 0; m < minutes; m++) {
    starts.length = 0;
    which.length = 0;
    durations.length = 0;
    for (const [i, f] of population.entries()) {
      const c = steps[i]!.next().value;
      for (let k = 0; k < c; k++) {
        const offset = f.behaviour === 'timer' ? (second[i]! + (k * 60) / c) % 60 : rand() * 60;
        starts.push(m * 60 + offset);
        which.push(i);
        durations.push(Number((medianS[i]! * Math.exp(0.5 * gaussian(rand))).toFixed(3)));
      }
    }
    const order = Array.from(starts.keys()).sort((a, b) => starts[a]! - starts[b]!);
    for (const j of order) {
      const f = population[which[j]!]!;
      yield `${f.app},${f.fn},${(starts[j]! + durations[j]!).toFixed(6)},${durations[j]!}`;
    }
    opts.onProgress?.(m + 1, minutes);
  }
}

// The original generator, unchanged: test/simulate-golden.test.ts pins simulator results on its output.
const ZIPF_TRIGGERS = ['http', 'timer', 'queue', 'event', 'storage'];

function hash16(rand: () => number): string {
  let s = '';
  for (let i = 0; i < 16; i++) s += Math.floor(rand() * 16).toString(16);
  return s;
}

function* zipfPoissonLines(opts: GenerateTraceOptions): Generator<string> {
  const rand = prng(opts.seed ?? 1);
  const functions = opts.functions ?? 12;
  const minutes = opts.minutes ?? 10;
  const peak = opts.peakPerMinute ?? 600;
  const variant = opts.variant ?? 'azure';
  yield header2019(variant, minutes);
  for (let f = 0; f < functions; f++) {
    const owner = hash16(rand);
    const app = hash16(rand);
    const fn = hash16(rand);
    const trigger = ZIPF_TRIGGERS[f % ZIPF_TRIGGERS.length]!;
    // Popularity falls off as 1/(f+1); each minute is Poisson around it.
    const mean = peak / (f + 1);
    const counts = Array.from({ length: minutes }, () => String(poisson(rand, mean)));
    yield (variant === 'azure' ? [owner, app, fn, trigger, ...counts] : [fn, owner, app, ...counts]).join(',');
    opts.onProgress?.(f + 1, functions);
  }
}
