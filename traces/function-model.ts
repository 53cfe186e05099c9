// A seeded model of the Azure Functions 2019 workload, after Shahrad et al.,
// "Serverless in the Wild" (USENIX ATC'20): what `punctual trace generate`
// writes by default. Two steps:
//
// - the population (functionPopulation): apps of 1..N functions in the
//   published proportions, a trigger per function in the published mix, and a
//   mean rate per function from a log-normal spread over many orders of
//   magnitude (an app level shared by its functions, a per-trigger offset, a
//   per-function spread), calibrated so that the app-level figures come out
//   as published (45 % of apps at most once an hour, 81 % at most once a
//   minute, the top 18.6 % of apps carrying ~99.6 % of invocations);
// - a behaviour per function, stepped one minute at a time (minuteCounts):
//   timers fire at fixed periods with constant counts; rare functions (under
//   2 an hour) come in small clusters; sporadic ones switch on and off with
//   heavy-tailed (Pareto) period lengths; steady ones are Poisson around a
//   slowly wandering level. Both of the last two follow a diurnal curve (the
//   busy, user-facing ones most) and may burst (a few minutes at many times
//   their level). Each keeps its mean rate: the on/off duty, the noise and the
//   bursts are divided out of its base level.
//
// Every function has its own random stream, seeded from the seed and its
// index, so the same seed gives the same counts whatever the output format,
// and a shorter trace is the prefix of a longer one.
import { exponential, gaussian, poisson, prng, type Rand } from './random.js';

export const TRIGGERS = ['http', 'queue', 'event', 'orchestration', 'timer', 'storage', 'others'] as const;
export type Trigger = (typeof TRIGGERS)[number];

/** Share of functions per trigger group, as published (the paper's Figure 2). */
export const TRIGGER_SHARE: Readonly<Record<Trigger, number>> = {
  http: 0.55,
  queue: 0.15,
  event: 0.02,
  orchestration: 0.07,
  timer: 0.156,
  storage: 0.028,
  others: 0.026,
};

/**
 * log10 offset of a function's rate by trigger: the paper's invocation shares
 * (HTTP 36 %, queue 34 %, event 25 % from 2 % of the functions, timer 2 %)
 * need queue and event functions to be busier than HTTP ones, orchestration,
 * storage and others quieter.
 */
const TRIGGER_OFFSET: Readonly<Record<Exclude<Trigger, 'timer'>, number>> = {
  http: 0,
  queue: 0.65,
  event: 1.35,
  orchestration: -0.35,
  storage: -0.55,
  others: -0.55,
};

/** log10 invocations per day of an app's typical function, and its spreads (calibrated, see the file header). */
const APP_LOG10_MEDIAN = 0.55;
const APP_LOG10_SIGMA = 1.75;
const FUNCTION_LOG10_SIGMA = 0.6;

/** Functions per app, as published (the paper's Figure 1): 1: 54 %, 2: 16 %, 3: 10 %, 4–5: 8 %, 6–10: 7 %, 11+: 5 %. */
const FUNCTIONS_PER_APP: readonly [number, number, number][] = [
  [0.54, 1, 1],
  [0.16, 2, 2],
  [0.1, 3, 3],
  [0.08, 4, 5],
  [0.07, 6, 10],
  [0.05, 11, 40],
];

/** Timer periods in minutes and their weights: the cron schedules people write. */
const TIMER_PERIODS: readonly [number, number][] = [
  [1, 0.28],
  [5, 0.2],
  [10, 0.1],
  [15, 0.1],
  [30, 0.1],
  [60, 0.12],
  [120, 0.03],
  [240, 0.02],
  [360, 0.02],
  [720, 0.015],
  [1440, 0.015],
];
/** Share of one-minute timers that fire several times a minute. */
const SUBMINUTE_TIMERS = 0.25;
/** Invocations per minute of those: every 30, 15, 10, 5 or 1 s. */
const SUBMINUTE_FIRINGS: readonly [number, number][] = [
  [2, 0.3],
  [4, 0.2],
  [6, 0.2],
  [12, 0.2],
  [60, 0.1],
];
/** A firing whose invocation completes in the next minute (counts are recorded after execution). */
const TIMER_SLIP = 0.02;

