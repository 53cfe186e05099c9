// The scheduler: pure decisions, clock in and actions out (after Clockwork's
// INFER4, plus admission at arrival). No sockets and no timers: the live
// controller and the virtual-time simulator drive the same code.
//
//  submit(req, now)      admission: accept, or reject now with the reason
//  tick(now)             drops, lost-action detection, loads/evictions, dispatch
//  complete(id, outcome) learn from a result and re-anchor the timeline
//  addExecutor / removeWorker   workers join and leave at any time
import { ExecutorTimeline, type InflightAction } from './executor-timeline.js';
import { FIFO_WINDOW_MS, type Policy } from './policy.js';
import { SlidingMax } from './recent-samples.js';
import { RequestQueue } from './request-queue.js';
import type {
  ActionOutcome,
  Admission,
  Decision,
  DropCode,
  EstimateSource,
  ExecutorSpec,
  SchedRequest,
} from './types.js';

export interface SchedulerOptions {
  estimates: EstimateSource;
  /** Keep each executor booked this far into the future. @default 10 */
  scheduleAheadMs?: number;
  /** LOAD actions in flight per executor at most. @default 2 */
  maxLoadsInFlight?: number;
  /** An action not answered this long after its predicted end is taken as lost. @default 1000 */
  lostAfterMs?: number;
  /** Slack given to LOAD and UNLOAD windows. @default 1000 */
  loadWindowMs?: number;
  /** Predicted duration of an UNLOAD. @default 1 */
  unloadMs?: number;
  /** Consecutive failed loads after which a model's queued requests fail. @default 3 */
  maxLoadFailures?: number;
  /** 'fifo' is the baseline: no admission control, no deadline awareness (see policy.ts). @default 'punctual' */
  policy?: Policy;
  /** Told of each action given up on as lost (no result lostAfterMs past its predicted end). */
  onLost?: (a: { actionId: number; executor: string; type: InflightAction['type']; model: string; why: LostReason }) => void;
  /** An executor set aside because an action went missing is tried again after this long if its worker answers pings, ms. @default 5000 */
  suspendRetryMs?: number;
  /**
   * Admission sets aside the largest recent prediction error (see
   * `reserve`), but never more than this share of a request's SLO.
   * @default 0.3
   */
  maxReserveShare?: number;
  /** Outcomes per model the reserve looks back on: the last N... @default 1000 */
  reserveWindow?: number;
  /** ...no older than this, ms. @default 30000 */
  reserveMaxAgeMs?: number;
  /**
   * The reserve applies only while the model's outcomes keep coming: with
   * none for this long (nothing of it admitted, nothing answered) it is
   * stale and set to 0, so a reserve learned under load cannot keep an idle
   * model locked out; the next outcomes bring it back. @default 1000
   */
  reserveStaleMs?: number;
}

interface ModelState {
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
  errors: SlidingMax;
  /** When the last outcome (answer or drop) of an admitted request was recorded. */
  lastOutcomeAt: number;
}

/** Predicted time to run some requests: the typical sum, and Σ (high − typical)² of the runs. */
interface Work {
  typical: number;
  spreadSq: number;
}

/** Figures shared by the per-executor predictions of one admission decision. */
interface PredictMemo {
  holders: Map<string, number>;
  /** class → model → predicted time to run its queue. */
  work: Map<string, Map<ModelState, Work>>;
}

export interface CompletedInfer {
  action: InflightAction;
  executor: ExecutorTimeline;
}

export class Scheduler {
  private readonly est: EstimateSource;
  private readonly ahead: number;
  private readonly maxLoads: number;
  private readonly lostAfter: number;
  private readonly loadWindow: number;
  private readonly unloadMs: number;
  private readonly maxLoadFailures: number;
  private readonly maxReserveShare: number;
  private readonly reserveWindow: number;
  private readonly reserveMaxAge: number;
  private readonly reserveStale: number;
  private readonly onLost: SchedulerOptions['onLost'];
  private readonly suspendRetry: number;
  /** Actions given up on, by id, and where they were: a late answer shows that executor is alive. */
  private readonly abandoned = new Map<number, ExecutorTimeline>();
  readonly policy: Policy;

  readonly models = new Map<string, ModelState>();
  readonly executors = new Map<string, ExecutorTimeline>();
  /** Action id → executor, for actions in flight. */
  private readonly actionExecutor = new Map<number, ExecutorTimeline>();
  private nextActionId = 1;
  /** Actions given up on because no result came back in time. */
  lostActions = 0;
  private pending: Decision[] = [];
  /** The latest time the scheduler was called with (submit, tick, complete). */
  private lastNow = 0;
  /** Models with a non-empty queue. */
  private readonly active = new Set<ModelState>();
  /** Distinct executor classes present (bestExec looks at classes, not at every executor). */
  private classes: string[] = [];

