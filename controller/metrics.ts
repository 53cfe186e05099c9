// The controller's Prometheus metrics: a ServingObserver that turns the
// serving core's events into prom-client counters and histograms, plus
// gauges read from the live state at scrape time (queue depth, memory,
// workers). Every metric is listed, with the question it answers, in README.md.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PredictionError } from './scheduler/estimates.js';
import type { RejectCode } from './scheduler/types.js';
import type { ServingCore } from './serving-core.js';
import type { ServingObserver } from './serving-observer.js';

/** Seconds: 0.5 ms … 10 s. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** measured / predicted. */
const RATIO_BUCKETS = [0.25, 0.5, 0.75, 0.9, 1, 1.1, 1.25, 1.5, 2, 3, 5];

/** A model key "name@version" → labels. */
function modelLabels(key: string): { model: string; version: string } {
  const at = key.lastIndexOf('@');
  return at < 0 ? { model: key, version: '' } : { model: key.slice(0, at), version: key.slice(at + 1) };
}

export class ControllerMetrics implements ServingObserver {
  readonly registry = new Registry();
  private readonly requests: Counter<'model' | 'version' | 'status'>;
  private readonly latency: Histogram<'model' | 'version'>;
  private readonly queue: Histogram<'model' | 'version'>;
  private readonly exec: Histogram<'model' | 'version' | 'executor_class'>;
  private readonly batch: Histogram<'model' | 'version'>;
  private readonly earlyRejections: Counter<'model' | 'version'>;
  private readonly rejections: Counter<'model' | 'version' | 'reason'>;
  private readonly misses: Counter<'model' | 'version' | 'kind'>;
  private readonly prediction: Histogram<'model' | 'version' | 'executor_class'>;
  private readonly loads: Counter<'model' | 'version' | 'status'>;
  private readonly loadTime: Histogram<'model' | 'version'>;
  private readonly unloads: Counter<'model' | 'version'>;
  private readonly refusedActions: Counter<'type'>;
  private readonly lostActions: Counter<'type'>;
  private readonly notAdmittedRequests: Counter<'status'>;
  private readonly busy: Counter<'executor'>;

  constructor(core: ServingCore) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const mv = ['model', 'version'] as const;
    this.requests = new Counter({ name: 'punctual_requests_total', help: 'Requests that reached admission, by model and final gRPC status', labelNames: [...mv, 'status'], registers });
    this.latency = new Histogram({ name: 'punctual_request_duration_seconds', help: 'End-to-end latency of answered requests (arrival to answer)', labelNames: mv, buckets: LATENCY_BUCKETS, registers });
    this.queue = new Histogram({ name: 'punctual_queue_duration_seconds', help: 'Time from arrival to the start of execution, answered requests', labelNames: mv, buckets: LATENCY_BUCKETS, registers });
    this.exec = new Histogram({ name: 'punctual_exec_duration_seconds', help: 'Measured execution time of INFER actions (whole batch)', labelNames: [...mv, 'executor_class'], buckets: LATENCY_BUCKETS, registers });
    this.batch = new Histogram({ name: 'punctual_batch_size', help: 'Requests per INFER action', labelNames: mv, buckets: [1, 2, 4, 8, 16, 32, 64], registers });
    this.rejections = new Counter({ name: 'punctual_admission_rejections_total', help: 'Requests rejected at arrival, by reason', labelNames: [...mv, 'reason'], registers });
    this.earlyRejections = new Counter({
      name: 'punctual_admission_early_rejections_total',
      help: "Requests rejected from their first bytes, before their tensors were read (a subset of punctual_admission_rejections_total)",
      labelNames: mv,
      registers,
    });
    this.misses = new Counter({ name: 'punctual_slo_misses_total', help: 'Accepted requests that missed their SLO: answered late, or dropped before running', labelNames: [...mv, 'kind'], registers });
    this.prediction = new Histogram({ name: 'punctual_exec_prediction_ratio', help: 'Measured / predicted execution time of INFER actions (1 = exact, > 1 = under-predicted)', labelNames: [...mv, 'executor_class'], buckets: RATIO_BUCKETS, registers });
    this.loads = new Counter({ name: 'punctual_model_loads_total', help: 'LOAD actions finished, by status', labelNames: [...mv, 'status'], registers });
    this.loadTime = new Histogram({ name: 'punctual_model_load_duration_seconds', help: 'Measured time of successful LOADs', labelNames: mv, buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers });
    this.unloads = new Counter({ name: 'punctual_model_unloads_total', help: 'UNLOAD actions sent (evictions and explicit unloads)', labelNames: mv, registers });
    this.refusedActions = new Counter({ name: 'punctual_actions_refused_total', help: 'Actions a worker refused because they could not start by their latest time', labelNames: ['type'], registers });
    this.notAdmittedRequests = new Counter({
      name: 'punctual_requests_not_admitted_total',
      help: 'Requests answered before admission (bad input, unknown model, draining), by gRPC status; no model label, since the name may be anything',
      labelNames: ['status'],
      registers,
    });
    this.lostActions = new Counter({ name: 'punctual_actions_lost_total', help: 'Actions given up on: no result long past their predicted end (their requests were retried)', labelNames: ['type'], registers });
    this.busy = new Counter({ name: 'punctual_executor_busy_seconds_total', help: 'Time each executor spent running INFER actions; rate() is its utilisation', labelNames: ['executor'], registers });

