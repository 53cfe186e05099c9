// What the dashboard needs that nothing else keeps: per model, the last
// minute second by second (answers within and past their SLO, rejections by
// reason, failures) and the latencies of the last answers, for a rolling
// attainment, goodput and p50/p99; per executor, the time it spent running
// inferences each second (utilisation). A ServingObserver like the metrics
// (controller/metrics.ts), whose Prometheus histograms are cumulative and
// bucketed, so they cannot give "p99 over the last 10 s". Totals since start
// are not kept here: the registry's counters have them.
//
// Bounded: one entry per model that had traffic and per executor that ran,
// each a fixed ring (rolling-window.ts); entries of models unregistered and
// executors gone are dropped by prune(), which every snapshot calls.
import type { Clock } from '../../common/clock.js';
import type { RejectCode } from '../scheduler/types.js';
import type { ServingObserver } from '../serving-observer.js';
import { RecentLatencies, SecondCounts, windowSpanMs } from './rolling-window.js';

/** Seconds of history kept (the sparklines). */
export const SERIES_SECONDS = 60;
/** Seconds the rolling figures (attainment, goodput, percentiles, utilisation) cover. */
export const WINDOW_SECONDS = 10;
/** Latencies kept per model at most (inside the window). */
export const MAX_LATENCY_SAMPLES = 1024;
/** Distinct failure reasons counted per model; others are counted as "other". */
const MAX_FAILURE_REASONS = 16;

/** Every rejection code, in the order the page shows them. The Record makes a new code a type error here. */
const REJECT_FIELD: Record<RejectCode, number> = { slo_unattainable: 4, no_executor: 5, model_too_large: 6, unknown_model: 7 };
export const REJECT_CODES = Object.keys(REJECT_FIELD) as RejectCode[];

/** Fields of a model's per-second counts. */
export const F = { within: 0, late: 1, failed: 2, rejected: 3 } as const;
const MODEL_FIELDS = 4 + REJECT_CODES.length;

/** A model's last minute. */
export class ModelWindow {
  readonly counts = new SecondCounts(SERIES_SECONDS, MODEL_FIELDS);
  readonly latency = new RecentLatencies(WINDOW_SECONDS * 1000, MAX_LATENCY_SAMPLES);
  /** Since start, by reason (the registry's counters have only the total). */
  readonly rejectedBy = new Map<RejectCode, number>();
  /** Since start, by reason ("dropped_deadline", …), at most MAX_FAILURE_REASONS. */
  readonly failedBy = new Map<string, number>();

  /** Requests of the last `last` seconds that reached admission, and how they ended. */
  window(now: number, last = WINDOW_SECONDS): { within: number; late: number; failed: number; rejected: number; rejectedBy: Partial<Record<RejectCode, number>> } {
    const rejectedBy: Partial<Record<RejectCode, number>> = {};
    for (const code of REJECT_CODES) {
      const n = this.counts.sum(now, REJECT_FIELD[code], last);
      if (n > 0) rejectedBy[code] = n;
    }
    return {
      within: this.counts.sum(now, F.within, last),
      late: this.counts.sum(now, F.late, last),
      failed: this.counts.sum(now, F.failed, last),
      rejected: this.counts.sum(now, F.rejected, last),
      rejectedBy,
    };
  }
}

export class DashboardStats implements ServingObserver {
  private readonly models = new Map<string, ModelWindow>();
  private readonly busy = new Map<string, SecondCounts>();
  private readonly notAdmittedBy = new Map<string, number>();
  private readonly notAdmittedSeries = new SecondCounts(SERIES_SECONDS, 1);
  /** When it started counting: a window reaching back before it is only as long as it has run. */
  readonly since: number;

  constructor(private readonly clock: Clock) {
    this.since = clock.now();
  }

  /** The model's window, or undefined while it has had no traffic. */
  model(key: string): ModelWindow | undefined {
    return this.models.get(key);
  }

  /** An executor's inference time per second, or undefined while it has run nothing. */
  executorBusy(id: string): SecondCounts | undefined {
    return this.busy.get(id);
  }

  /** Requests answered before admission (bad input, unknown model, draining), by status, since start. */
  notAdmittedTotals(): ReadonlyMap<string, number> {
    return this.notAdmittedBy;
  }

  /** Requests answered before admission in the last `last` seconds. */
  notAdmittedRecent(now: number, last = WINDOW_SECONDS): number {
    return this.notAdmittedSeries.sum(now, 0, last);
  }

  /** How long a window of `last` seconds ending now really covers, ms. */
  spanMs(now: number, last = WINDOW_SECONDS): number {
    return windowSpanMs(now, last, this.since);
  }

  /** Forgets models and executors that no longer exist. */
  prune(model: (key: string) => boolean, executor: (id: string) => boolean): void {
    for (const key of this.models.keys()) if (!model(key)) this.models.delete(key);
    for (const id of this.busy.keys()) if (!executor(id)) this.busy.delete(id);
  }

  private of(key: string): ModelWindow {
    let w = this.models.get(key);
    if (!w) {
      w = new ModelWindow();
      this.models.set(key, w);
    }
    return w;
  }

  // ---- ServingObserver ----------------------------------------------------------

  notAdmitted(status: string): void {
    this.notAdmittedBy.set(status, (this.notAdmittedBy.get(status) ?? 0) + 1);
    this.notAdmittedSeries.add(this.clock.now(), 0);
  }

  rejected(model: string, code: RejectCode): void {
    const w = this.of(model);
    const now = this.clock.now();
    w.counts.add(now, F.rejected);
    w.counts.add(now, REJECT_FIELD[code]);
    w.rejectedBy.set(code, (w.rejectedBy.get(code) ?? 0) + 1);
  }

  answered(model: string, a: { totalMs: number; queueMs: number; late: boolean }): void {
    const w = this.of(model);
    const now = this.clock.now();
    w.counts.add(now, a.late ? F.late : F.within);
    w.latency.add(now, a.totalMs);
  }

  failed(model: string, _status: string, reason: string): void {
    const w = this.of(model);
    w.counts.add(this.clock.now(), F.failed);
    const r = w.failedBy.has(reason) || w.failedBy.size < MAX_FAILURE_REASONS - 1 ? reason : 'other';
    w.failedBy.set(r, (w.failedBy.get(r) ?? 0) + 1);
  }

  executed(_model: string, e: { executor: string; cls: string; batch: number; durationMs: number }): void {
    let c = this.busy.get(e.executor);
    if (!c) {
      c = new SecondCounts(SERIES_SECONDS, 1);
      this.busy.set(e.executor, c);
    }
    c.add(this.clock.now(), 0, e.durationMs);
  }
}
