// The scheduler: pure decisions, clock in and actions out (after Clockwork's
// INFER4, plus admission at arrival). No sockets and no timers: the live
// controller and the virtual-time simulator drive the same code, through the
// same driver (driver.ts).
//
//  submit(req, now)      admission: accept, or reject now with the reason   admission.ts
//  tick(now)             lost actions, drops, dispatch, then loads           outcomes.ts, dispatch.ts, load-planning.ts
//  complete(id, outcome) learn from a result and re-anchor the timeline      outcomes.ts
//  nextWakeup(now)       when tick() next has something to do
//  addModel / addExecutor / removeWorker …   membership, at any time
//
// This file is the facade: it owns the shared state (state.ts) and the
// policy (policy.ts), and hands each call to the room that decides it.
import { AdmissionControl, type Judgement } from './admission.js';
import { dispatch } from './dispatch.js';
import { ExecutorTimeline, type InflightAction } from './executor-timeline.js';
import { LoadPlanner } from './load-planning.js';
import { Outcomes, type CompletedInfer } from './outcomes.js';
import { policyNamed } from './policies.js';
import { queuedHeld } from './queued-held.js';
import { DEFAULT_POLICY, type Policy, type SchedulingPolicy } from './policy.js';
import { SchedulerState, type LostListener, type ModelState, type SchedulerConfig } from './state.js';
import type { ActionOutcome, Admission, Decision, EstimateSource, ExecutorSpec, RejectCode, SchedRequest } from './types.js';

export type { CompletedInfer } from './outcomes.js';
export type { LostReason } from './state.js';

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
  /** 'fifo' is the baseline: no admission control, no deadline awareness (see policy.ts). @default DEFAULT_POLICY ('punctual') */
  policy?: Policy;
  /** Told of each action given up on as lost (no result lostAfterMs past its predicted end). */
  onLost?: LostListener;
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
  /**
   * The reserve is this quantile of the recent errors: 1 is the largest;
   * 0.995 leaves out the top 0.5 % (with fewer than 200 errors, still the largest),
   * so a few answers pushed late by requests admitted after them (deadline
   * order lets a tighter request overtake, within the room the earlier one
   * has) do not lock a model out for the whole window. @default 0.995
   */
  reserveQuantile?: number;
  /**
   * A joining executor's background warm-up (preload) starts its next load
   * only when no request has been admitted anywhere for this long: with
   * traffic flowing, loads are made for demand, not for a guess. @default 1000
   */
  preloadQuietMs?: number;
}

/** The scheduler's defaults (see SchedulerOptions). */
export const SCHEDULER_DEFAULTS: Readonly<SchedulerConfig> = {
  scheduleAheadMs: 10,
  maxLoadsInFlight: 2,
  lostAfterMs: 1000,
  loadWindowMs: 1000,
  unloadMs: 1,
  maxLoadFailures: 3,
  suspendRetryMs: 5000,
  maxReserveShare: 0.3,
  reserveWindow: 1000,
  reserveMaxAgeMs: 30_000,
  reserveStaleMs: 1000,
  reserveQuantile: 0.995,
  preloadQuietMs: 1000,
};

/** SchedulerOptions with every default filled in. */
export function compileSchedulerConfig(opts: Omit<SchedulerOptions, 'estimates' | 'policy' | 'onLost'>): SchedulerConfig {
  const cfg: SchedulerConfig = { ...SCHEDULER_DEFAULTS };
  for (const k of Object.keys(cfg) as (keyof SchedulerConfig)[]) {
    const v = opts[k];
    if (v !== undefined) cfg[k] = v;
  }
  return cfg;
}

export class Scheduler {
  readonly policy: Policy;
  private readonly st: SchedulerState;
  private readonly rules: SchedulingPolicy;
  private readonly admission: AdmissionControl;
  private readonly loads: LoadPlanner;
  private readonly outcomes: Outcomes;

  constructor(opts: SchedulerOptions) {
    this.policy = opts.policy ?? DEFAULT_POLICY;
    this.rules = policyNamed(this.policy);
    this.st = new SchedulerState(opts.estimates, compileSchedulerConfig(opts));
    this.admission = new AdmissionControl(this.st, this.rules);
    this.loads = new LoadPlanner(this.st);
    this.outcomes = new Outcomes(this.st, opts.onLost);
  }

