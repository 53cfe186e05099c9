// What every room of the scheduler shares: the models with their queues, the
// executors with their timelines, the actions in flight, the decisions made
// this tick, and the booking primitives that change them together (plan an
// infer, a load or an unload on an executor; evict; requeue; drop). Admission,
// dispatch, load planning and outcomes (the other files here) read and book
// through this, so a booking is always made the same way.
import { queuedHeld } from './queued-held.js';
import { classThreads, sessionThreads } from '../../common/model-threads.js';
import { ActionCosts } from './action-cost.js';
import { ExecutorTimeline, type InflightAction } from './executor-timeline.js';
import { SlidingQuantile } from './recent-samples.js';
import { RequestQueue } from './request-queue.js';
import type { Decision, DropCode, EstimateSource, SchedRequest } from './types.js';

/** Why an action was given up on: long past its predicted end, or its worker stopped answering. */
export type LostReason = 'overdue' | 'unresponsive';

/** Told of an action given up on as lost. */
export type LostListener = (a: { actionId: number; executor: string; type: InflightAction['type']; model: string; why: LostReason }) => void;

/** The scheduler's settings, every one resolved (see SchedulerOptions in scheduler.ts for each). */
export interface SchedulerConfig {
  scheduleAheadMs: number;
  maxLoadsInFlight: number;
  lostAfterMs: number;
  loadWindowMs: number;
  unloadMs: number;
  maxLoadFailures: number;
  suspendRetryMs: number;
  maxReserveShare: number;
  reserveWindow: number;
  reserveMaxAgeMs: number;
  reserveStaleMs: number;
  reserveQuantile: number;
  preloadQuietMs: number;
}

export interface ModelState {
  key: string;
  batchSizes: number[];
  queue: RequestQueue;
  loadFailures: number;
  lastFailure: string;
  /**
   * How late this model's answers came against their admission prediction
   * (answer time − predicted, ms; a drop counts as at least deadline −
   * predicted). Everything the model of the executor leaves out lands here:
   * the answer's way back, a busy controller, a garbage collection, a stall
   * on a shared machine.
   */
  errors: SlidingQuantile;
  /** When the last outcome (answer or drop) of an admitted request was recorded. */
  lastOutcomeAt: number;
  /** Requests asked of it (admitted or not), decayed with DEMAND_DECAY_MS, as of demandAt: its predicted re-use. */
  demand: number;
  demandAt: number;
}

/** How fast a model's demand is forgotten: e-folding time, ms. */
const DEMAND_DECAY_MS = 30_000;

/** Decayed demand (about one request every 3 s, steadily) from which a model counts as popular: its loads go on thread 0 (see laneFor). */
const HOT_DEMAND = 10;

/** In laneFor, a queued request counts as this much decayed demand: a thread with queued work is chosen last. */
const QUEUED_WEIGHT = 1e6;

/** Predicted time to run some requests: the typical sum, and Σ (high − typical)² of the runs. */
export interface Work {
  typical: number;
  spreadSq: number;
}

/** Abandoned action ids remembered for their late answers. */
const MAX_ABANDONED = 10_000;

export class SchedulerState {
  readonly models = new Map<string, ModelState>();
  readonly executors = new Map<string, ExecutorTimeline>();
  /** Action id → executor, for actions in flight. */
  readonly actionExecutor = new Map<number, ExecutorTimeline>();
  /** Actions given up on, by id, and where they were: a late answer shows that executor is alive. */
  readonly abandoned = new Map<number, ExecutorTimeline>();
  /** Models with a non-empty queue. */
  readonly active = new Set<ModelState>();
  /**
   * Models resident nowhere whose requests were just rejected for it (a cold
   * start could not make their deadline), by when: still demand, so load
   * planning loads them for the requests that come next.
   */
  readonly coldDemand = new Map<ModelState, number>();
  /**
   * Popular models resident somewhere whose requests were just rejected for
   * want of time on their holders, by when: load planning places one more
   * replica on a less booked executor with free memory (planReplicas).
   */
  readonly replicaDemand = new Map<ModelState, number>();
  /** Distinct executor classes present (bestExec looks at classes, not at every executor). */
  classes: string[] = [];
  /** Actions given up on because no result came back in time. */
  lostActions = 0;
  /** The latest time the scheduler was called with (submit, tick, complete). */
  lastNow = 0;
  /** Each executor class's recent cost per action beyond its run (action-cost.ts): booked with every run. */
  readonly costs = new ActionCosts();
  /** When a request was last admitted (background warm-up waits for a lull after it). */
  lastAdmitted = -Infinity;
  private nextActionId = 1;
  private pending: Decision[] = [];

