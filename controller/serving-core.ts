// The live controller's heart: holds the registry, the scheduler and the
// connected workers; admits requests into the request book; drives the
// scheduler (scheduler/driver.ts) and hands its decisions to the wire
// (action-dispatcher.ts) or answers drops; feeds results back and answers
// from them. Everything here is event driven: a request, a result, a worker
// joining or leaving, or the one timer armed for the scheduler's next
// wakeup. Other parts read the scheduler through `view` only, and wait for
// what they started (a load, a drain) with until(), woken by those events.
import type { Clock } from '../common/clock.js';
import { PunctualError, Status, statusName, unavailable } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import { RateLimitedLog } from '../common/rate-limited-log.js';
import type { WireTensor } from '../common/tensor.js';
import type { ActionResult__Output } from '../common/wire.js';
import { ActionDispatcher } from './action-dispatcher.js';
import { outputsByRequest, type RequestOutputs } from './batch-outputs.js';
import { dataPlaneRefusal } from './data-plane-refusal.js';
import { IntakeDelay } from './intake.js';
import type { ModelRegistry, ServedModel } from './model-registry.js';
import { DROP_STATUS, REJECT_STATUS } from './reasons.js';
import { RequestBook, type BookedRequest, type InferAnswer, type StagedInput } from './request-book.js';
import { SchedulerDriver, WakeTimer } from './scheduler/driver.js';
import type { Estimates } from './scheduler/estimates.js';
import type { Policy } from './scheduler/policy.js';
import { Scheduler, type CompletedInfer } from './scheduler/scheduler.js';
import type { ActionOutcome, Admission, SchedRequest } from './scheduler/types.js';
import { SchedulingView } from './scheduling-view.js';
import type { ServingObserver } from './serving-observer.js';
import { Waiters } from './waiters.js';
import { outcomeOf, type WorkerConnection } from './worker-connection.js';
import { WorkerMembership } from './worker-membership.js';

export type { InferAnswer } from './request-book.js';

export interface CoreOptions {
  clock: Clock;
  registry: ModelRegistry;
  estimates: Estimates;
  log: Logger;
  /** @default SCHEDULER_DEFAULTS.scheduleAheadMs */
  scheduleAheadMs?: number;
  /** @default SCHEDULER_DEFAULTS.lostAfterMs */
  lostAfterMs?: number;
  /** The controller's clients connect with TLS: the data plane goes only to workers whose data port has TLS too (Hello.data_tls). @default false */
  dataPlaneTls?: boolean;
  /** Load models onto a joining executor while they fit. @default true */
  warmOnJoin?: boolean;
  /** Scheduling policy; 'fifo' is the baseline without admission or deadlines. @default DEFAULT_POLICY */
  policy?: Policy;
  /** Most of an SLO the admission reserve may take (see Scheduler). @default SCHEDULER_DEFAULTS.maxReserveShare */
  maxReserveShare?: number;
}

export class ServingCore {
  private readonly scheduler: Scheduler;
  /** The scheduler, read-only, for status, metrics and the services. */
  readonly view: SchedulingView;
  private readonly members: WorkerMembership;
  /** The connected workers, by id. */
  readonly workers: ReadonlyMap<string, WorkerConnection>;
  private readonly book = new RequestBook();
  private readonly dispatcher: ActionDispatcher;
  private readonly driver: SchedulerDriver;
  private readonly wake = new WakeTimer(() => this.pump());
  private readonly waiters = new Waiters();
  private readonly estimates: Estimates;
  private readonly clock: Clock;
  private readonly log: Logger;
  /** Lost actions come in runs on a sick executor: one line per executor per interval. */
  private readonly lostLog: RateLimitedLog;
  /** Lines a client can cause (bad requests, unexpected errors): one per kind per interval. */
  private readonly requestLog: RateLimitedLog;
  readonly registry: ModelRegistry;
  /** Told about every answer, action result and worker change (metrics, health). */
  readonly observers: ServingObserver[] = [];
  /** Set when the controller drains: new requests get UNAVAILABLE, accepted ones finish. */
  draining = false;
  /** How long requests take from their headers to their handler (the early check judges with it). */
  readonly intake = new IntakeDelay();
  /** Counts for status and tests. */
  readonly stats = { accepted: 0, rejected: 0, ok: 0, dropped: 0, late: 0, refusedActions: 0, failedActions: 0 };
  /** See CoreOptions.dataPlaneTls. */
  private readonly dataPlaneTls: boolean;