/** Below this many invocations a day a function is rare: a few clusters a day. */
const RARE_PER_DAY = 48;
/** Share of functions (by trigger) that run on and off rather than steadily. */
const SPORADIC_SHARE: Readonly<Record<Exclude<Trigger, 'timer'>, number>> = {
  http: 0.5,
  queue: 0.65,
  event: 0.3,
  orchestration: 0.65,
  storage: 0.55,
  others: 0.5,
};
/** The daily peak, minutes after midnight of the trace's first minute (the paper's traces are in UTC). */
const DIURNAL_PEAK_MINUTE = 870;
/** The steady level wanders: log-normal AR(1) per minute. */
const LEVEL_SIGMA = 0.25;
const LEVEL_RHO = 0.9;
/** Bursts: mean length in minutes, multiplier Pareto(1.5) from 3, capped at 100. */
const BURST_MEAN_MINUTES = 2;
const BURST_MIN = 3;
const BURST_ALPHA = 1.5;
const BURST_CAP = 100;
const BURST_MEAN_MULTIPLIER = (BURST_MIN * BURST_ALPHA) / (BURST_ALPHA - 1) - (BURST_MIN ** BURST_ALPHA * BURST_CAP ** (1 - BURST_ALPHA)) / (BURST_ALPHA - 1);
/** On/off period lengths: Pareto with this tail index, capped at a week. */
const ONOFF_ALPHA = 1.5;
const ONOFF_CAP_MINUTES = 7 * 1440;

export type Behaviour = 'timer' | 'rare' | 'sporadic' | 'steady';

export interface FunctionSpec {
  owner: string;
  app: string;
  fn: string;
  trigger: Trigger;
  behaviour: Behaviour;
  /** Mean invocations per minute over a day. */
  rate: number;
  /** Timers: minutes between firings and invocations per firing. */
  period?: number;
  perFiring?: number;
  /** Steady and sporadic ones: the daily curve, 1 + amplitude·cos(2π(m − peakMinute)/1440). */
  amplitude: number;
  peakMinute: number;
  /** Seed of the function's own random stream. */
  seed: number;
}

export interface PopulationOptions {
  functions: number;
  seed: number;
  /**
   * Scale every non-timer function's rate so that the trace's first
   * `minutes` are expected to average this many invocations a minute (timers
   * keep their periods). Shifts the rate buckets by the same factor;
   * popularity shares and spread stay.
   * @default the published absolute rates
   */
  totalPerMinute?: number;
  /** The minutes totalPerMinute is for (their share of the daily curve counts). @default 1440 */
  minutes?: number;
}