  constructor(
    readonly est: EstimateSource,
    readonly cfg: SchedulerConfig,
  ) {}

  /** Notes the time of a call: drops recorded later count as of then. */
  seen(now: number): void {
    this.lastNow = Math.max(this.lastNow, now);
  }

  /** The decisions made since the last call, in order. */
  takeDecisions(): Decision[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  refreshClasses(): void {
    this.classes = [...new Set([...this.executors.values()].map((e) => e.spec.cls))];
  }

  newModel(key: string, batchSizes: number[]): ModelState {
    return {
      key,
      batchSizes,
      queue: new RequestQueue(),
      loadFailures: 0,
      lastFailure: '',
      errors: new SlidingQuantile(this.cfg.reserveWindow, this.cfg.reserveMaxAgeMs, 1 - this.cfg.reserveQuantile),
      lastOutcomeAt: -Infinity,
      demand: 0,
      demandAt: 0,
    };
  }

  /** Counts n requests asked of m now. */
  noteDemand(m: ModelState, n: number, now: number): void {
    m.demand = this.demandOf(m, now) + n;
    m.demandAt = Math.max(m.demandAt, now);
  }

  /** m's decayed demand as of now: how soon it is likely to be asked again. */
  demandOf(m: ModelState | undefined, now: number): number {
    if (!m) return 0;
    return m.demand * Math.exp(-Math.max(0, now - m.demandAt) / DEMAND_DECAY_MS);
  }

  // ---- booking ------------------------------------------------------------

  /** Takes `batch` requests off m's queue and plans them as one INFER on e. */
  planInfer(e: ExecutorTimeline, m: ModelState, batch: number, expected: number, now: number, latest: number): void {
    const requests = m.queue.take(batch);
    if (m.queue.length === 0) this.active.delete(m);
    const id = this.nextActionId++;
    const a = e.plan(id, 'infer', m.key, now, expected, requests, Math.min(expected, this.typical(m.key, batch, e.spec.cls)));
    const res = e.models.get(m.key)!;
    res.inflightInfers++;
    res.lastUsed = a.predictedEnd;
    this.actionExecutor.set(id, e);
    this.pending.push({ type: 'infer', actionId: id, executor: e.spec.id, model: m.key, requests, earliest: now, latest, expected });
  }

  planLoad(e: ExecutorTimeline, key: string, memory: number, now: number): void {
    const expected = this.est.load(key, e.spec.cls);
    const typical = Math.min(expected, this.typicalLoad(key, e.spec.cls));
    const id = this.nextActionId++;
    // Windows open at dispatch time: the worker runs its actions in order, so
    // an executor that finishes early starts the next one at once.
    // With a load lane, not before its thread's inferences already dispatched are done.
    const { lane, from: earliest } = this.laneFor(e, now, key);
    const a = e.plan(id, 'load', key, earliest, expected, [], typical, lane);
    this.expectDelay(e, e.hasLoadLane ? lane : undefined, typical);
    e.loadsInFlight++;
    e.memoryUsed += memory;
    e.hold(key, { state: 'loading', readyAt: a.predictedEnd, lastUsed: now, memory, inflightInfers: 0, lane });
    this.actionExecutor.set(id, e);
    const threads = this.sessionThreads(key, e);
    this.pending.push({ type: 'load', actionId: id, executor: e.spec.id, model: key, earliest, latest: a.predictedStart + this.cfg.loadWindowMs, expected, lane, ...(threads !== undefined ? { threads } : {}) });
  }

  /** The threads of the model's session on e, when the model asks for a count and e's class names its own; else undefined (e's own). */
  private sessionThreads(key: string, e: ExecutorTimeline): number | undefined {
    const wanted = this.est.threads?.(key);
    if (wanted === undefined) return undefined;
    const budget = classThreads(e.spec.cls);
    return budget === undefined ? undefined : sessionThreads(wanted, budget);
  }

  /**
   * A load just planned on e holds up the queued requests of the models
   * there (with a load lane, only of those on its thread): their predicted
   * answers move by its typical length. The scheduler chose that delay
   * (knowing it still makes their deadlines), so it is not a prediction
   * error for the reserve to learn from.
   */
  private expectDelay(e: ExecutorTimeline, lane: number | undefined, by: number): void {
    for (const [m, res] of queuedHeld(this, e)) if (lane === undefined || res.lane === lane) movePredicted(m.queue, by);
  }

  /**
   * Plans an UNLOAD of key on e, on the thread holding it. `evictedFrom`: the
   * residency was forgotten already (its lane), else it is evicted here.
   */
  planUnload(e: ExecutorTimeline, key: string, now: number, evictedFrom?: { lane: number }): void {
    const lane = evictedFrom?.lane ?? e.models.get(key)?.lane ?? 0;
    if (!evictedFrom) this.evict(e, key);
    const id = this.nextActionId++;
    const earliest = now;
    const unloadMs = this.cfg.unloadMs;
    const a = e.plan(id, 'unload', key, earliest, unloadMs, [], unloadMs, lane);
    this.actionExecutor.set(id, e);
    this.pending.push({ type: 'unload', actionId: id, executor: e.spec.id, model: key, earliest, latest: a.predictedStart + this.cfg.loadWindowMs, expected: unloadMs, lane });
  }

  /**
   * The session thread a load (of `model`, when given) on e would use now,
   * and from when that thread is free of the inferences already dispatched
   * there (a load must not start while one of them could still be waiting for
   * the thread in the worker). With one lane, thread 0 from now. With a load
   * lane, thread 0 is for popular models (demand ≥ HOT_DEMAND) and the others
   * for the rest, so that the loads of rarely asked-for models, which come and
   * go, hold up only rare models: a rare model (or a load for no model in
   * particular) goes to the least wanted of threads 1.. (queued requests
   * first, then decayed demand; then the one free soonest, then the lowest).
   * Measured against letting every thread take any model (the least wanted
   * for rare ones, the most wanted for popular ones), this kept more requests
   * in time on both the Azure-like and the synthetic traces.
   */
  laneFor(e: ExecutorTimeline, now: number, model?: string): { lane: number; from: number } {
    return this.laneOf(e, now, model !== undefined && this.popular(model, now));
  }

  /** Whether a model is asked for often enough that its loads go on thread 0 (see laneFor). */
  popular(model: string, now: number): boolean {
    return this.demandOf(this.models.get(model), now) >= HOT_DEMAND;
  }

  /** laneFor, for a popular model or for a rare one (or none). */
  laneOf(e: ExecutorTimeline, now: number, popular: boolean): { lane: number; from: number } {
    if (!e.hasLoadLane) return { lane: 0, from: now };
    const from = new Array<number>(e.lanes).fill(now);
    for (const a of e.inflight) {
      const lane = a.type === 'infer' ? e.models.get(a.model)?.lane : undefined;
      if (lane !== undefined) from[lane] = Math.max(from[lane]!, a.predictedEnd);
    }
    // Popular models load on thread 0; with two threads, rare ones have one choice: no cost to weigh.
    if (popular || e.lanes === 2) return popular ? { lane: 0, from: from[0]! } : { lane: 1, from: from[1]! };
    const cost = new Array<number>(e.lanes).fill(0);
    for (const [key, res] of e.models) {
      if (res.lane === 0) continue;
      const m = this.models.get(key);
      if (m) cost[res.lane] = cost[res.lane]! + m.queue.length * QUEUED_WEIGHT + this.demandOf(m, now);
    }
    let best = 1;
    for (let l = 2; l < e.lanes; l++) {
      if (cost[l]! < cost[best]! || (cost[l] === cost[best] && from[l]! < from[best]!)) best = l;
    }
    return { lane: best, from: from[best]! };
  }

  /** Forgets a residency and returns its memory to the executor's budget. */
  evict(e: ExecutorTimeline, key: string): void {
    const res = e.models.get(key);
    if (!res) return;
    e.models.delete(key);
    e.memoryUsed -= res.memory;
  }

  requeue(r: SchedRequest): void {
    const m = this.models.get(r.model);
    if (!m) {
      this.drop(r, 'unavailable', `model ${r.model} was removed`);
      return;
    }
    m.queue.insert(r);
    this.active.add(m);
  }

  drop(request: SchedRequest, code: DropCode, reason: string): void {
    // Missed: the answer would have come after the deadline at least.
    if (code === 'deadline' && request.predicted !== undefined && !request.retried) {
      const m = this.models.get(request.model);
      if (m) {
        m.errors.add(request.deadline - request.predicted, this.lastNow);
        m.lastOutcomeAt = Math.max(m.lastOutcomeAt, this.lastNow);
      }
    }
    this.pending.push({ type: 'drop', request, code, reason });
  }

  /** Drops the head of m's queue as a miss (or UNAVAILABLE when its worker failed under it). */
  dropMissed(m: ModelState, now: number): void {
    const r = m.queue.shift()!;
    this.drop(r, r.retried ? 'unavailable' : 'deadline', missMessage(r, now));
  }

  // ---- figures ---------------------------------------------------------------

  /** Predicted time to run n queued requests of m in the largest batches. */
  work(m: ModelState, n: number, cls: string): Work {
    let typical = 0;
    let spreadSq = 0;
    let left = n;
    for (let i = m.batchSizes.length - 1; i >= 0 && left > 0; i--) {
      const b = m.batchSizes[i]!;
      const times = Math.floor(left / b);
      if (times > 0) {
        const t = this.typical(m.key, b, cls);
        typical += times * t;
        spreadSq += times * (this.exec(m.key, b, cls) - t) ** 2;
        left -= times * b;
      }
    }
    return { typical, spreadSq };
  }

  /** A load's predicted time: the typical figure and the spread to the high one. */
  loadWork(model: string, cls: string): Work {
    const high = this.est.load(model, cls);
    const typical = Math.min(high, this.typicalLoad(model, cls));
    return { typical, spreadSq: (high - typical) ** 2 };
  }

  typicalLoad(model: string, cls: string): number {
    return this.est.typicalLoad ? this.est.typicalLoad(model, cls) : this.est.load(model, cls);
  }

  /** What a run of model at batch takes an executor of class cls, ms, at the high percentile: the run's estimate and the class's cost per action. */
  exec(model: string, batch: number, cls: string): number {
    return this.est.exec(model, batch, cls) + this.costs.of(cls, this.lastNow);
  }

  /** The same, typical (mean) figure: never above exec(). */
  typical(model: string, batch: number, cls: string): number {
    const run = this.est.typical ? this.est.typical(model, batch, cls) : this.est.exec(model, batch, cls);
    return run + this.costs.of(cls, this.lastNow);
  }

  /** The fastest class's exec() of model at batch, ms (0 with no executor). */
  bestExec(model: string, batch: number): number {
    let best = Infinity;
    for (const cls of this.classes) best = Math.min(best, this.exec(model, batch, cls));
    return best === Infinity ? 0 : best;
  }

  /** Usable executors holding the model. */
  holders(model: string): number {
    let n = 0;
    for (const e of this.executors.values()) if (e.usable && e.holds(model)) n++;
    return n;
  }

  /** Whether a load of `memory` bytes can be planned on e now: a load slot free, and room (free, or idle models to evict). */
  canLoad(e: ExecutorTimeline, memory: number): boolean {
    if (e.loadsInFlight >= this.cfg.maxLoadsInFlight) return false;
    return this.hasRoom(e, memory);
  }

  /** Whether e has room for `memory` bytes now: free, or held by idle models it can evict. */
  hasRoom(e: ExecutorTimeline, memory: number): boolean {
    if (memory > e.spec.memoryBudget) return false;
    const free = e.freeMemory();
    if (free >= memory) return true;
    // As evictable(e) >= memory - free, but stops at the first idle models that make room (of hundreds held).
    let bytes = free;
    for (const [key, res] of e.models) if (this.isIdle(key, res) && (bytes += res.memory) >= memory) return true;
    return false;
  }

  /**
   * Evicts idle models from e, by predicted re-use (the least recently
   * asked-for first, decayed demand), then the least recently used, until
   * `memory` bytes are free or nothing idle is left; `except` is never evicted.
   */
  evictToFit(e: ExecutorTimeline, memory: number, now: number, except?: string): void {
    if (e.freeMemory() >= memory) return;
    const reuse = (key: string): number => this.demandOf(this.models.get(key), now);
    const victims = [...e.models.entries()].filter(([key, res]) => key !== except && this.isIdle(key, res)).sort((a, b) => reuse(a[0]) - reuse(b[0]) || a[1].lastUsed - b[1].lastUsed);
    for (const [key] of victims) {
      if (e.freeMemory() >= memory) break;
      this.planUnload(e, key, now);
    }
  }

  /** Memory held by idle models on e (loaded, nothing queued or running): what eviction can free. */
  evictable(e: ExecutorTimeline): number {
    let bytes = 0;
    for (const [key, res] of e.models) if (this.isIdle(key, res)) bytes += res.memory;
    return bytes;
  }

  isIdle(key: string, res: { state: string; inflightInfers: number }): boolean {
    const m = this.models.get(key);
    return res.state === 'loaded' && res.inflightInfers === 0 && (!m || m.queue.length === 0);
  }

  /**
   * Time set aside in dispatch for r's answer to come back from e: the median
   * of e's recent return times, at most a tenth of r's SLO. The request is
   * accepted already: it runs while it most likely still makes its deadline.
   */
  returnAllowance(e: ExecutorTimeline, r: SchedRequest): number {
    if (e.returns.count === 0) return 0;
    return Math.min(e.returns.percentile(50), 0.1 * (r.deadline - r.arrival));
  }

  rememberAbandoned(id: number, e: ExecutorTimeline): void {
    this.abandoned.set(id, e);
    if (this.abandoned.size > MAX_ABANDONED) this.abandoned.delete(this.abandoned.keys().next().value!);
  }

  /** Requests waiting in model queues (not yet dispatched). */
  queued(model?: string): number {
    if (model !== undefined) return this.models.get(model)?.queue.length ?? 0;
    let n = 0;
    for (const m of this.active) n += m.queue.length;
    return n;
  }
}

/**
 * Moves the predicted answers of admitted requests by `by`: a delay the
 * scheduler chose for them (a load, or tighter requests, placed in front),
 * which is not a prediction error for the reserve to learn.
 */
export function movePredicted(requests: Iterable<SchedRequest>, by: number): void {
  for (const r of requests) if (r.predicted !== undefined) r.predicted += by;
}

function missMessage(r: SchedRequest, now: number): string {
  const slo = r.deadline - r.arrival;
  const why = r.retried ? 'its worker failed and no retry could finish in time' : 'it could not start in time';
  return `dropped after ${fmt(now - r.arrival)} ms: ${why} to meet its ${fmt(slo)} ms SLO (never run late)`;
}

export function fmt(ms: number): string {
  return Number.isInteger(ms) ? String(ms) : ms.toFixed(1);
}