  constructor(opts: SchedulerOptions) {
    this.est = opts.estimates;
    this.ahead = opts.scheduleAheadMs ?? 10;
    this.maxLoads = opts.maxLoadsInFlight ?? 2;
    this.lostAfter = opts.lostAfterMs ?? 1000;
    this.loadWindow = opts.loadWindowMs ?? 1000;
    this.unloadMs = opts.unloadMs ?? 1;
    this.maxLoadFailures = opts.maxLoadFailures ?? 3;
    this.policy = opts.policy ?? 'punctual';
    this.maxReserveShare = opts.maxReserveShare ?? 0.3;
    this.reserveWindow = opts.reserveWindow ?? 1000;
    this.reserveMaxAge = opts.reserveMaxAgeMs ?? 30_000;
    this.reserveStale = opts.reserveStaleMs ?? 1000;
    this.onLost = opts.onLost;
    this.suspendRetry = opts.suspendRetryMs ?? 5000;
  }

  // ---- models and executors -------------------------------------------

  addModel(key: string, batchSizes: readonly number[]): void {
    if (this.models.has(key)) return;
    const sizes = [...batchSizes].sort((a, b) => a - b);
    if (sizes[0] !== 1) throw new Error(`model ${key}: batch sizes must include 1`);
    this.models.set(key, {
      key,
      batchSizes: sizes,
      queue: new RequestQueue(),
      loadFailures: 0,
      lastFailure: '',
      errors: new SlidingMax(this.reserveWindow, this.reserveMaxAge),
      lastOutcomeAt: -Infinity,
    });
  }

  /** Stops serving a model: its queued requests are dropped, and it is unloaded everywhere. */
  removeModel(key: string, now: number): void {
    const m = this.models.get(key);
    if (!m) return;
    for (const r of m.queue.drain()) this.drop(r, 'unavailable', `model ${key} was removed`);
    this.active.delete(m);
    this.models.delete(key);
    for (const e of this.executors.values()) {
      const res = e.models.get(key);
      if (res && res.state === 'loaded') this.planUnload(e, key, now);
    }
  }

  addExecutor(spec: ExecutorSpec, now: number): void {
    if (this.executors.has(spec.id)) throw new Error(`executor ${spec.id} already present`);
    this.executors.set(spec.id, new ExecutorTimeline(spec, now));
    this.refreshClasses();
  }

  private refreshClasses(): void {
    this.classes = [...new Set([...this.executors.values()].map((e) => e.spec.cls))];
  }

  /**
   * A worker left: its executors vanish. Requests of its in-flight inferences
   * go back to their queues (retried elsewhere if time allows, else dropped as
   * UNAVAILABLE). With no executor left, everything queued fails now.
   */
  removeWorker(workerId: string, _now: number): void {
    for (const [id, e] of this.executors) {
      if (e.spec.workerId !== workerId) continue;
      this.executors.delete(id);
      for (const a of e.inflight) {
        this.actionExecutor.delete(a.id);
        for (const r of a.requests) {
          r.retried = true;
          this.requeue(r);
        }
      }
    }
    this.refreshClasses();
    if (this.executors.size === 0) {
      for (const m of this.active) {
        for (const r of m.queue.drain()) this.drop(r, 'unavailable', 'no worker connected');
      }
      this.active.clear();
    }
  }

  /**
   * A worker is shutting down: its executors get nothing new (no requests,
   * loads or warm-ups); what is in flight there finishes and is answered.
   * Queued requests go to the other executors.
   */
  drainWorker(workerId: string): void {
    for (const e of this.executors.values()) if (e.spec.workerId === workerId) e.draining = true;
  }

  // ---- admission ---------------------------------------------------------

  /** Admission at arrival: accept into the queue, or say now why it cannot make its deadline. */
  submit(req: SchedRequest, now: number): Admission {
    return this.submitAll([req], now);
  }

  /**
   * Admits several requests of one model that arrived together (a V2 request
   * with a batch axis): all of them, or none. They share the model, arrival
   * and deadline; the prediction is for the last of them to finish.
   */
  submitAll(reqs: readonly SchedRequest[], now: number): Admission {
    const first = reqs[0];
    if (!first) throw new Error('submitAll needs at least one request');
    for (const r of reqs) {
      if (r.model !== first.model || r.deadline !== first.deadline || r.arrival !== first.arrival) {
        throw new Error('submitAll: requests must share model, arrival and deadline');
      }
    }
    const adm = this.judge(first.model, reqs.length, first.arrival, first.deadline, now);
    if (!adm.ok) return adm;
    const m = this.models.get(first.model)!;
    for (const r of reqs) {
      r.predicted = adm.predicted - adm.reserve;
      m.queue.insert(r);
    }
    this.active.add(m);
    return { ok: true, predicted: adm.predicted };
  }