  /** Models by key, with their queues (read them; change them only through the scheduler). */
  get models(): ReadonlyMap<string, ModelState> {
    return this.st.models;
  }

  /** Executors by id, with their timelines (read them; change them only through the scheduler). */
  get executors(): ReadonlyMap<string, ExecutorTimeline> {
    return this.st.executors;
  }

  /** Actions given up on because no result came back in time. */
  get lostActions(): number {
    return this.st.lostActions;
  }

  // ---- membership --------------------------------------------------------

  addModel(key: string, batchSizes: readonly number[]): void {
    if (this.st.models.has(key)) return;
    const sizes = [...batchSizes].sort((a, b) => a - b);
    if (sizes[0] !== 1) throw new Error(`model ${key}: batch sizes must include 1`);
    this.st.models.set(key, this.st.newModel(key, sizes));
  }

  /** Stops serving a model: its queued requests are dropped, and it is unloaded everywhere. */
  removeModel(key: string, now: number): void {
    const m = this.st.models.get(key);
    if (!m) return;
    for (const r of m.queue.drain()) this.st.drop(r, 'unavailable', `model ${key} was removed`);
    this.st.active.delete(m);
    this.st.models.delete(key);
    this.loads.unloadEverywhere(key, now);
  }

  addExecutor(spec: ExecutorSpec, now: number): void {
    if (this.st.executors.has(spec.id)) throw new Error(`executor ${spec.id} already present`);
    this.st.executors.set(spec.id, new ExecutorTimeline(spec, now));
    this.st.refreshClasses();
  }

  /** A worker left: see Outcomes.removeWorker. */
  removeWorker(workerId: string, _now: number): void {
    this.outcomes.removeWorker(workerId);
  }

  /**
   * A worker is shutting down: its executors get nothing new (no requests,
   * loads or warm-ups); what is in flight there finishes and is answered.
   * Queued requests go to the other executors.
   */
  drainWorker(workerId: string): void {
    for (const e of this.st.executors.values()) if (e.spec.workerId === workerId) e.draining = true;
  }

  /** A worker stopped answering: see Outcomes.suspendWorker. */
  suspendWorker(workerId: string, now: number): number {
    return this.outcomes.suspendWorker(workerId, now);
  }

  /** A set-aside worker answers again: its executors take work again. */
  resumeWorker(workerId: string, now: number): void {
    this.outcomes.resumeWorker(workerId, now);
  }

  /** The worker answered a ping sent at `sentAt`: see Outcomes.answered (true: tick now). */
  answered(workerId: string, sentAt: number, now: number): boolean {
    return this.outcomes.answered(workerId, sentAt, now);
  }

  // ---- admission -----------------------------------------------------------

  /** Admission at arrival: accept into the queue, or say now why it cannot make its deadline. */
  submit(req: SchedRequest, now: number): Admission {
    return this.submitAll([req], now);
  }

  /** Several requests of one model that arrived together, admitted all or none (see AdmissionControl). */
  submitAll(reqs: readonly SchedRequest[], now: number): Admission {
    const { loadOn, ...adm } = this.admission.submitAll(reqs, now);
    if (adm.ok && loadOn !== undefined) {
      // Admitted on a load: make it now, where the prediction put it (behind what is dispatched first).
      dispatch(this.st, this.rules, now);
      this.loads.loadFor(loadOn, reqs[0]!.model, now);
    }
    return adm;
  }

  /** What admission would say of n such requests, without queuing them. */
  judge(model: string, n: number, arrival: number, deadline: number, now: number): Judgement {
    return this.admission.judge(model, n, arrival, deadline, now);
  }

  /** n requests turned away without submit (on their first bytes): their demand still counts (see AdmissionControl.turnedAway). */
  turnedAway(model: string, n: number, code: RejectCode, now: number): void {
    this.admission.turnedAway(model, n, code, now);
  }

  reserve(model: string, sloMs: number, now: number): number {
    return this.admission.reserve(model, sloMs, now);
  }

  recentError(model: string, now: number): number {
    return this.admission.recentError(model, now);
  }

  // ---- the tick ------------------------------------------------------------

  /** Everything that should happen now. Call after every event and when nextWakeup() says. */
  tick(now: number): Decision[] {
    this.st.seen(now);
    this.outcomes.detectLost(now);
    this.rules.dropHopeless(this.st, now);
    // Dispatch before planning loads: a load shares the executor's timeline
    // (or holds up its thread's models), and must not push ahead of requests
    // already admitted on resident models.
    dispatch(this.st, this.rules, now);
    this.loads.planLoads(now);
    this.loads.planPreloads(now);
    return this.st.takeDecisions();
  }