/** A 32-bit hash of two integers (murmur3's finaliser): independent seeds for nearby indices. */
export function mixSeed(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul((b + 0x632be5ab) | 0, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** 64 hex digits, like the trace's HMAC-SHA256 ids. */
export function hexId(rand: Rand): string {
  let s = '';
  for (let i = 0; i < 8; i++) s += Math.floor(rand() * 2 ** 32).toString(16).padStart(8, '0');
  return s;
}

function pick<T>(rand: Rand, table: readonly (readonly [T, number])[]): T {
  let u = rand();
  for (const [v, w] of table) {
    if (u < w) return v;
    u -= w;
  }
  return table[table.length - 1]![0];
}

const TRIGGER_TABLE: readonly (readonly [Trigger, number])[] = TRIGGERS.map((t) => [t, TRIGGER_SHARE[t]] as const);

function functionsInApp(rand: Rand): number {
  let u = rand();
  for (const [w, lo, hi] of FUNCTIONS_PER_APP) {
    if (u < w) return lo + Math.floor(rand() * (hi - lo + 1));
    u -= w;
  }
  return 1;
}

interface Draft {
  owner: string;
  app: string;
  fn: string;
  trigger: Trigger;
  rate: number;
  period?: number;
  perFiring?: number;
  sporadicDraw: number;
  amplitudeDraw: number;
  peakMinute: number;
}

function behaviourOf(d: Draft, rate: number): Behaviour {
  if (d.trigger === 'timer') return 'timer';
  if (rate * 1440 < RARE_PER_DAY) return 'rare';
  return d.sporadicDraw < SPORADIC_SHARE[d.trigger] * (rate < 10 ? 1 : 0.4) ? 'sporadic' : 'steady';
}

/** The daily swing: busy user-facing functions most, queues and events less, rare ones and timers none. */
function amplitudeOf(d: Draft, rate: number, behaviour: Behaviour): number {
  if (behaviour === 'timer' || behaviour === 'rare') return 0;
  const userFacing = d.trigger === 'http' || d.trigger === 'orchestration' || d.trigger === 'others';
  if (rate >= 1) return userFacing ? 0.2 + 0.3 * d.amplitudeDraw : 0.1 + 0.2 * d.amplitudeDraw;
  return (userFacing ? 0.3 : 0.2) * d.amplitudeDraw;
}

/** Mean of the daily curve over minutes 0..minutes-1. */
function curveMean(amplitude: number, peak: number, minutes: number): number {
  if (amplitude === 0) return 1;
  let s = 0;
  for (let m = 0; m < minutes; m++) s += Math.cos((2 * Math.PI * (m - peak)) / 1440);
  return 1 + (amplitude * s) / minutes;
}

/** The functions of a trace: ids, triggers, mean rates and behaviours. */
export function functionPopulation(opts: PopulationOptions): FunctionSpec[] {
  const rand = prng(opts.seed);
  const drafts: Draft[] = [];
  let owner = hexId(rand);
  while (drafts.length < opts.functions) {
    if (drafts.length > 0 && rand() < 0.7) owner = hexId(rand); // most owners have one app, some several
    const app = hexId(rand);
    const appLevel = APP_LOG10_MEDIAN + APP_LOG10_SIGMA * gaussian(rand);
    const n = Math.min(functionsInApp(rand), opts.functions - drafts.length);
    for (let i = 0; i < n; i++) {
      const trigger = pick(rand, TRIGGER_TABLE);
      const fn = hexId(rand);
      const draws = { sporadicDraw: rand(), amplitudeDraw: rand(), peakMinute: DIURNAL_PEAK_MINUTE + 60 * gaussian(rand) };
      if (trigger === 'timer') {
        const period = pick(rand, TIMER_PERIODS);
        const perFiring = period === 1 && rand() < SUBMINUTE_TIMERS ? pick(rand, SUBMINUTE_FIRINGS) : 1;
        drafts.push({ owner, app, fn, trigger, rate: perFiring / period, period, perFiring, ...draws });
      } else {
        const log10PerDay = appLevel + TRIGGER_OFFSET[trigger] + FUNCTION_LOG10_SIGMA * gaussian(rand);
        drafts.push({ owner, app, fn, trigger, rate: 10 ** log10PerDay / 1440, ...draws });
      }
    }
  }
  let factor = 1;
  if (opts.totalPerMinute !== undefined) {
    // The expected total over the window depends on each function's share of the daily curve,
    // which depends (through its behaviour) on its scaled rate: a few rounds settle it.
    const minutes = opts.minutes ?? 1440;
    const timers = drafts.reduce((s, d) => s + (d.trigger === 'timer' ? d.rate : 0), 0);
    if (!(opts.totalPerMinute > timers) || drafts.every((d) => d.trigger === 'timer')) {
      throw new Error(`a total of ${opts.totalPerMinute} invocations a minute is not more than the timers' own ${timers.toFixed(1)} a minute in this population`);
    }
    for (let round = 0; round < 3; round++) {
      let others = 0;
      for (const d of drafts) {
        if (d.trigger === 'timer') continue;
        const rate = d.rate * factor;
        others += d.rate * curveMean(amplitudeOf(d, rate, behaviourOf(d, rate)), d.peakMinute, minutes);
      }
      factor = (opts.totalPerMinute - timers) / others;
    }
  }
  return drafts.map((d, i) => {
    const rate = d.trigger === 'timer' ? d.rate : d.rate * factor;
    const behaviour = behaviourOf(d, rate);
    return {
      owner: d.owner,
      app: d.app,
      fn: d.fn,
      trigger: d.trigger,
      behaviour,
      rate,
      ...(d.period !== undefined ? { period: d.period, perFiring: d.perFiring ?? 1 } : {}),
      amplitude: amplitudeOf(d, rate, behaviour),
      peakMinute: d.peakMinute,
      seed: mixSeed(opts.seed, i),
    };
  });
}

/** k ≥ 0 with the given mean (geometric on 0, 1, 2, …). */
function geometric(rand: Rand, mean: number): number {
  if (mean <= 0) return 0;
  return Math.floor(Math.log(1 - rand()) / Math.log(mean / (1 + mean)));
}

/** A Pareto(α) length with the given mean, capped. */
function paretoLength(rand: Rand, mean: number, alpha: number, cap: number): number {
  const xm = (mean * (alpha - 1)) / alpha;
  return Math.min(cap, xm / (1 - rand()) ** (1 / alpha));
}

/** Bursts: a few a day at random minutes, each a few minutes at BURST_MIN..BURST_CAP × the level. */
class Bursts {
  private left = 0;
  private factor = 1;
  readonly meanFactor: number;

  constructor(
    private readonly rand: Rand,
    private readonly perDay: number,
  ) {
    this.meanFactor = 1 + (perDay / 1440) * BURST_MEAN_MINUTES * (BURST_MEAN_MULTIPLIER - 1);
  }

  next(): number {
    if (this.left <= 0 && this.perDay > 0 && this.rand() < this.perDay / 1440) {
      this.left = 1 + geometric(this.rand, BURST_MEAN_MINUTES - 1);
      this.factor = Math.min(BURST_CAP, BURST_MIN / (1 - this.rand()) ** (1 / BURST_ALPHA));
    }
    if (this.left <= 0) return 1;
    this.left--;
    return this.factor;
  }
}

function burstsPerDay(spec: FunctionSpec, rand: Rand): number {
  if (spec.rate < 0.1 || rand() < 0.5) return 0;
  return (spec.trigger === 'queue' ? 2 : 0.5) * 16 ** rand(); // 0.5–8 a day (queues 2–32: backlogs)
}

/**
 * The function's invocations per minute, minute 0, 1, 2, … of the trace
 * (minute 0 starts at midnight); an endless stream: take what you need.
 */
export function* minuteCounts(spec: FunctionSpec): Generator<number, never> {
  const rand = prng(spec.seed);
  if (spec.behaviour === 'timer') {
    const period = spec.period ?? 1;
    const k = spec.perFiring ?? 1;
    const phase = Math.floor(rand() * period);
    let carried = 0;
    for (let m = 0; ; m++) {
      let c = carried;
      carried = 0;
      if ((m + phase) % period === 0) {
        if (rand() < TIMER_SLIP) carried = k;
        else c += k;
      }
      yield c;
    }
  }
  if (spec.behaviour === 'rare') {
    // Clusters: a user or a job touching the function a few times within minutes.
    const clusterMean = 1 + Math.min(3, (spec.rate * 1440) / 8);
    const start = spec.rate / clusterMean;
    const pending = new Array<number>(6).fill(0);
    for (;;) {
      if (rand() < start) {
        const size = 1 + geometric(rand, clusterMean - 1);
        for (let i = 0; i < size; i++) pending[Math.min(pending.length - 1, Math.floor(exponential(rand, 0.7)))]!++;
      }
      yield pending.shift()!;
      pending.push(0);
    }
  }
  const { amplitude, peakMinute: peak } = spec;
  const bursts = new Bursts(rand, burstsPerDay(spec, rand));
  const sporadic = spec.behaviour === 'sporadic';
  const duty = sporadic ? 0.05 + 0.45 * rand() : 1;
  const meanOn = 5 + 55 * rand();
  const meanOff = (meanOn * (1 - duty)) / duty;
  let on = !sporadic || rand() < duty;
  let left = sporadic ? paretoLength(rand, on ? meanOn : meanOff, ONOFF_ALPHA, ONOFF_CAP_MINUTES) : Infinity;
  const base = spec.rate / duty / bursts.meanFactor;
  let level = gaussian(rand);
  const innovation = Math.sqrt(1 - LEVEL_RHO * LEVEL_RHO);
  for (let m = 0; ; m++) {
    while (left <= 0) {
      on = !on;
      left += Math.max(1, paretoLength(rand, on ? meanOn : meanOff, ONOFF_ALPHA, ONOFF_CAP_MINUTES));
    }
    left--;
    level = LEVEL_RHO * level + innovation * gaussian(rand);
    const burst = bursts.next();
    if (!on) {
      yield 0;
      continue;
    }
    const daily = 1 + amplitude * Math.cos((2 * Math.PI * (m - peak)) / 1440);
    yield poisson(rand, base * daily * Math.exp(LEVEL_SIGMA * level - (LEVEL_SIGMA * LEVEL_SIGMA) / 2) * burst);
  }
}