  /**
   * What admission would say of n requests of `model` that arrived at
   * `arrival` with `deadline`, without queuing them: the early check on a
   * request's first bytes (controller/early-admission.ts) and submitAll
   * share it.
   */
  judge(model: string, n: number, arrival: number, deadline: number, now: number): Admission & { reserve: number } {
    this.lastNow = Math.max(this.lastNow, now);
    const m = this.models.get(model);
    if (!m) return { ok: false, code: 'unknown_model', message: `model ${model} is not registered`, reserve: 0 };
    if (this.executors.size === 0) {
      return { ok: false, code: 'no_executor', message: 'no worker connected: no executor can run the request', reserve: 0 };
    }
    const memory = this.est.memory(model);
    let best = Infinity;
    let largestBudget = 0;
    let usable = 0;
    const memo: PredictMemo = { holders: new Map(), work: new Map() };
    for (const e of this.executors.values()) {
      if (!e.usable) continue;
      usable++;
      largestBudget = Math.max(largestBudget, e.spec.memoryBudget);
      const p = this.predictCompletion(m, e, now, memory, memo, n);
      if (p < best) best = p;
    }
    if (usable === 0) {
      const why = [...this.executors.values()].some((e) => e.suspended) ? 'every connected worker is draining or not answering' : 'every connected worker is draining';
      return { ok: false, code: 'no_executor', message: `${why}: no executor takes new work`, reserve: 0 };
    }
    if (best === Infinity) {
      return {
        ok: false,
        code: 'model_too_large',
        message: `model ${model} needs ${mib(memory)} but the largest executor memory budget is ${mib(largestBudget)}`,
        reserve: 0,
      };
    }
    const slo = deadline - arrival;
    const reserve = this.reserve(model, slo, now);
    const predicted = best + reserve;
    if (predicted > deadline && this.policy === 'punctual') {
      const why = reserve > 0 ? ` (with a ${reserve.toFixed(1)} ms reserve: recent answers came up to that much later than predicted)` : '';
      const what = n > 1 ? ` for all ${n} items` : '';
      return {
        ok: false,
        code: 'slo_unattainable',
        predicted,
        message: `slo_unattainable: predicted ${(predicted - arrival).toFixed(1)} ms${what} > slo ${fmt(slo)} ms${why}`,
        reserve,
      };
    }
    return { ok: true, predicted, reserve };
  }

  /**
   * When the last of n requests for m arriving now would finish on e, at the
   * high percentile, if e served them as soon as it could: the typical time
   * of what is booked and queued ahead of them and of their own runs, plus
   * one margin for all of it together (the square root of the summed squared
   * spreads).
   */
  private predictCompletion(m: ModelState, e: ExecutorTimeline, now: number, memory: number, memo: PredictMemo, n = 1): number {
    const cls = e.spec.cls;
    const res = e.models.get(m.key);
    let start: number;
    if (res) start = Math.max(now, e.freeAt, res.readyAt);
    else if (memory <= e.spec.memoryBudget) start = Math.max(now, e.freeAt) + this.est.load(m.key, cls);
    else return Infinity;
    let backlog = 0;
    let spreadSq = e.spreadSq;
    let work = memo.work.get(cls);
    if (!work) memo.work.set(cls, (work = new Map()));
    for (const other of this.active) {
      if (other !== m && !e.holds(other.key)) continue;
      let holders = memo.holders.get(other.key);
      if (holders === undefined) memo.holders.set(other.key, (holders = this.holders(other.key)));
      let w = work.get(other);
      if (w === undefined) work.set(other, (w = this.work(other, other.queue.length, cls)));
      const share = Math.max(1, other === m ? holders + (res ? 0 : 1) : holders);
      backlog += w.typical / share;
      spreadSq += w.spreadSq / share;
    }
    const own = this.work(m, n, cls);
    return start + backlog + own.typical + Math.sqrt(spreadSq + own.spreadSq);
  }

  /**
   * What admission adds to a prediction: the largest error of the recent
   * ones (answers that came later than predicted), at most maxReserveShare of
   * the SLO, so a stall cannot shut admission for long. A miss of an accepted
   * request costs more than a rejection, which the client hears in
   * microseconds and can act on.
   */
  reserve(model: string, sloMs: number, now: number): number {
    return Math.min(this.recentError(model, now), this.maxReserveShare * sloMs);
  }

