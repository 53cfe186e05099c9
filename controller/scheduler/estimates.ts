// Online estimates of execution time, load time and memory, per
// (model, batch size, executor class): the 99th percentile of the last N
// measurements (Clockwork: N = 10), seeded from the stored profile, and the
// mean of the same window (seeded from the profile's p50), which is what a
// sum of many runs tends to. Where a class has no data yet, another class's
// figure stands in until the first measurements arrive.
//
// Every estimate can recover. A window whose newest measurement is older
// than `maxAgeMs` is stale: the profile stands in again, and the next
// measurement starts the window afresh. An estimate inflated by a slowdown
// (a throttled worker, a flood) would otherwise reject every request that
// depends on it, and a model nothing runs for gets no new measurements: it
// would stay locked out however idle the cluster became. Memory too: it is
// the profile's figure or the largest of the last MEMORY_WINDOW loads'
// readings no older than MEMORY_MAX_AGE_MS, whichever is larger, so one
// reading blurred by other work (an RSS delta is process-wide) cannot keep a
// model over an executor's budget, answered model_too_large, for good.
//
// A model with its own intra-op thread count (its config's `threads`, else
// its profile's bestThreads: common/model-threads.ts) runs on an executor as a
// session of min(wanted, the executor's threads) threads, so every figure the
// scheduler asks for on an executor class (cpu/t2) is read, and every
// measurement kept, under the class of that session (cpu/t1). Where the
// profile has no class at that thread count, the nearest one stands in
// (onFallback says so, once): one with fewer threads as it is (a session with
// more threads is rarely slower), else one with more threads scaled up by
// their ratio (a run cannot parallelise better than perfectly), until the
// session's own measurements arrive. Models that want no thread count are
// read under the executor's class, as before.
import { systemClock, type Clock } from '../../common/clock.js';
import { RecentSamples } from './recent-samples.js';
import type { EstimateSource } from './types.js';
import type { ModelProfile } from '../../common/profile.js';
import { classThreads, isThreadCount, sessionClass } from '../../common/model-threads.js';

export interface EstimatesOptions {
  /** Measurements kept per key. @default 10 */
  window?: number;
  /** Percentile of the window used as the estimate. @default 99 */
  percentile?: number;
  /** Exec estimate for a model nothing is known about, ms. @default 100 */
  unknownExecMs?: number;
  /** Load estimate for a model nothing is known about, ms. @default 1000 */
  unknownLoadMs?: number;
  /** A window with no measurement for this long is stale: the profile stands in again, ms. @default 1000 */
  maxAgeMs?: number;
  /**
   * A load's high figure is at least this share over its mean (a profile
   * measures a load once; loads vary with the page cache and the other
   * core's work). @default 0.1
   */
  loadSpread?: number;
  /** What "now" is for the age of measurements (the simulator passes its virtual clock). @default systemClock */
  clock?: Clock;
}

/** The defaults of EstimatesOptions. */
/** Loads whose memory readings count, and for how long (ms). */
const MEMORY_WINDOW = 5;
const MEMORY_MAX_AGE_MS = 60_000;

export const ESTIMATES_DEFAULTS = { window: 10, percentile: 99, unknownExecMs: 100, unknownLoadMs: 1000, maxAgeMs: 1000, loadSpread: 0.1 } as const;

/** One key's recent measurements and when the newest was taken. */
interface Window {
  samples: RecentSamples;
  lastAt: number;
}

/** Which figure of a window (or of a profile, for seeds) is asked for. */
type Stat = 'high' | 'typical';

/** Both figures of a key, and until when they hold (the first of their windows to go stale). */
interface Figures {
  high: number;
  typical: number;
  validUntil: number;
}

/** Collects, while figures are computed, when the first window they used goes stale. */
interface Validity {
  until: number;
}

export interface PredictionError {
  model: string;
  batch: number;
  cls: string;
  predicted: number;
  measured: number;
}