  /**
   * The next time tick() has something to do if nothing else happens: an
   * executor entering its schedule-ahead window with work waiting, a queued
   * request becoming hopeless, an action becoming overdue.
   */
  nextWakeup(now: number): number | undefined {
    const st = this.st;
    const ahead = st.cfg.scheduleAheadMs;
    let t = Infinity;
    for (const m of st.active) {
      const hopeless = this.rules.hopelessAt(st, m);
      if (hopeless !== undefined) t = Math.min(t, hopeless);
    }
    const queued = st.active.size > 0;
    // A background warm-up waiting for a lull resumes when the lull has lasted long enough.
    const resume = st.lastAdmitted + st.cfg.preloadQuietMs;
    for (const e of st.executors.values()) {
      if (e.preloads.length > 0 && e.usable && e.inflight.length === 0 && e.loadLine.length === 0 && resume > now) t = Math.min(t, resume);
      // With nothing queued, a set-aside executor needs no retry.
      t = Math.min(t, this.outcomes.lostWakeup(e, queued));
      // Nothing held here can enter the window before freeAt - ahead: skip the scan when that cannot win.
      // An executor loading (with a load lane, the loading thread's models) is filled when the load's result
      // comes (dispatch.ts), not by a wakeup.
      if (!queued || !e.usable || (e.loadsInFlight > 0 && !e.hasLoadLane) || e.freeAt - ahead >= t) continue;
      for (const [, res] of queuedHeld(st, e)) if (!e.laneBusy(res.lane)) t = Math.min(t, Math.max(e.freeAt, e.readyAt(res)) - ahead);
    }
    if (t === Infinity) return undefined;
    return Math.max(t, now);
  }

  /** What is in flight under an action id: its type, model and executor (undefined once answered, given up on, or its worker left). */
  inflight(actionId: number): { type: InflightAction['type']; model: string; executor: string } | undefined {
    const e = this.st.actionExecutor.get(actionId);
    const a = e?.allInflight().find((x) => x.id === actionId);
    return e && a ? { type: a.type, model: a.model, executor: e.spec.id } : undefined;
  }

  /** An action's result: see Outcomes.complete. */
  complete(actionId: number, outcome: ActionOutcome, now: number): CompletedInfer | undefined {
    return this.outcomes.complete(actionId, outcome, now);
  }

  // ---- residency -------------------------------------------------------------

  /** Loads models onto a newly joined executor while they fit (see LoadPlanner.warm). */
  warm(executorId: string, models: readonly string[], now: number): void {
    this.loads.warm(executorId, models, now);
  }

  /**
   * A joining executor already holds `key`'s session on thread `lane` (its
   * worker kept it while its controller was away, and this controller adopted
   * it, controller/services/worker-service.ts): booked as loaded, at the
   * larger of the estimate and what the worker measured, as a finished LOAD
   * is. False when it cannot be booked (unknown model or executor, no such
   * lane, held already, or no room left): the worker then keeps a session
   * this controller does not know, until it unloads it.
   */
  adopt(executorId: string, key: string, lane: number, memoryBytes: number, now: number): boolean {
    const e = this.st.executors.get(executorId);
    if (!e || !this.st.models.has(key) || e.holds(key) || !(Number.isInteger(lane) && lane >= 0 && lane < e.lanes)) return false;
    const memory = Math.max(this.st.est.memory(key), memoryBytes);
    if (memory > e.freeMemory()) return false;
    e.memoryUsed += memory;
    e.hold(key, { state: 'loaded', readyAt: now, lastUsed: now, memory, inflightInfers: 0, lane });
    return true;
  }

  /** Warms a joining executor in the background, one load at a time while it is idle (see LoadPlanner.preload). */
  preload(executorId: string, models: readonly string[]): void {
    this.loads.preload(executorId, models);
  }

  /** Unloads a model wherever it sits idle; returns how many executors were asked. */
  unloadIdle(model: string, now: number): number {
    return this.loads.unloadIdle(model, now);
  }

  /** Requests waiting in model queues (not yet dispatched). */
  queued(model?: string): number {
    return this.st.queued(model);
  }
}