  /** The largest recent prediction error of a model, ms (0 when answers came on time or its outcomes went stale): its reserve before the SLO cap. */
  recentError(model: string, now: number): number {
    const m = this.models.get(model);
    if (!m || now - m.lastOutcomeAt >= this.reserveStale) return 0;
    const worst = m.errors.max(now);
    return worst !== undefined && worst > 0 ? worst : 0;
  }

  /**
   * Time set aside in dispatch for r's answer to come back from e: the median
   * of e's recent return times, at most a tenth of r's SLO. The request is
   * accepted already: it runs while it most likely still makes its deadline.
   */
  private returnAllowance(e: ExecutorTimeline, r: SchedRequest): number {
    if (e.returns.count === 0) return 0;
    return Math.min(e.returns.percentile(50), 0.1 * (r.deadline - r.arrival));
  }

  /** Predicted time to run n queued requests of m in the largest batches. */
  private work(m: ModelState, n: number, cls: string): Work {
    let typical = 0;
    let spreadSq = 0;
    let left = n;
    for (let i = m.batchSizes.length - 1; i >= 0 && left > 0; i--) {
      const b = m.batchSizes[i]!;
      const times = Math.floor(left / b);
      if (times > 0) {
        const t = this.typical(m.key, b, cls);
        typical += times * t;
        spreadSq += times * (this.est.exec(m.key, b, cls) - t) ** 2;
        left -= times * b;
      }
    }
    return { typical, spreadSq };
  }

  private typical(model: string, batch: number, cls: string): number {
    return this.est.typical ? this.est.typical(model, batch, cls) : this.est.exec(model, batch, cls);
  }

  private holders(model: string): number {
    let n = 0;
    for (const e of this.executors.values()) if (e.usable && e.holds(model)) n++;
    return n;
  }

  // ---- the tick ------------------------------------------------------------

  /** Everything that should happen now. Call after every event and when nextWakeup() says. */
  tick(now: number): Decision[] {
    this.lastNow = Math.max(this.lastNow, now);
    this.detectLost(now);
    if (this.policy === 'punctual') this.dropHopeless(now);
    // Dispatch before planning loads: a load shares the executor's timeline,
    // and must not push ahead of requests already admitted on resident models.
    this.dispatch(now);
    this.planLoads(now);
    const out = this.pending;
    this.pending = [];
    return out;
  }

  /**
   * The next time tick() has something to do if nothing else happens: an
   * executor entering its schedule-ahead window with work waiting, a queued
   * request becoming hopeless, an action becoming overdue.
   */
  nextWakeup(now: number): number | undefined {
    let t = Infinity;
    for (const m of this.active) {
      const head = m.queue.peek();
      // Just after the last instant it could still start: dropHopeless acts then.
      if (head && this.policy === 'punctual') t = Math.min(t, head.deadline - this.bestExec(m.key, 1) + HOPELESS_EPSILON_MS);
    }
    if (this.active.size === 0) {
      for (const e of this.executors.values()) {
        const first = e.inflight[0];
        if (first) t = Math.min(t, first.predictedEnd + this.lostAfter);
      }
    } else {
      for (const e of this.executors.values()) {
        const first = e.inflight[0];
        if (first) t = Math.min(t, first.predictedEnd + this.lostAfter);
        if (e.lostAt !== undefined && !e.unresponsive) t = Math.min(t, e.lostAt + this.suspendRetry);
        // Nothing held here can enter the window before freeAt - ahead: skip the scan when that cannot win.
        if (!e.usable || e.freeAt - this.ahead >= t) continue;
        for (const [key, res] of e.models) {
          const m = this.models.get(key);
          if (m && m.queue.length > 0) t = Math.min(t, Math.max(e.freeAt, res.readyAt) - this.ahead);
        }
      }
    }
    if (t === Infinity) return undefined;
    return Math.max(t, now);
  }

  private bestExec(model: string, batch: number): number {
    let best = Infinity;
    for (const cls of this.classes) best = Math.min(best, this.est.exec(model, batch, cls));
    return best === Infinity ? 0 : best;
  }

  /** Queued requests that cannot finish even if started right now on the fastest class. */
  private dropHopeless(now: number): void {
    for (const m of this.active) {
      const fastest = this.bestExec(m.key, 1);
      for (let head = m.queue.peek(); head && now + fastest > head.deadline; head = m.queue.peek()) {
        m.queue.shift();
        this.drop(head, head.retried ? 'unavailable' : 'deadline', this.missMessage(head, now));
      }
      if (m.queue.length === 0) this.active.delete(m);
    }
  }