/** A model's session class with no profile of its own: which class its estimates start from. */
export interface ClassFallback {
  model: string;
  /** The session's class, e.g. "cpu/t2". */
  cls: string;
  /** The profile's class that stands in; undefined when it has none on that device (another class's figures, as for any class). */
  from?: string;
  /** What `from`'s run times are multiplied by. */
  scale: number;
}

export class Estimates implements EstimateSource {
  private readonly size: number;
  private readonly pct: number;
  private readonly unknownExec: number;
  private readonly unknownLoad: number;
  /** model → class → batch → measurements. Nested maps, not joined string keys: exec() is the scheduler's hottest call. */
  private readonly execs = new Map<string, Map<string, Map<number, Window>>>();
  private readonly loads = new Map<string, Window>();
  /** The profile's (or setMemory's) footprint, and recent loads' readings. */
  private readonly memories = new Map<string, number>();
  private readonly memoryReadings = new Map<string, { bytes: number; at: number }[]>();
  /** model → class → batch → seeded estimate (from profiles), for classes with no measurements: p99 and p50. */
  private readonly seeds = new Map<string, Map<string, Map<number, number>>>();
  private readonly typicalSeeds = new Map<string, Map<string, Map<number, number>>>();
  private readonly loadSeeds = new Map<string, Map<string, number>>();
  /**
   * model → class → batch → both figures, computed once and kept until a
   * measurement for that model and class (or a new seed) changes them: the
   * scheduler asks for them on every decision.
   */
  private readonly memo = new Map<string, Map<string, Map<number, Figures>>>();
  private readonly maxAge: number;
  private readonly loadSpread: number;
  private readonly clock: Clock;
  /** Called with every measured execution and what was predicted for it. */
  onPrediction?: (e: PredictionError) => void;
  /** Called once per model and session class that its profile has no figures for. */
  onFallback?: (f: ClassFallback) => void;
  /** model → intra-op threads set explicitly (setThreads), and its profile's bestThreads. */
  private readonly explicitThreads = new Map<string, number>();
  private readonly profileThreads = new Map<string, number>();
  /** model → executor class → its session's class there; only for models that want a thread count. */
  private readonly sessionClasses = new Map<string, Map<string, string>>();
  /** model → session classes its profile had no figures for, seeded from another class or not (dropped when the model is seeded again). */
  private readonly derived = new Map<string, Set<string>>();

  constructor(opts: EstimatesOptions = {}) {
    const d = ESTIMATES_DEFAULTS;
    this.size = opts.window ?? d.window;
    this.pct = opts.percentile ?? d.percentile;
    this.unknownExec = opts.unknownExecMs ?? d.unknownExecMs;
    this.unknownLoad = opts.unknownLoadMs ?? d.unknownLoadMs;
    this.maxAge = opts.maxAgeMs ?? d.maxAgeMs;
    this.loadSpread = opts.loadSpread ?? d.loadSpread;
    this.clock = opts.clock ?? systemClock;
  }

  /** Seeds a model's estimates from its stored profile (its bestThreads included). */
  seed(model: string, profile: ModelProfile): void {
    this.memo.delete(model);
    this.sessionClasses.delete(model);
    this.dropDerived(model);
    const best = profile.bestThreads;
    if (best !== undefined && isThreadCount(best)) this.profileThreads.set(model, best);
    else this.profileThreads.delete(model);
    let byClass = this.seeds.get(model);
    if (!byClass) this.seeds.set(model, (byClass = new Map()));
    let typicalByClass = this.typicalSeeds.get(model);
    if (!typicalByClass) this.typicalSeeds.set(model, (typicalByClass = new Map()));
    let loadByClass = this.loadSeeds.get(model);
    if (!loadByClass) this.loadSeeds.set(model, (loadByClass = new Map()));
    for (const [cls, p] of Object.entries(profile.classes)) {
      const byBatch = new Map<number, number>();
      const typical = new Map<number, number>();
      for (const b of p.batches) {
        byBatch.set(b.batch, b.p99Ms);
        typical.set(b.batch, Math.min(b.p50Ms, b.p99Ms));
      }
      byClass.set(cls, byBatch);
      typicalByClass.set(cls, typical);
      loadByClass.set(cls, p.loadMs);
    }
    this.memories.set(model, profile.memoryBytes);
  }

