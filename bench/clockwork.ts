// Clockwork's experiments (Gujarati et al., OSDI 2020, §6), replayed in the
// simulator: the controller's own Scheduler in virtual time against emulated
// executors (traces/simulator.ts), with the paper's ResNet50-on-a-V100 profile
// set (profiles/clockwork-v100.ts) and, for contrast, this machine's det, rec
// and cls. Four experiments, as issue 11 point 5 lists them:
//   1. the Azure replay: 4,026 instances on 6 executors, an Azure-like trace, 100 ms SLO (paper §6.5);
//   2. the many-models ramp: one model at 200 r/s, 1,000 r/s over the rest, one more active every second (§6.2);
//   3. tight SLOs: the SLO from one batch-1 run, ×1.5 every 30 s (§6.3);
//   4. controller scalability: 10–150 emulated workers, wall time per request (§6.6).
// Everything but experiment 4's wall-clock figures is virtual time, so the
// machine's noise cannot move it; the same seed gives the same figures.
import fs from 'node:fs';
import path from 'node:path';
import { clockworkV100Set, RESNET50_V100_EXEC_MS, RESNET50_V100_MEMORY_BYTES, V100_MEMORY_BYTES } from '../profiles/clockwork-v100.js';
import { parseAzureTrace } from '../traces/azure-trace.js';
import { generateAzureTrace } from '../traces/generate-trace.js';
import { exponential, prng } from '../traces/random.js';
import { renderReportSvg } from '../traces/report-svg.js';
import { loadSimModels, type SimModel } from '../traces/sim-models.js';
import { simulate, type SimulationOptions, type SimulationResult } from '../traces/simulator.js';
import type { Bucket, Summary } from '../traces/summary.js';
import { blockMapping, traceArrivals, type Arrival } from '../traces/trace-arrivals.js';
import type { Figure } from './support.js';

/** Where the pictures go: bench/out/ (gitignored) of the folder the benchmark runs from, the repository root. */
const OUT = path.resolve('bench', 'out', 'clockwork');
const V100_B1_MS = RESNET50_V100_EXEC_MS[1]!;

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

function writeOut(name: string, svg: string): string {
  fs.mkdirSync(OUT, { recursive: true });
  const file = path.join(OUT, name);
  fs.writeFileSync(file, svg);
  return path.relative(process.cwd(), file);
}