  private missMessage(r: SchedRequest, now: number): string {
    const slo = r.deadline - r.arrival;
    const why = r.retried ? 'its worker failed and no retry could finish in time' : 'it could not start in time';
    return `dropped after ${fmt(now - r.arrival)} ms: ${why} to meet its ${fmt(slo)} ms SLO (never run late)`;
  }

  /**
   * An action far past its predicted end is taken as lost: the executor is
   * set aside (nothing new planned there) and everything in flight on it is
   * given up on, since the worker runs its actions in order and the rest wait
   * behind the missing one; their requests go back to the queue, to run
   * elsewhere if their deadlines allow.
   */
  private detectLost(now: number): void {
    for (const e of this.executors.values()) {
      const first = e.inflight[0];
      if (first && now >= first.predictedEnd + this.lostAfter) {
        e.lostAt = now;
        this.abandonAll(e, now, 'overdue');
      } else if (e.lostAt !== undefined && !e.unresponsive && now - e.lostAt >= this.suspendRetry) {
        // Its worker answers pings: try it again. If it is stuck, the next action is lost too.
        e.lostAt = undefined;
      }
    }
  }

  /** Gives up on every action in flight on e (see detectLost). */
  private abandonAll(e: ExecutorTimeline, now: number, why: LostReason): void {
    for (const a of [...e.inflight]) {
      this.abandon(e, a, now);
      this.rememberAbandoned(a.id, e);
      this.lostActions++;
      this.onLost?.({ actionId: a.id, executor: e.spec.id, type: a.type, model: a.model, why });
    }
  }

  private rememberAbandoned(id: number, e: ExecutorTimeline): void {
    this.abandoned.set(id, e);
    if (this.abandoned.size > MAX_ABANDONED) this.abandoned.delete(this.abandoned.keys().next().value!);
  }

  /**
   * A worker stopped answering (no reply to pings within its liveness
   * deadline): its executors are set aside and their work in flight is
   * re-planned elsewhere. Returns how many actions were given up on.
   */
  suspendWorker(workerId: string, now: number): number {
    this.lastNow = Math.max(this.lastNow, now);
    let n = 0;
    for (const e of this.executors.values()) {
      if (e.spec.workerId !== workerId || e.unresponsive) continue;
      e.unresponsive = true;
      n += e.inflight.length;
      this.abandonAll(e, now, 'unresponsive');
    }
    return n;
  }

  /** A set-aside worker answers again: its executors take work again. */
  resumeWorker(workerId: string, now: number): void {
    this.lastNow = Math.max(this.lastNow, now);
    for (const e of this.executors.values()) {
      if (e.spec.workerId !== workerId) continue;
      e.unresponsive = false;
      e.lostAt = undefined;
      if (e.inflight.length === 0) e.freeAt = Math.max(e.freeAt, now);
    }
  }

  private abandon(e: ExecutorTimeline, a: InflightAction, now: number): void {
    e.settle(a.id, now);
    this.actionExecutor.delete(a.id);
    const res = e.models.get(a.model);
    if (a.type === 'load') {
      e.loadsInFlight--;
      if (res) this.evict(e, a.model);
      // The worker may hold it after all: free it there too.
      this.planUnload(e, a.model, now, /*already evicted*/ true);
    } else if (a.type === 'infer') {
      if (res) res.inflightInfers--;
      for (const r of a.requests) {
        r.retried = true;
        this.requeue(r);
      }
    }
  }

  // ---- results ---------------------------------------------------------------