  /**
   * The intra-op threads a model's config asks for, over its profile's
   * bestThreads; undefined: the profile's (or, without one, the executor's).
   */
  setThreads(model: string, threads: number | undefined): void {
    if (threads === this.explicitThreads.get(model)) return;
    if (threads !== undefined && isThreadCount(threads)) this.explicitThreads.set(model, threads);
    else this.explicitThreads.delete(model);
    this.memo.delete(model);
    this.sessionClasses.delete(model);
  }

  /** The intra-op threads the model's sessions ask for (capped by each executor's); undefined: the executor's own. */
  threads(model: string): number | undefined {
    return this.explicitThreads.get(model) ?? this.profileThreads.get(model);
  }

  /** The class a model's session has on an executor of class `cls`, under which its figures are kept. */
  classOf(model: string, cls: string): string {
    if (this.sessionClasses.size === 0 && this.explicitThreads.size === 0 && this.profileThreads.size === 0) return cls;
    let byCls = this.sessionClasses.get(model);
    const known = byCls?.get(cls);
    if (known !== undefined) return known;
    const wanted = this.threads(model);
    if (wanted === undefined) return cls;
    const own = sessionClass(cls, wanted);
    this.seedFromNearest(model, own);
    if (!byCls) this.sessionClasses.set(model, (byCls = new Map()));
    byCls.set(cls, own);
    return own;
  }

  /**
   * A session class the model's profile has no figures for gets seeds from
   * the nearest class of its device: fewer threads as they are, else more
   * threads scaled by their ratio (see the header).
   */
  private seedFromNearest(model: string, cls: string): void {
    const byClass = this.seeds.get(model);
    const threads = classThreads(cls);
    if (!byClass || byClass.has(cls) || threads === undefined || this.derived.get(model)?.has(cls)) return;
    let derived = this.derived.get(model);
    if (!derived) this.derived.set(model, (derived = new Set()));
    derived.add(cls);
    const device = cls.slice(0, cls.lastIndexOf('/'));
    let below: [string, number] | undefined;
    let above: [string, number] | undefined;
    for (const c of byClass.keys()) {
      const t = classThreads(c);
      if (t === undefined || c.slice(0, c.lastIndexOf('/')) !== device) continue;
      if (t < threads && (!below || t > below[1])) below = [c, t];
      if (t > threads && (!above || t < above[1])) above = [c, t];
    }
    const from = below ?? above;
    if (!from) {
      this.onFallback?.({ model, cls, scale: 1 });
      return;
    }
    const scale = below ? 1 : from[1] / threads;
    const scaled = (m: Map<number, number> | undefined) => new Map([...(m ?? [])].map(([b, ms]) => [b, ms * scale]));
    byClass.set(cls, scaled(byClass.get(from[0])));
    this.typicalSeeds.get(model)?.set(cls, scaled(this.typicalSeeds.get(model)?.get(from[0])));
    const load = this.loadSeeds.get(model)?.get(from[0]);
    if (load !== undefined) this.loadSeeds.get(model)?.set(cls, load);
    this.onFallback?.({ model, cls, from: from[0], scale });
  }

  private dropDerived(model: string): void {
    const derived = this.derived.get(model);
    if (!derived) return;
    for (const cls of derived) {
      this.seeds.get(model)?.delete(cls);
      this.typicalSeeds.get(model)?.delete(cls);
      this.loadSeeds.get(model)?.delete(cls);
    }
    this.derived.delete(model);
  }