  constructor(opts: CoreOptions) {
    this.dataPlaneTls = opts.dataPlaneTls ?? false;
    this.clock = opts.clock;
    this.log = opts.log;
    this.lostLog = new RateLimitedLog(opts.log, opts.clock);
    this.requestLog = new RateLimitedLog(opts.log, opts.clock);
    this.registry = opts.registry;
    this.estimates = opts.estimates;
    // A model's session class with no profile of its own (its thread count was never measured): said once.
    const fellBack = opts.estimates.onFallback;
    opts.estimates.onFallback = (f) => {
      fellBack?.(f);
      const from = f.from ? `${f.from}'s${f.scale !== 1 ? ` × ${f.scale.toFixed(2)}` : ''}` : "another class's";
      this.log.warn(
        { event: 'estimate_class_fallback', model: f.model, cls: f.cls, from: f.from, scale: f.scale },
        `${f.model}: no profile at ${f.cls} (its sessions' thread count); estimates start from ${from} figures until its runs are measured (punctual profile measures each thread count)`,
      );
    };
    this.scheduler = new Scheduler({
      estimates: opts.estimates,
      scheduleAheadMs: opts.scheduleAheadMs,
      lostAfterMs: opts.lostAfterMs,
      policy: opts.policy,
      maxReserveShare: opts.maxReserveShare,
      onLost: (a) => {
        // Its result, should it still come, is ignored by the scheduler; nothing else waits for it.
        this.notify('lost', a.model, a.executor, a.type);
        const why = a.why === 'overdue' ? 'no result long past its predicted end' : 'its worker stopped answering';
        this.lostLog.warn(a.executor, { event: 'action_lost', action: a.actionId, type: a.type, model: a.model, executor: a.executor, why: a.why }, `${why}: action given up on, its requests re-planned`);
      },
    });
    this.view = new SchedulingView(this.scheduler, () => this.clock.now());
    this.dispatcher = new ActionDispatcher(
      opts.log,
      (actionId) => this.scheduler.complete(actionId, { status: 'failed', message: 'worker gone' }, this.clock.now()),
      (model, executor) => this.notify('unloaded', model, executor),
      (model) => this.registry.get(model)?.profile,
    );
    this.members = new WorkerMembership({
      scheduler: this.scheduler,
      routes: this.dispatcher.routes,
      registry: this.registry,
      clock: this.clock,
      log: this.log,
      warmOnJoin: opts.warmOnJoin ?? true,
      changed: (n) => this.notify('workersChanged', n),
    });
    this.workers = this.members.workers;
    this.driver = new SchedulerDriver(this.scheduler, (d) => {
      if (d.type === 'drop') this.answerError(d.request, new PunctualError(DROP_STATUS[d.code], d.reason, `dropped_${d.code}`));
      else this.dispatcher.send(d);
    });
  }

  // ---- admission -------------------------------------------------------------

  /** Admits one validated request. Rejections throw at once; the promise settles when it is answered. */
  submit(model: ServedModel, inputs: WireTensor[], sloMs: number, arrival: number): Promise<InferAnswer> {
    return this.submitAll(model, [inputs], sloMs, arrival)[0]!;
  }

  /**
   * Admits one request of the data plane, checked from what its inputs
   * declare: scheduled as any other, its tensors staged by its client on the
   * worker it is dispatched to (`staged.stage` says where, each dispatch).
   * Answered without outputs: they went to the client from the worker.
   */
  submitStaged(model: ServedModel, staged: StagedInput, sloMs: number, arrival: number): Promise<InferAnswer> {
    return this.submitAll(model, [[]], sloMs, arrival, staged)[0]!;
  }

  /** Why the data plane cannot serve now (data-plane-refusal.ts), or undefined. Its clients then use Infer. */
  dataPlaneRefusal(): string | undefined {
    return dataPlaneRefusal(this.workers.values(), this.dataPlaneTls);
  }