const pct = (x: number, digits = 3): string => `${(100 * x).toFixed(digits)} %`;

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
function meanRun1(models: readonly SimModel[]): number {
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
  return traceArrivals(trace, { models: keys, seed: o.seed, rateScale });
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

function replayFigures(c: AzureReplayCase, r: Run): Figure[] {
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
interface Window {
  fromS: number;
  toS: number;
  offered: number;
  goodput: number;
  attainment: number;
  loads: number;
}

function windowOf(buckets: readonly Bucket[], loads: readonly number[], fromS: number, toS: number): Window {
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

interface Series {
  label: string;
  color: string;
  points: [number, number][];
  /** Plotted against the right axis (0..rightMax). */
  right?: boolean;
}

/** A small line chart: x against a left axis, optionally a second series set against a right one. */
export function lineChartSvg(title: string, subtitle: string, xLabel: string, yLeft: string, yRight: string | undefined, series: Series[], logX = false): string {
  const W = 960;
  const H = 480;
  const L = 80;
  const R = yRight ? 80 : 30;
  const T = 80;
  const B = 70;
  const pw = W - L - R;
  const ph = H - T - B;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const fx = (x: number): number => (logX ? Math.log(x) : x);
  const x0 = Math.min(...xs.map(fx));
  const x1 = Math.max(...xs.map(fx));
  const nice = (v: number): number => {
    if (!(v > 0)) return 1;
    const p = 10 ** Math.floor(Math.log10(v));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  };
  const maxOf = (right: boolean): number => nice(Math.max(0, ...series.filter((s) => !!s.right === right).flatMap((s) => s.points.map((p) => p[1]))));
  const lMax = maxOf(false);
  const rMax = maxOf(true);
  const px = (x: number): number => L + (x1 > x0 ? ((fx(x) - x0) / (x1 - x0)) * pw : pw / 2);
  const py = (y: number, right: boolean): number => T + ph - (ph * y) / (right ? rMax : lMax);
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`, `<rect width="${W}" height="${H}" fill="#fff"/>`];
  out.push(`<text x="${L}" y="26" font-size="16" font-weight="bold">${esc(title)}</text>`, `<text x="${L}" y="46" font-size="12">${esc(subtitle)}</text>`);
  for (let i = 0; i <= 4; i++) {
    const y = T + ph - (ph * i) / 4;
    out.push(`<line x1="${L}" x2="${W - R}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${L - 6}" y="${y + 4}" text-anchor="end" font-size="11">${+((lMax * i) / 4).toFixed(2)}</text>`);
    if (yRight) out.push(`<text x="${W - R + 6}" y="${y + 4}" font-size="11">${+((rMax * i) / 4).toFixed(2)}</text>`);
  }
  const ticks = [...new Set(xs)].sort((a, b) => a - b);
  const every = Math.max(1, Math.ceil(ticks.length / 12));
  ticks.forEach((x, i) => {
    if (i % every === 0) out.push(`<text x="${px(x).toFixed(1)}" y="${T + ph + 18}" text-anchor="middle" font-size="11">${+x.toFixed(1)}</text>`);
  });
  out.push(`<text x="${L + pw / 2}" y="${H - 30}" text-anchor="middle" font-size="12">${esc(xLabel)}</text>`);
  out.push(`<text x="16" y="${T + ph / 2}" font-size="12" transform="rotate(-90 16 ${T + ph / 2})" text-anchor="middle">${esc(yLeft)}</text>`);
  if (yRight) out.push(`<text x="${W - 14}" y="${T + ph / 2}" font-size="12" transform="rotate(90 ${W - 14} ${T + ph / 2})" text-anchor="middle">${esc(yRight)}</text>`);
  series.forEach((s, i) => {
    const pts = s.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y, !!s.right).toFixed(1)}`).join(' ');
    out.push(`<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="2"${s.right ? ' stroke-dasharray="6 3"' : ''}/>`);
    const lx = L + i * 210;
    out.push(`<rect x="${lx}" y="${T - 24}" width="12" height="12" fill="${s.color}"/><text x="${lx + 16}" y="${T - 14}" font-size="11">${esc(s.label)}${s.right ? ' (right)' : ''}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** The ramp's figures over time, the points where goodput and attainment fall, and its picture. */
function rampFigures(label: string, file: string, o: RampOptions, windowS: number, rr: Run): Figure[] {
  const figures: Figure[] = [];
  const buckets = rr.result.builder.buckets;
  const endS = o.warmupS + o.majors;
  const rows: Window[] = [];
  for (let s = 0; s < endS; s += windowS) rows.push(windowOf(buckets, rr.loadsPerSecond, s, Math.min(endS, s + windowS)));
  const early = windowOf(buckets, rr.loadsPerSecond, o.warmupS, o.warmupS + 20);
  const active = (s: number): number => Math.max(0, Math.min(o.majors, s - o.warmupS + 1));
  const fits = Math.floor(V100_MEMORY_BYTES / RESNET50_V100_MEMORY_BYTES);
  const name = `clockwork ramp, ${label} (${o.minorRate} + ${o.majorRate} r/s)`;
  const dropG = rows.find((w) => w.fromS >= o.warmupS + 20 && w.goodput < 0.9 * early.goodput);
  const dropA = rows.find((w) => w.fromS >= o.warmupS && w.attainment < 0.99);
  figures.push({
    name: `${name}: goodput with the first 20 majors active`,
    value: early.goodput,
    unit: 'r/s',
    note: `offered ${early.offered.toFixed(0)} r/s, attainment ${pct(early.attainment, 1)}; 1 executor, ${fits} models fit in 32 GB`,
  });
  const every = Math.max(1, Math.round(rows.length / 10));
  for (const w of rows.filter((_, i) => i % every === 0 || i === rows.length - 1)) {
    figures.push({
      name: `${name}: ${w.fromS}-${w.toS} s (${active(w.fromS)}-${active(w.toS - 1)} majors)`,
      value: w.goodput,
      unit: 'r/s goodput',
      note: `offered ${w.offered.toFixed(0)} r/s, attainment ${pct(w.attainment, 1)}, ${w.loads.toFixed(1)} loads/s`,
    });
  }
  figures.push({
    name: `${name}: first eviction`,
    value: rr.firstUnloadMs !== undefined ? active(Math.floor(rr.firstUnloadMs / 1000)) : NaN,
    unit: 'majors active',
    note: rr.firstUnloadMs !== undefined ? `at ${(rr.firstUnloadMs / 1000).toFixed(1)} s: memory full (${fits} models)` : 'memory never filled',
  });
  figures.push({
    name: `${name}: goodput below 90 % of its early level`,
    value: dropG ? active(dropG.fromS) : NaN,
    unit: 'majors active',
    note: dropG ? `from ${dropG.fromS} s: ${dropG.goodput.toFixed(0)} r/s, ${dropG.loads.toFixed(1)} loads/s` : 'never in this run',
  });
  figures.push({
    name: `${name}: attainment below 99 %`,
    value: dropA ? active(dropA.fromS) : NaN,
    unit: 'majors active',
    note: dropA ? `from ${dropA.fromS} s: ${pct(dropA.attainment, 1)}, ${dropA.loads.toFixed(1)} loads/s` : 'never in this run',
  });
  const s = rr.summary;
  const why = rr.reasons;
  figures.push({
    name: `${name}: the whole run`,
    value: 100 * s.slo_attainment,
    unit: '% SLO attainment',
    note:
      `${s.requests} requests; accepted ${pct(s.accepted_slo_attainment)}, ${s.rejected} rejected (resident nowhere: ${why.coldPredictedLate} predicted late, ${why.coldWouldPush} would push; ` +
      `resident: ${why.warmPredictedLate} + ${why.warmWouldPush}), ${s.late} late, ${rr.result.loads} loads; simulated in ${rr.wallS.toFixed(1)} s`,
  });
  writeOut(
    file,
    lineChartSvg(
      `Clockwork's many-models ramp at ${label}, simulated (V100 ResNet50 profile, 1 executor, 32 GB, SLO 100 ms)`,
      `minor model ${o.minorRate} r/s; ${o.majorRate} r/s over the majors, one more active each second from ${o.warmupS} s; ${fits} models fit in memory`,
      'majors active',
      `requests/s (${windowS} s windows)`,
      'loads/s',
      [
        { label: 'offered', color: '#9e9e9e', points: rows.map((w) => [active(w.fromS), w.offered]) },
        { label: 'goodput (ok within SLO)', color: '#2e7d32', points: rows.map((w) => [active(w.fromS), w.goodput]) },
        { label: 'loads (cold starts)', color: '#ef6c00', points: rows.map((w) => [active(w.fromS), w.loads]), right: true },
      ],
    ),
  );
  return figures;
}

// ---- the benchmark ----------------------------------------------------------------

export interface ClockworkBenchOptions {
  /** Shrinks every experiment's duration (1 = the lengths below; the BENCHMARKS.md figures are from 1). */
  scale?: number;
}

export function runClockworkBench(opts: ClockworkBenchOptions = {}): Figure[] {
  const k = opts.scale ?? 1;
  const figures: Figure[] = [];
  const log = (s: string): void => void process.stderr.write(`clockwork: ${s}\n`);

  // 1. The Azure replay.
  const v100 = loadSimModels({ sources: clockworkV100Set(), instances: 4026 });
  const ours = loadSimModels({ instances: 1000 });
  const minutes = Math.max(1, Math.round(10 * k));
  for (const u of [0.5, 0.75]) {
    const cases: AzureReplayCase[] = [
      { label: `V100, 4,026 instances, 6 executors × 32 GB, ${pct(u, 0)} utilisation`, models: v100, workers: 6, memoryBytes: V100_MEMORY_BYTES, functions: 5 * 4026, minutes, utilisation: u, sloMs: 100, seed: 1 },
      { label: `det/rec/cls, 1,000 instances, 3 executors × 2 GiB, ${pct(u, 0)} utilisation`, models: ours, workers: 3, functions: 5 * 1000, minutes, utilisation: u, sloMs: 100, seed: 1 },
    ];
    for (const c of cases) {
      log(`azure replay: ${c.label}`);
      const r = azureReplay(c);
      figures.push(...replayFigures(c, r));
      const file = `azure-${c.label.startsWith('V100') ? 'v100' : 'cpu'}-${Math.round(100 * u)}.svg`;
      writeOut(file, renderReportSvg(r.result.builder, { ...r.summary, config: { ...r.summary.config, mode: 'simulate', workload: `Clockwork's Azure replay, ${c.label}` } }, [c.sloMs]));
    }
  }

  // 2. The many-models ramp: the paper's rates (one executor is overloaded from the start), then
  // a tenth of them (memory saturates before the executor does). To 330 majors at the paper's
  // rates: past saturation every tick re-plans the loads that turned-away requests ask for,
  // which makes the simulation ~30× slower per request (BENCHMARKS.md).
  const ramps: { label: string; file: string; o: RampOptions; windowS: number }[] = [
    { label: "the paper's rates", file: 'ramp-v100.svg', o: { warmupS: 10, majors: Math.max(20, Math.round(330 * k)), minorRate: 200, majorRate: 1000, seed: 1 }, windowS: 10 },
    { label: 'a tenth of the rates', file: 'ramp-v100-tenth.svg', o: { warmupS: 10, majors: Math.max(20, Math.round(1000 * k)), minorRate: 20, majorRate: 100, seed: 1 }, windowS: 20 },
  ];
  for (const { label, file, o, windowS } of ramps) {
    log(`ramp, ${label}: ${o.majors} major models`);
    figures.push(...rampFigures(label, file, o, windowS, ramp(o)));
  }

  // 3. Tight SLOs.
  for (const [copies, rate] of [
    [12, 600],
    [48, 2400],
  ] as const) {
    const o: TightSloOptions = { copies, rate, workers: 6, startMs: V100_B1_MS, factor: 1.5, stepS: Math.max(5, Math.round(30 * k)), untilMultiple: 100, seed: 1 };
    log(`tight SLOs: ${copies} copies at ${rate} r/s`);
    const r = tightSlo(o);
    const slos = tightSloSteps(o);
    const steps = slos.map((slo, i) => ({ slo, ...windowOf(r.result.builder.buckets, r.loadsPerSecond, i * o.stepS, (i + 1) * o.stepS) }));
    for (const s of steps) {
      figures.push({
        name: `clockwork tight SLO, ${copies} copies, ${rate} r/s: SLO ${s.slo.toFixed(1)} ms (${(s.slo / o.startMs).toFixed(2)}×)`,
        value: 100 * s.attainment,
        unit: '% SLO attainment',
        note: `goodput ${s.goodput.toFixed(0)} of ${s.offered.toFixed(0)} r/s`,
      });
    }
    writeOut(
      `tight-slo-${copies}x${rate}.svg`,
      lineChartSvg(
        `Clockwork's tight SLOs, simulated: ${copies} ResNet50 copies on 6 V100 executors, ${rate} r/s`,
        `SLO starts at one batch-1 run (${o.startMs} ms) and grows ×${o.factor} every ${o.stepS} s`,
        'SLO, ms (log scale)',
        'requests/s',
        'SLO attainment',
        [
          { label: 'offered', color: '#9e9e9e', points: steps.map((s) => [s.slo, s.offered]) },
          { label: 'goodput', color: '#2e7d32', points: steps.map((s) => [s.slo, s.goodput]) },
          { label: 'attainment', color: '#1565c0', points: steps.map((s) => [s.slo, s.attainment]), right: true },
        ],
        true,
      ),
    );
  }

  // 4. Controller scalability.
  const scale: { workers: number; run: Run }[] = [];
  for (const workers of [10, 25, 50, 100, 150]) {
    const c: ScaleCase = { workers, modelsPerWorker: 40, utilisation: 0.5, seconds: Math.max(6, Math.round(7 * k)), steadyFromS: 4, seed: 1 };
    log(`scalability: ${workers} workers`);
    const r = scalability(c);
    scale.push({ workers, run: r });
    const s = r.summary;
    const wallRps = r.steady?.arrivalsPerS ?? s.requests / r.wallS;
    figures.push({
      name: `clockwork scalability, ${workers} workers: requests per second of wall time`,
      value: wallRps,
      unit: 'req/s',
      note:
        `from ${c.steadyFromS} s on: ${(r.steady?.decisionsPerS ?? 0).toFixed(0)} decisions/s, ${(1e6 / wallRps).toFixed(0)} µs per request; ` +
        `offered ${s.offered_rps.toFixed(0)} r/s (${(wallRps / s.offered_rps).toFixed(2)}× real time on one core); whole run ${s.requests} requests in ${r.wallS.toFixed(1)} s; ` +
        `${workers * c.modelsPerWorker} models; attainment ${pct(s.slo_attainment)}, accepted ${pct(s.accepted_slo_attainment)}, ${s.rejected} rejected, ${s.late} late`,
    });
  }
  writeOut(
    'scalability-v100.svg',
    lineChartSvg(
      "Controller scalability, simulated: Punctual's scheduler on one core of this machine",
      'emulated V100 workers (1 executor each), 40 models and 50 % utilisation per worker, Azure-like trace, SLO 100 ms',
      'workers',
      'requests/s',
      'SLO attainment',
      [
        { label: 'scheduled per s of wall time', color: '#6a1b9a', points: scale.map((x) => [x.workers, x.run.steady?.arrivalsPerS ?? x.run.summary.requests / x.run.wallS]) },
        { label: 'offered (virtual)', color: '#9e9e9e', points: scale.map((x) => [x.workers, x.run.summary.offered_rps]) },
        { label: 'attainment', color: '#1565c0', points: scale.map((x) => [x.workers, x.run.summary.slo_attainment]), right: true },
      ],
    ),
  );
  log(`pictures in ${path.relative(process.cwd(), OUT)}`);
  return figures;
}