  /**
   * An action's result. Returns the finished inference (so the caller can
   * answer its requests), or undefined for loads, unloads, refusals and
   * unknown (already abandoned) actions, whose consequences are decided here.
   */
  complete(actionId: number, outcome: ActionOutcome, now: number): CompletedInfer | undefined {
    this.lastNow = Math.max(this.lastNow, now);
    const e = this.actionExecutor.get(actionId);
    if (!e) {
      // The late answer of an action given up on: its executor is answering again.
      const from = this.abandoned.get(actionId);
      this.abandoned.delete(actionId);
      if (from && this.executors.get(from.spec.id) === from) from.lostAt = undefined;
      return undefined;
    }
    this.actionExecutor.delete(actionId);
    const anchor = outcome.status === 'ok' ? outcome.end : now;
    const a = e.settle(actionId, anchor);
    if (!a) return undefined;
    const res = e.models.get(a.model);
    const cls = e.spec.cls;
    if (a.type === 'infer') {
      if (res) res.inflightInfers--;
      if (outcome.status === 'ok') {
        this.est.observeExec(a.model, a.batch, cls, outcome.duration);
        e.returns.add(Math.max(0, now - outcome.end));
        const m = this.models.get(a.model);
        // Retried requests are not prediction errors: a worker failed under them.
        if (m) {
          for (const r of a.requests) if (r.predicted !== undefined && !r.retried) m.errors.add(now - r.predicted, now);
          m.lastOutcomeAt = Math.max(m.lastOutcomeAt, now);
        }
        return { action: a, executor: e };
      }
      if (outcome.status === 'failed' && res) {
        // The worker and we disagree about this model: forget it there.
        this.evict(e, a.model);
        this.planUnload(e, a.model, now, true);
      }
      for (const r of a.requests) {
        if (outcome.status === 'failed') {
          if (r.retried) {
            this.drop(r, 'failed', `inference failed: ${outcome.message}`);
            continue;
          }
          r.retried = true;
        }
        this.requeue(r);
      }
      return undefined;
    }
    if (a.type === 'load') {
      e.loadsInFlight--;
      const m = this.models.get(a.model);
      if (outcome.status === 'ok') {
        this.est.observeLoad(a.model, cls, outcome.duration, outcome.memory);
        if (res) {
          res.state = 'loaded';
          res.readyAt = outcome.end;
          // Books keep the larger of the estimate and what the worker measured:
          // an RSS reading taken right after session creation can undercount.
          if (outcome.memory !== undefined && outcome.memory > res.memory) {
            e.memoryUsed += outcome.memory - res.memory;
            res.memory = outcome.memory;
          }
        }
        if (m) m.loadFailures = 0;
      } else {
        if (res) this.evict(e, a.model);
        if (m && outcome.status === 'failed') {
          m.loadFailures++;
          m.lastFailure = outcome.message;
          if (m.loadFailures >= this.maxLoadFailures) {
            for (const r of m.queue.drain()) this.drop(r, 'failed', `model ${m.key} failed to load: ${outcome.message}`);
            this.active.delete(m);
          }
        }
      }
      return undefined;
    }
    // unload: memory was released from our books when it was planned.
    return undefined;
  }

  // ---- loads and evictions -----------------------------------------------

  /**
   * Warms a newly joined executor: loads the given models, in order, while
   * they fit in its free memory without evicting anything, so the first
   * requests do not pay for a load. Demand-driven loads take over from there.
   */
  warm(executorId: string, models: readonly string[], now: number): void {
    const e = this.executors.get(executorId);
    if (!e || !e.usable) return;
    for (const key of models) {
      if (!this.models.has(key) || e.holds(key)) continue;
      const memory = this.est.memory(key);
      if (memory > e.freeMemory()) continue;
      this.planLoad(e, key, memory, now);
    }
  }

  /**
   * Unloads a model from every executor where it sits idle (loaded, nothing
   * queued or running on it); it stays registered and loads again on demand.
   * Returns how many executors were asked to unload it.
   */
  unloadIdle(model: string, now: number): number {
    let n = 0;
    for (const e of this.executors.values()) {
      const res = e.models.get(model);
      if (!res || !this.isIdle(model, res)) continue;
      this.planUnload(e, model, now);
      n++;
    }
    return n;
  }

  /**
   * Demand-driven loads. A model's unmet demand is the work of its queue that
   * the executors holding it cannot finish by the queue's last deadline.
   * Highest unmet demand loads first, on the least-booked executor that can
   * make room by evicting idle models in least-recently-used order.
   */
  private planLoads(now: number): void {
    if (this.active.size === 0) return;
    const wants: { m: ModelState; unmet: number }[] = [];
    for (const m of this.active) {
      const last = m.queue.lastDeadline();
      if (last === undefined) continue;
      let capacity = 0;
      let holders = 0;
      let cls = '';
      for (const e of this.executors.values()) {
        if (!e.usable) continue;
        const res = e.models.get(m.key);
        if (!res) {
          cls ||= e.spec.cls;
          continue;
        }
        holders++;
        cls = e.spec.cls;
        capacity += Math.max(0, last - Math.max(now, e.freeAt, res.readyAt));
      }
      const unmet = this.work(m, m.queue.length, cls).typical - capacity;
      if (holders === 0 || unmet > 0) wants.push({ m, unmet: holders === 0 ? Infinity : unmet });
    }
    wants.sort((a, b) => b.unmet - a.unmet);
    for (const { m } of wants) this.placeLoad(m, now);
  }