  /**
   * Admits several validated items of one model that arrived together (a
   * V2 request with a batch axis) as a whole: every item is accepted, or the
   * call throws and none is. Each promise settles when its item is answered.
   */
  submitAll(model: ServedModel, items: readonly WireTensor[][], sloMs: number, arrival: number, staged?: StagedInput): Promise<InferAnswer>[] {
    if (this.draining) {
      this.notify('notAdmitted', 'UNAVAILABLE');
      throw unavailable('controller is draining: not accepting new requests', 'draining');
    }
    const { requests, answers } = this.book.book(model, items, arrival, arrival + sloMs, staged);
    const adm = this.scheduler.submitAll(requests, this.clock.now());
    if (!adm.ok) throw this.rejected(model, requests.length, adm, arrival);
    this.stats.accepted += requests.length;
    this.book.admit(requests);
    this.pump();
    return answers;
  }

  /**
   * Admission's verdict on n items of a model arriving at `arrival`, without
   * queuing them (the early check on a request's first bytes): the error to
   * answer with when it would be rejected — counted as a rejection, like
   * one from submitAll — else undefined, and the request goes on to be
   * read, validated and submitted as usual.
   */
  rejectEarly(model: ServedModel, n: number, sloMs: number, arrival: number): PunctualError | undefined {
    if (this.draining) return undefined;
    // Judged as of when its handler will most likely run: after the rest of it has come in.
    const now = this.clock.now();
    const adm = this.scheduler.judge(model.key, n, arrival, arrival + sloMs, Math.max(now, arrival + this.intake.estimate(now)));
    if (adm.ok || adm.code !== 'slo_unattainable') return undefined;
    // Still demand: a model resident nowhere is loaded for the requests that come next.
    this.scheduler.turnedAway(model.key, n, adm.code, now);
    const err = this.rejected(model, n, adm, arrival);
    this.notify('rejectedEarly', model.key, n);
    this.pump();
    return err;
  }

  /** Counts n items of a model rejected by admission and returns the error to answer them with. */
  private rejected(model: ServedModel, n: number, adm: Extract<Admission, { ok: false }>, arrival: number): PunctualError {
    this.stats.rejected += n;
    model.counters.rejected += n;
    const waitedMs = Math.max(0, this.clock.now() - arrival);
    for (let i = 0; i < n; i++) this.notify('rejected', model.key, adm.code, { waitedMs });
    return new PunctualError(REJECT_STATUS[adm.code], `model ${model.config.name}: ${adm.message}`, adm.code);
  }

  /**
   * Runs a request's checks before admission (model, inputs, SLO): what they
   * throw is counted as not admitted (observers hear its status) and rethrown.
   */
  beforeAdmission<T>(check: () => T): T {
    try {
      return check();
    } catch (err) {
      const status = err instanceof PunctualError ? statusName(err.code) : 'INTERNAL';
      this.notify('notAdmitted', status);
      if (err instanceof PunctualError) {
        this.requestLog.info(`refused:${status}`, { event: 'request_refused', status, reason: err.reason, message: err.message }, `request refused before admission: ${err.message}`);
      }
      throw err;
    }
  }

  /** The core's clock. */
  now(): number {
    return this.clock.now();
  }

  /** A request that arrived (headers) at `arrival` reached its handler now. */
  noteIntake(arrival: number): void {
    this.intake.add(arrival, this.clock.now());
  }

  /** Logs an unexpected error on a request path (its detail stays out of the answer), at most once per interval. */
  unexpected(rpc: string, err: unknown): void {
    this.requestLog.error(`unexpected:${rpc}`, { event: 'unexpected_error', rpc, err }, `unexpected error in ${rpc}`);
  }

  // ---- the driver ----------------------------------------------------------------

  /** Runs the scheduler now and carries out what it decides; arms the timer for its next wakeup; wakes whoever waits on what changed. */
  pump(): void {
    if (!this.driver.pump(() => this.clock.now())) return;
    const now = this.clock.now();
    this.wake.arm(this.driver.wakeAt(now), now);
    this.waiters.check();
  }