    const sched = core.view;
    new Gauge({
      name: 'punctual_queue_depth',
      help: 'Requests waiting in the model queue (accepted, not yet dispatched)',
      labelNames: mv,
      registers,
      collect() {
        this.reset();
        for (const m of core.registry.all()) this.set(modelLabels(m.key), sched.queued(m.key));
      },
    });
    new Gauge({
      name: 'punctual_admission_reserve_seconds',
      help: 'What admission sets aside per model: the largest recent error of its predictions (answers later than predicted), before the SLO cap',
      labelNames: mv,
      registers,
      collect() {
        this.reset();
        for (const m of core.registry.all()) this.set(modelLabels(m.key), core.recentError(m.key) / 1000);
      },
    });
    new Gauge({
      name: 'punctual_request_intake_seconds',
      help: 'How long requests recently took from their headers arriving to their handler running (median of the last second): the early check judges requests as of then',
      registers,
      collect() {
        this.set(core.intake.estimate(core.now()) / 1000);
      },
    });
    new Gauge({
      name: 'punctual_requests_in_flight',
      help: 'Accepted requests not yet answered (queued or running)',
      registers,
      collect() {
        this.set(core.inFlight);
      },
    });
    new Gauge({
      name: 'punctual_workers_connected',
      help: 'Workers connected to the controller',
      registers,
      collect() {
        this.set(core.workers.size);
      },
    });
    new Gauge({
      name: 'punctual_executor_memory_used_bytes',
      help: 'Memory the controller has booked on each executor for loaded and loading models',
      labelNames: ['executor', 'executor_class'],
      registers,
      collect() {
        this.reset();
        for (const e of sched.executors()) this.set({ executor: e.spec.id, executor_class: e.spec.cls }, e.memoryUsed);
      },
    });
    new Gauge({
      name: 'punctual_executor_memory_budget_bytes',
      help: 'Memory budget of each executor',
      labelNames: ['executor', 'executor_class'],
      registers,
      collect() {
        this.reset();
        for (const e of sched.executors()) this.set({ executor: e.spec.id, executor_class: e.spec.cls }, e.spec.memoryBudget);
      },
    });
    new Gauge({
      name: 'punctual_executor_models_loaded',
      help: 'Models resident (or loading) on each executor',
      labelNames: ['executor'],
      registers,
      collect() {
        this.reset();
        for (const e of sched.executors()) this.set({ executor: e.spec.id }, e.models.size);
      },
    });
  }

  rejectedEarly(model: string, n: number): void {
    this.earlyRejections.inc(modelLabels(model), n);
  }

  rejected(model: string, code: RejectCode): void {
    const l = modelLabels(model);
    this.rejections.inc({ ...l, reason: code });
    this.requests.inc({ ...l, status: code === 'no_executor' ? 'UNAVAILABLE' : code === 'unknown_model' ? 'NOT_FOUND' : 'RESOURCE_EXHAUSTED' });
  }

  answered(model: string, a: { totalMs: number; queueMs: number; late: boolean }): void {
    const l = modelLabels(model);
    this.requests.inc({ ...l, status: 'OK' });
    this.latency.observe(l, a.totalMs / 1000);
    this.queue.observe(l, a.queueMs / 1000);
    if (a.late) this.misses.inc({ ...l, kind: 'late' });
  }

  failed(model: string, status: string, reason: string): void {
    const l = modelLabels(model);
    this.requests.inc({ ...l, status });
    if (reason === 'dropped_deadline') this.misses.inc({ ...l, kind: 'dropped' });
  }

  executed(model: string, e: { executor: string; cls: string; batch: number; durationMs: number }): void {
    const l = modelLabels(model);
    this.exec.observe({ ...l, executor_class: e.cls }, e.durationMs / 1000);
    this.batch.observe(l, e.batch);
    this.busy.inc({ executor: e.executor }, e.durationMs / 1000);
  }

  loaded(model: string, e: { executor: string; ok: boolean; durationMs: number }): void {
    const l = modelLabels(model);
    this.loads.inc({ ...l, status: e.ok ? 'ok' : 'failed' });
    if (e.ok) this.loadTime.observe(l, e.durationMs / 1000);
  }

  unloaded(model: string): void {
    this.unloads.inc(modelLabels(model));
  }

  refused(_model: string, _executor: string, type: string): void {
    this.refusedActions.inc({ type });
  }

  notAdmitted(status: string): void {
    this.notAdmittedRequests.inc({ status });
  }

  lost(_model: string, _executor: string, type: string): void {
    this.lostActions.inc({ type });
  }

  predicted(e: PredictionError): void {
    if (e.predicted > 0) this.prediction.observe({ ...modelLabels(e.model), executor_class: e.cls }, e.measured / e.predicted);
  }
}