  private placeLoad(m: ModelState, now: number): void {
    const memory = this.est.memory(m.key);
    let best: ExecutorTimeline | undefined;
    let bestScore = Infinity;
    for (const e of this.executors.values()) {
      if (!e.usable || e.holds(m.key) || e.loadsInFlight >= this.maxLoads || memory > e.spec.memoryBudget) continue;
      if (e.freeMemory() < memory && this.evictable(e) < memory - e.freeMemory()) continue;
      // Prefer the least booked; among equals, one that needs no eviction.
      const score = Math.max(now, e.freeAt) + (e.freeMemory() >= memory ? 0 : 0.001);
      if (score < bestScore) {
        bestScore = score;
        best = e;
      }
    }
    if (!best) return;
    const e = best;
    if (e.freeMemory() < memory) {
      const victims = [...e.models.entries()]
        .filter(([key, res]) => this.isIdle(key, res))
        .sort((a, b) => a[1].lastUsed - b[1].lastUsed);
      for (const [key] of victims) {
        if (e.freeMemory() >= memory) break;
        this.planUnload(e, key, now);
      }
    }
    this.planLoad(e, m.key, memory, now);
  }

  private planLoad(e: ExecutorTimeline, key: string, memory: number, now: number): void {
    const expected = this.est.load(key, e.spec.cls);
    const id = this.nextActionId++;
    // Windows open at dispatch time: the worker runs its actions in order, so
    // an executor that finishes early starts the next one at once.
    const earliest = now;
    const a = e.plan(id, 'load', key, earliest, expected);
    e.loadsInFlight++;
    e.memoryUsed += memory;
    e.models.set(key, { state: 'loading', readyAt: a.predictedEnd, lastUsed: now, memory, inflightInfers: 0 });
    this.actionExecutor.set(id, e);
    this.pending.push({ type: 'load', actionId: id, executor: e.spec.id, model: key, earliest, latest: a.predictedStart + this.loadWindow, expected });
  }

  private isIdle(key: string, res: { state: string; inflightInfers: number }): boolean {
    const m = this.models.get(key);
    return res.state === 'loaded' && res.inflightInfers === 0 && (!m || m.queue.length === 0);
  }

  private evictable(e: ExecutorTimeline): number {
    let bytes = 0;
    for (const [key, res] of e.models) if (this.isIdle(key, res)) bytes += res.memory;
    return bytes;
  }

  /** Forgets a residency and returns its memory to the executor's budget. */
  private evict(e: ExecutorTimeline, key: string): void {
    const res = e.models.get(key);
    if (!res) return;
    e.models.delete(key);
    e.memoryUsed -= res.memory;
  }

  private planUnload(e: ExecutorTimeline, key: string, now: number, alreadyEvicted = false): void {
    if (!alreadyEvicted) this.evict(e, key);
    const id = this.nextActionId++;
    const earliest = now;
    const a = e.plan(id, 'unload', key, earliest, this.unloadMs);
    this.actionExecutor.set(id, e);
    this.pending.push({
      type: 'unload',
      actionId: id,
      executor: e.spec.id,
      model: key,
      earliest,
      latest: a.predictedStart + this.loadWindow,
      expected: this.unloadMs,
    });
  }

  // ---- dispatch ----------------------------------------------------------------

  /**
   * Fills each executor's timeline up to `scheduleAhead` ms into the future.
   * On each free slot: among the models it holds, the queue whose head has the
   * least slack (deadline - estimate) goes first, in the largest batch that
   * still finishes before the earliest deadline in it.
   */
  private dispatch(now: number): void {
    if (this.active.size === 0) return;
    const order = [...this.executors.values()].filter((e) => e.usable).sort((a, b) => a.freeAt - b.freeAt);
    for (const e of order) {
      while (this.active.size > 0 && Math.max(now, e.freeAt) <= now + this.ahead) {
        if (!this.dispatchOne(e, now)) break;
      }
    }
  }