  /**
   * Resolves true once `done()` holds — checked now and after every event
   * the core handles (each pump) — or false after timeoutMs. How loads,
   * warm-ups and drains are waited for: no polling.
   */
  until(done: () => boolean, timeoutMs: number): Promise<boolean> {
    return this.waiters.until(done, timeoutMs);
  }

  /** Tells every observer; an observer that throws is logged, never breaks serving. */
  private notify<K extends keyof ServingObserver>(event: K, ...args: Parameters<NonNullable<ServingObserver[K]>>): void {
    for (const o of this.observers) {
      const f = o[event] as ((...a: typeof args) => void) | undefined;
      if (!f) continue;
      try {
        f.apply(o, args);
      } catch (err) {
        this.log.error({ err, event }, 'serving observer failed');
      }
    }
  }

  // ---- results → answers -----------------------------------------------------------

  /** A worker's result for an action. */
  onResult(conn: WorkerConnection, r: ActionResult__Output): void {
    this.takeResult(conn, r);
    this.pump();
  }

  /** Results that came together (a ResultBatch), in order; the scheduler runs once, after the last. */
  onResults(conn: WorkerConnection, results: readonly ActionResult__Output[]): void {
    for (const r of results) this.takeResult(conn, r);
    this.pump();
  }

  private takeResult(conn: WorkerConnection, r: ActionResult__Output): void {
    const now = this.clock.now();
    // What the scheduler has in flight under this id (nothing once abandoned or its worker left).
    const info = this.scheduler.inflight(r.actionId);
    const outcome = outcomeOf(conn, r);
    if (outcome.status === 'refused') {
      this.stats.refusedActions++;
      if (info) this.notify('refused', info.model, info.executor, info.type);
      this.log.info({ event: 'action_refused', worker: conn.name, action: r.actionId, message: r.message }, 'action could not start in time');
    } else if (outcome.status === 'failed') {
      this.stats.failedActions++;
      this.log.warn({ event: 'action_failed', worker: conn.name, action: r.actionId, message: r.message }, 'action failed');
    }
    const done = this.scheduler.complete(r.actionId, outcome, now);
    if (info?.type === 'load' && outcome.status !== 'refused') {
      const ok = outcome.status === 'ok';
      this.notify('loaded', info.model, { executor: info.executor, ok, durationMs: r.durationMs, ...(outcome.status === 'failed' ? { message: outcome.message } : {}) });
      if (ok) this.log.info({ event: 'model_loaded', model: info.model, executor: info.executor, loadMs: r.durationMs, memoryBytes: r.memoryBytes }, `loaded ${info.model} on ${info.executor}`);
    }
    if (done && outcome.status === 'ok') this.answerOutputs(conn, r, done, outcome, now);
  }