  forget(model: string): void {
    this.memo.delete(model);
    this.explicitThreads.delete(model);
    this.profileThreads.delete(model);
    this.sessionClasses.delete(model);
    this.derived.delete(model);
    this.seeds.delete(model);
    this.typicalSeeds.delete(model);
    this.loadSeeds.delete(model);
    this.memories.delete(model);
    this.memoryReadings.delete(model);
    this.execs.delete(model);
    for (const k of this.loads.keys()) if (k.startsWith(`${model}|`)) this.loads.delete(k);
  }

  /** A high percentile of one run's time: what a single run is planned with. */
  exec(model: string, batch: number, cls: string): number {
    return this.figures(model, batch, this.classOf(model, cls)).high;
  }

  /** The mean of one run's time: what a sequence of runs adds up to, on average. Never above exec(). */
  typical(model: string, batch: number, cls: string): number {
    return this.figures(model, batch, this.classOf(model, cls)).typical;
  }

  private figures(model: string, batch: number, cls: string): Figures {
    const now = this.clock.now();
    let byClass = this.memo.get(model);
    if (!byClass) this.memo.set(model, (byClass = new Map()));
    let byBatch = byClass.get(cls);
    if (!byBatch) byClass.set(cls, (byBatch = new Map()));
    let f = byBatch.get(batch);
    if (!f || now >= f.validUntil) {
      const valid = { until: Infinity };
      const high = this.figure(model, batch, cls, 'high', now, valid);
      f = { high, typical: Math.min(this.figure(model, batch, cls, 'typical', now, valid), high), validUntil: valid.until };
      byBatch.set(batch, f);
    }
    return f;
  }

  private figure(model: string, batch: number, cls: string, stat: Stat, now: number, valid: Validity): number {
    const base = this.baseExec(model, batch, cls, stat, now, valid);
    if (batch === 1) return base;
    // Keep the profile's ratio between batch sizes. When batch 1 runs slower
    // than its profile (a busy machine), larger batches slow down too, even
    // before they have fresh measurements of their own; otherwise a fresh,
    // pessimistic batch-1 figure next to a stale batch-4 one makes batching
    // look cheaper than it is, and the batch runs late.
    const own = this.seedsFor(stat).get(model)?.get(cls);
    const seeded1 = own?.get(1);
    const seededB = own?.get(batch);
    const measured1 = this.fresh(this.execs.get(model)?.get(cls)?.get(1), now, valid);
    if (seeded1 === undefined || seededB === undefined || !measured1) return base;
    const slowdown = this.read(measured1, stat) / seeded1;
    return slowdown > 1 ? Math.max(base, seededB * slowdown) : base;
  }

  /** The window's samples if it has fresh ones (noting until when they stay fresh), else undefined. */
  private fresh(w: Window | undefined, now: number, valid: Validity): RecentSamples | undefined {
    if (!w || w.samples.count === 0 || now - w.lastAt >= this.maxAge) return undefined;
    valid.until = Math.min(valid.until, w.lastAt + this.maxAge);
    return w.samples;
  }

  private read(w: RecentSamples, stat: Stat): number {
    return stat === 'high' ? w.percentile(this.pct) : w.mean();
  }

  private seedsFor(stat: Stat): Map<string, Map<string, Map<number, number>>> {
    return stat === 'high' ? this.seeds : this.typicalSeeds;
  }

  /** The figure from this key's own fresh measurements, else its seed, else a fallback. */
  private baseExec(model: string, batch: number, cls: string, stat: Stat, now: number, valid: Validity): number {
    const w = this.fresh(this.execs.get(model)?.get(cls)?.get(batch), now, valid);
    if (w) return this.read(w, stat);
    const byClass = this.seedsFor(stat).get(model);
    const own = byClass?.get(cls);
    const seeded = own?.get(batch);
    if (seeded !== undefined) return seeded;
    // This class's batch 1 scaled linearly (CPU batching is about linear), else
    // another class's figure, else the default.
    if (own && batch > 1) return this.baseExec(model, 1, cls, stat, now, valid) * batch;
    if (byClass) {
      for (const byBatch of byClass.values()) {
        const v = byBatch.get(batch);
        if (v !== undefined) return v;
      }
    }
    if (batch > 1) return this.baseExec(model, 1, cls, stat, now, valid) * batch;
    return this.unknownExec;
  }