  private dispatchOne(e: ExecutorTimeline, now: number): boolean {
    if (this.policy === 'fifo') return this.dispatchFifo(e, now);
    const cls = e.spec.cls;
    let chosen: ModelState | undefined;
    let chosenStart = 0;
    let bestSlack = Infinity;
    for (const [key, res] of e.models) {
      const m = this.models.get(key);
      if (!m || m.queue.length === 0) continue;
      const start = Math.max(now, e.freeAt, res.readyAt);
      if (start > now + this.ahead) continue; // not usable inside the window yet
      // Drop what cannot make it here, when no other holder can start sooner.
      const e1 = this.est.exec(key, 1, cls);
      let head = m.queue.peek();
      while (head && start + e1 + this.returnAllowance(e, head) > head.deadline && !this.someoneSooner(key, e, start)) {
        m.queue.shift();
        this.drop(head, head.retried ? 'unavailable' : 'deadline', this.missMessage(head, now));
        head = m.queue.peek();
      }
      if (!head) {
        this.active.delete(m);
        continue;
      }
      const finishBy = head.deadline - this.returnAllowance(e, head);
      if (start + e1 > finishBy) continue; // another holder will take it
      const slack = finishBy - e1;
      if (slack < bestSlack) {
        bestSlack = slack;
        chosen = m;
        chosenStart = start;
      }
    }
    if (!chosen) return false;
    const m = chosen;
    const head = m.queue.peek()!;
    const finishBy = head.deadline - this.returnAllowance(e, head);
    // The largest batch that finishes before the earliest deadline in it, unless
    // a smaller one runs more requests per millisecond (on CPU, batching can
    // cost more than it saves: then batch 1 is both faster and fairer).
    let batch = 1;
    let bestRate = 1 / this.est.exec(m.key, 1, cls);
    for (const b of m.batchSizes) {
      if (b > m.queue.length) break;
      const t = this.est.exec(m.key, b, cls);
      if (chosenStart + t > finishBy) continue;
      const rate = b / t;
      if (rate >= bestRate * 0.98) {
        batch = b;
        bestRate = Math.max(rate, bestRate);
      }
    }
    const expected = this.est.exec(m.key, batch, cls);
    this.planInfer(e, m, batch, expected, now, finishBy - expected);
    return true;
  }

  /**
   * The fifo baseline's dispatch: among the models e holds, the queue whose
   * head arrived first goes, in the batch that runs the most requests per
   * millisecond of what is queued. Deadlines play no part, and the window
   * never closes: late work runs late.
   */
  private dispatchFifo(e: ExecutorTimeline, now: number): boolean {
    const cls = e.spec.cls;
    let chosen: ModelState | undefined;
    let oldest = Infinity;
    for (const [key, res] of e.models) {
      const m = this.models.get(key);
      const head = m?.queue.peek();
      if (!m || !head || Math.max(now, e.freeAt, res.readyAt) > now + this.ahead) continue;
      if (head.arrival < oldest) {
        oldest = head.arrival;
        chosen = m;
      }
    }
    if (!chosen) return false;
    const m = chosen;
    let batch = 1;
    let bestRate = 1 / this.est.exec(m.key, 1, cls);
    for (const b of m.batchSizes) {
      if (b > m.queue.length) break;
      const rate = b / this.est.exec(m.key, b, cls);
      if (rate >= bestRate * 0.98) {
        batch = b;
        bestRate = Math.max(rate, bestRate);
      }
    }
    this.planInfer(e, m, batch, this.est.exec(m.key, batch, cls), now, now + FIFO_WINDOW_MS);
    return true;
  }

  /** Takes `batch` requests off m's queue and plans them as one INFER on e. */
  private planInfer(e: ExecutorTimeline, m: ModelState, batch: number, expected: number, now: number, latest: number): void {
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

  /** Whether another executor holding the model could start it before `start`. */
  private someoneSooner(model: string, self: ExecutorTimeline, start: number): boolean {
    for (const e of this.executors.values()) {
      if (e === self || !e.usable) continue;
      const res = e.models.get(model);
      if (res && Math.max(e.freeAt, res.readyAt) < start) return true;
    }
    return false;
  }

  // ---- helpers ---------------------------------------------------------------

  private requeue(r: SchedRequest): void {
    const m = this.models.get(r.model);
    if (!m) {
      this.drop(r, 'unavailable', `model ${r.model} was removed`);
      return;
    }
    m.queue.insert(r);
    this.active.add(m);
  }

  private drop(request: SchedRequest, code: DropCode, reason: string): void {
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

  /** Requests waiting in model queues (not yet dispatched). */
  queued(model?: string): number {
    if (model !== undefined) return this.models.get(model)?.queue.length ?? 0;
    let n = 0;
    for (const m of this.active) n += m.queue.length;
    return n;
  }
}

/** Why an action was given up on: long past its predicted end, or its worker stopped answering. */
export type LostReason = 'overdue' | 'unresponsive';

/** Abandoned action ids remembered for their late answers. */
const MAX_ABANDONED = 10_000;

/** nextWakeup() names a time just past a request's last possible start, so tick() then drops it. */
const HOPELESS_EPSILON_MS = 0.001;

function fmt(ms: number): string {
  return Number.isInteger(ms) ? String(ms) : ms.toFixed(1);
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