  /** Answers the requests of a finished inference from its outputs, one slice each. */
  private answerOutputs(conn: WorkerConnection, r: ActionResult__Output, done: CompletedInfer, outcome: Extract<ActionOutcome, { status: 'ok' }>, now: number): void {
    const { action, executor } = done;
    const outputMs = Math.max(0, now - outcome.start - outcome.duration);
    this.notify('executed', action.model, { executor: executor.spec.id, cls: executor.spec.cls, batch: action.requests.length, durationMs: outcome.duration, outputMs });
    let slices: RequestOutputs[];
    try {
      slices = outputsByRequest(action.requests, r.outputs.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, data: t.data })), r.missingRows);
    } catch (err) {
      for (const req of action.requests) this.answerError(req, new PunctualError(Status.INTERNAL, `worker returned malformed outputs: ${String(err)}`));
      return;
    }
    const index = this.dispatcher.routes.get(executor.spec.id)?.index ?? -1;
    action.requests.forEach((req, i) => {
      const outputs = slices[i]!;
      if (outputs === 'missing') {
        const err = new PunctualError(Status.DEADLINE_EXCEEDED, `its tensors did not reach worker ${conn.name} while its batch waited for them (until the end of its start window, or the worker's --stage-wait-ms)`, 'not_staged_in_time');
        this.answerError(req, err);
        return;
      }
      const p = this.book.take(req);
      if (!p) return;
      const late = now > req.deadline;
      if (late) {
        this.stats.late++;
        p.served.counters.late++;
      }
      this.stats.ok++;
      p.served.counters.ok++;
      const totalMs = now - req.arrival;
      const queueMs = Math.max(0, outcome.start - req.arrival);
      this.notify('answered', p.served.key, { totalMs, queueMs, late, execMs: outcome.duration });
      p.resolve({ outputs, queueMs, execMs: outcome.duration, totalMs, batchSize: action.requests.length, worker: conn.name, executor: index });
    });
  }

  private answerError(req: SchedRequest, err: PunctualError): void {
    const p = this.book.take(req);
    if (p) this.fail(p, err);
  }

  private fail(p: BookedRequest, err: PunctualError): void {
    this.stats.dropped++;
    p.served.counters.failed++;
    this.notify('failed', p.served.key, statusName(err.code), err.reason ?? '', { totalMs: Math.max(0, this.clock.now() - p.arrival) });
    p.reject(err);
  }

  // ---- models -----------------------------------------------------------------------

  /** A registered model version becomes schedulable (its bytes are on the workers). */
  addModel(m: Pick<ServedModel, 'key' | 'config'>): void {
    // Its config's thread count, if any, over its profile's bestThreads (seeded before this).
    this.estimates.setThreads(m.key, m.config.threads);
    this.scheduler.addModel(m.key, m.config.batchSizes);
  }

  /** A model version stops being served: its queued requests fail, it is unloaded everywhere. */
  removeModel(key: string): void {
    this.scheduler.removeModel(key, this.clock.now());
    this.pump();
  }

  /** Loads a model on the given executors (all when omitted) where it fits without evicting; returns those asked. */
  load(key: string, executors: readonly string[] = [...this.scheduler.executors.keys()]): string[] {
    const now = this.clock.now();
    for (const id of executors) this.scheduler.warm(id, [key], now);
    this.pump();
    return [...executors];
  }

  /** Unloads a model wherever it sits idle; returns how many executors were asked. */
  unloadIdle(key: string): number {
    const n = this.scheduler.unloadIdle(key, this.clock.now());
    this.pump();
    return n;
  }

  // ---- workers (worker-membership.ts) ----------------------------------------------

  /** A worker finished its handshake and holds every model's bytes: its executors join. */
  addWorker(conn: WorkerConnection): void {
    this.members.add(conn);
    this.pump();
  }

  /**
   * A worker is shutting down: it gets no new actions; what it holds runs to
   * the end and is answered; queued requests go to other executors (or fail
   * UNAVAILABLE when no other can make them in time).
   */
  drainWorker(conn: WorkerConnection): void {
    if (this.members.drain(conn)) this.pump();
  }

  /**
   * A worker stopped answering within its liveness deadline (frozen,
   * partitioned, swamped): nothing new is planned on it and its work in
   * flight is re-planned elsewhere, until it answers again.
   */
  suspendWorker(conn: WorkerConnection, silentMs: number): void {
    if (this.members.suspend(conn, silentMs)) this.pump();
  }

  /** A set-aside worker answered again: it takes work again. */
  resumeWorker(conn: WorkerConnection): void {
    if (this.members.resume(conn)) this.pump();
  }

  /** The worker answered a ping sent at `sentAt` (controller clock): it reads its stream, which an overdue action's verdict waits for. */
  workerAnswered(conn: WorkerConnection, sentAt: number): void {
    if (conn.closed) return;
    if (this.scheduler.answered(conn.id, sentAt, this.clock.now())) this.pump();
  }

  /** A worker left (stream ended or broke): its work is re-planned or failed. */
  removeWorker(conn: WorkerConnection): void {
    if (this.members.remove(conn)) this.pump();
  }

  /** Fails everything still waiting; used at shutdown. */
  close(): void {
    this.wake.cancel();
    for (const p of this.book.takeAll()) this.fail(p, unavailable('controller is shutting down'));
    this.waiters.check();
  }

  /** What admission currently sets aside for a model version: its largest recent prediction error, ms (before the SLO cap). */
  recentError(key: string): number {
    return this.view.recentError(key);
  }

  /** Requests of one model version accepted and not yet answered (queued or running). */
  pendingFor(key: string): number {
    return this.book.pendingFor(key);
  }

  get inFlight(): number {
    return this.book.size;
  }
}