  private newWindow(): Window {
    return { samples: new RecentSamples(this.size, 1), lastAt: -Infinity };
  }

  /** Adds a measurement; a stale window starts afresh (its old samples say nothing about now). */
  private add(w: Window, ms: number): void {
    const now = this.clock.now();
    if (now - w.lastAt >= this.maxAge) w.samples = new RecentSamples(this.size, 1);
    w.samples.add(ms);
    w.lastAt = Math.max(w.lastAt, now);
  }

  load(model: string, executorCls: string): number {
    const cls = this.classOf(model, executorCls);
    const w = this.loadWindow(model, cls);
    if (w && w.count > 1) return Math.max(w.percentile(this.pct), w.mean() * (1 + this.loadSpread));
    return (w ? w.mean() : this.seededLoad(model, cls)) * (1 + this.loadSpread);
  }

  /**
   * The mean load time: of the model's own loads once it has been loaded,
   * else its profile's one measurement. load() is this plus at least
   * loadSpread of it, so a cold start is predicted with a margin too.
   */
  typicalLoad(model: string, executorCls: string): number {
    const cls = this.classOf(model, executorCls);
    return this.loadWindow(model, cls)?.mean() ?? this.seededLoad(model, cls);
  }

  /** The model's own load measurements on a class (they do not go stale: a load is rare). */
  private loadWindow(model: string, cls: string): RecentSamples | undefined {
    return this.fresh(this.loads.get(`${model}|${cls}`), this.clock.now(), { until: Infinity });
  }

  /** The profile's load time for a class (any class, else the unknown figure). */
  private seededLoad(model: string, cls: string): number {
    const byClass = this.loadSeeds.get(model);
    const v = byClass?.get(cls) ?? (byClass ? [...byClass.values()][0] : undefined);
    return v ?? this.unknownLoad;
  }

  memory(model: string): number {
    let bytes = this.memories.get(model) ?? 0;
    const readings = this.memoryReadings.get(model);
    if (readings) {
      const since = this.clock.now() - MEMORY_MAX_AGE_MS;
      for (const r of readings) if (r.at >= since) bytes = Math.max(bytes, r.bytes);
    }
    return bytes;
  }

  /** Sets a model's footprint, forgetting what loads measured. */
  setMemory(model: string, bytes: number): void {
    this.memories.set(model, bytes);
    this.memoryReadings.delete(model);
  }

  observeExec(model: string, batch: number, executorCls: string, ms: number): void {
    const cls = this.classOf(model, executorCls);
    if (this.onPrediction) this.onPrediction({ model, batch, cls, predicted: this.figures(model, batch, cls).high, measured: ms });
    let byClass = this.execs.get(model);
    if (!byClass) this.execs.set(model, (byClass = new Map()));
    let byBatch = byClass.get(cls);
    if (!byBatch) byClass.set(cls, (byBatch = new Map()));
    let w = byBatch.get(batch);
    if (!w) byBatch.set(batch, (w = this.newWindow()));
    this.add(w, ms);
    this.memo.get(model)?.delete(cls);
  }

  observeLoad(model: string, executorCls: string, ms: number, memory?: number): void {
    const cls = this.classOf(model, executorCls);
    const key = `${model}|${cls}`;
    let w = this.loads.get(key);
    if (!w) this.loads.set(key, (w = this.newWindow()));
    this.add(w, ms);
    if (memory !== undefined && memory > 0) {
      let readings = this.memoryReadings.get(model);
      if (!readings) this.memoryReadings.set(model, (readings = []));
      readings.push({ bytes: memory, at: this.clock.now() });
      if (readings.length > MEMORY_WINDOW) readings.shift();
    }
  }
}
