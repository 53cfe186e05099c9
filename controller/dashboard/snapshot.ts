// The dashboard's JSON: what the page at / shows, built from the serving
// core's state at one moment. It reads the same functions `punctual status
// --json` does (admin-status.ts: the model summary, each model's info, the
// workers with their executors) and adds the rolling figures that only the
// dashboard keeps (dashboard-stats.ts). No side effect but pruning the stats
// of models and executors that are gone.
//
// Bounded for thousands of models: at most `maxModels` rows (default 100),
// the busiest of the last window when there are more (shown in key order so
// rows do not jump about), each executor's holdings listed up to
// MAX_HELD_LISTED names with a count; names a client chose (worker names) clipped.
import { clipped } from '../../common/bounded-text.js';
import { buildClusterStatus, buildModelInfo } from '../admin-status.js';
import type { ServedModel } from '../model-registry.js';
import type { Estimates } from '../scheduler/estimates.js';
import { executorId, type RejectCode } from '../scheduler/types.js';
import type { ServingCore } from '../serving-core.js';
import { DashboardStats, F, SERIES_SECONDS, WINDOW_SECONDS } from './dashboard-stats.js';

/** Rows at most, by default. */
export const DEFAULT_MAX_MODELS = 100;
/** Model names listed per executor at most (the rest as a count). */
export const MAX_HELD_LISTED = 32;
/** Longest worker name shown (it is whatever `punctual worker --name` was given). */
const MAX_NAME_CHARS = 80;

/** Requests of the window (WINDOW_SECONDS) that reached admission, and how they ended. */
export interface WindowFigures {
  /** Requests that reached admission: within + late + failed + rejected. */
  requests: number;
  /** Answered within their SLO. */
  within: number;
  /** Answered after their deadline. */
  late: number;
  /** Accepted, then failed (dropped before running, worker gone, …). */
  failed: number;
  /** Rejected at arrival. */
  rejected: number;
  /** Within their SLO / all that reached admission; null with none. */
  attainment: number | null;
  /** Answers within their SLO per second. */
  goodputRps: number;
}

export interface DashboardModel {
  key: string;
  name: string;
  version: number;
  /** The model's default SLO (requests may carry their own). */
  sloMs: number;
  maxBatch: number;
  /** Waiting in its queue now. */
  queued: number;
  /** Executors where it is loaded. */
  loadedOn: string[];
  /** Executors where a load of it is in flight. */
  loadingOn: string[];
  /** What admission sets aside for it now (its recent prediction error). */
  reserveMs: number;
  /** Since the controller started (the registry's counters). */
  total: { ok: number; late: number; rejected: number; failed: number; rejectedBy: Partial<Record<RejectCode, number>>; failedBy: Record<string, number> };
  window: WindowFigures & {
    rejectedBy: Partial<Record<RejectCode, number>>;
    /** Of the answers in the window (at most the last 1,024); null with none. */
    p50Ms: number | null;
    p99Ms: number | null;
  };
  /** Per second over the last SERIES_SECONDS, oldest first. */
  series: { within: number[]; rejected: number[]; late: number[] };
}

export interface DashboardExecutor {
  id: string;
  index: number;
  device: string;
  executorClass: string;
  threads: number;
  memoryUsedBytes: number;
  memoryBudgetBytes: number;
  /** Models loaded or loading here (at most MAX_HELD_LISTED), with their state. */
  holds: { model: string; state: 'loaded' | 'loading' }[];
  /** How many it holds in all. */
  heldCount: number;
  /** Share of the window spent running inferences, 0..1. */
  utilisation: number;
  /** Utilisation per second over the last SERIES_SECONDS, oldest first. */
  utilisationSeries: number[];
  bookedAheadMs: number;
  suspended: boolean;
}

export interface DashboardWorker {
  id: string;
  name: string;
  draining: boolean;
  unresponsive: boolean;
  executors: DashboardExecutor[];
}

export interface DashboardSnapshot {
  uptimeS: number;
  policy: string;
  draining: boolean;
  /** Accepted requests not yet answered. */
  inFlight: number;
  windowS: number;
  seriesS: number;
  summary: {
    models: number;
    loaded: number;
    queued: number;
    workers: number;
    executors: number;
    requestsOk: number;
    requestsRejected: number;
    requestsFailed: number;
    /** Answered before admission since start (bad input, unknown model, draining), by status. */
    notAdmitted: Record<string, number>;
  };
  /** Every model's requests of the window together. */
  window: WindowFigures & { notAdmitted: number };
  /** How many models the rows below leave out (more than maxModels). */
  modelsHidden: number;
  models: DashboardModel[];
  workers: DashboardWorker[];
}

export interface SnapshotOptions {
  /** @default DEFAULT_MAX_MODELS */
  maxModels?: number;
}

function figures(w: { within: number; late: number; failed: number; rejected: number }, spanMs: number): WindowFigures {
  const requests = w.within + w.late + w.failed + w.rejected;
  return {
    requests,
    within: w.within,
    late: w.late,
    failed: w.failed,
    rejected: w.rejected,
    attainment: requests > 0 ? w.within / requests : null,
    goodputRps: spanMs > 0 ? (w.within * 1000) / spanMs : 0,
  };
}

/** The rows shown: every model when they fit, else the busiest of the window (then the most queued); in key order either way. */
function rowsOf(core: ServingCore, stats: DashboardStats, now: number, max: number): ServedModel[] {
  const all = core.registry.all();
  if (all.length <= max) return all;
  const activity = (m: ServedModel): number => {
    const w = stats.model(m.key)?.window(now);
    return w ? w.within + w.late + w.failed + w.rejected : 0;
  };
  const ranked = all.map((m) => ({ m, a: activity(m), q: core.view.queued(m.key) }));
  ranked.sort((x, y) => y.a - x.a || y.q - x.q || (x.m.key < y.m.key ? -1 : 1));
  return ranked
    .slice(0, max)
    .map((r) => r.m)
    .sort((x, y) => (x.key < y.key ? -1 : 1));
}

function modelRow(m: ServedModel, core: ServingCore, estimates: Estimates, stats: DashboardStats, now: number, spanMs: number): DashboardModel {
  const info = buildModelInfo(m, core, estimates, { brief: true });
  const res = core.view.residency(m.key);
  const mw = stats.model(m.key);
  const w = mw?.window(now) ?? { within: 0, late: 0, failed: 0, rejected: 0, rejectedBy: {} };
  const q = mw?.latency.quantiles(now);
  const zeros = (): number[] => new Array<number>(SERIES_SECONDS).fill(0);
  return {
    key: m.key,
    name: m.config.name,
    version: m.config.version,
    sloMs: m.config.defaultSloMs,
    maxBatch: m.config.maxBatch,
    queued: Number(info.queued ?? 0),
    loadedOn: res.loaded,
    loadingOn: (info.loadedOn ?? []).filter((id) => !res.loaded.includes(id)),
    reserveMs: Number(info.admissionReserveMs ?? 0),
    total: {
      ok: m.counters.ok,
      late: m.counters.late,
      rejected: m.counters.rejected,
      failed: m.counters.failed,
      rejectedBy: Object.fromEntries(mw?.rejectedBy ?? []),
      failedBy: Object.fromEntries(mw?.failedBy ?? []),
    },
    window: { ...figures(w, spanMs), rejectedBy: w.rejectedBy, p50Ms: q?.p50 ?? null, p99Ms: q?.p99 ?? null },
    series: {
      within: mw?.counts.series(now, F.within) ?? zeros(),
      rejected: mw?.counts.series(now, F.rejected) ?? zeros(),
      late: mw?.counts.series(now, F.late) ?? zeros(),
    },
  };
}

/** The dashboard's state now. */
export function buildDashboardSnapshot(core: ServingCore, estimates: Estimates, stats: DashboardStats, startedAt: number, opts: SnapshotOptions = {}): DashboardSnapshot {
  const now = core.now();
  stats.prune(
    (key) => core.registry.get(key) !== undefined,
    (id) => core.view.executor(id) !== undefined,
  );
  const spanMs = stats.spanMs(now);
  // A page of one brief model: what is wanted of it is the summary of all and the workers.
  const status = buildClusterStatus(core, estimates, now, startedAt, { pageSize: 1, brief: true });
  const rows = rowsOf(core, stats, now, opts.maxModels ?? DEFAULT_MAX_MODELS);

  const total = { within: 0, late: 0, failed: 0, rejected: 0 };
  for (const m of core.registry.all()) {
    const w = stats.model(m.key)?.window(now);
    if (!w) continue;
    total.within += w.within;
    total.late += w.late;
    total.failed += w.failed;
    total.rejected += w.rejected;
  }

  const workers: DashboardWorker[] = (status.workers ?? []).map((w) => ({
    id: String(w.id ?? ''),
    name: clipped(String(w.name ?? ''), MAX_NAME_CHARS),
    draining: w.draining ?? false,
    unresponsive: w.unresponsive ?? false,
    executors: (w.executors ?? []).map((e): DashboardExecutor => {
      const id = executorId(String(w.id ?? ''), e.index ?? 0);
      const held = core.view.executor(id)?.models ?? new Map();
      const holds = [...held.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .slice(0, MAX_HELD_LISTED)
        .map(([model, r]) => ({ model, state: r.state }));
      const busy = stats.executorBusy(id);
      const util = (ms: number, span: number): number => (span > 0 ? Math.min(1, ms / span) : 0);
      return {
        id,
        index: e.index ?? 0,
        device: String(e.device ?? ''),
        executorClass: String(e.executorClass ?? ''),
        threads: e.threads ?? 0,
        memoryUsedBytes: Number(e.memoryUsedBytes ?? 0),
        memoryBudgetBytes: Number(e.memoryBudgetBytes ?? 0),
        holds,
        heldCount: held.size,
        utilisation: util(busy?.sum(now, 0, WINDOW_SECONDS) ?? 0, spanMs),
        utilisationSeries: (busy?.series(now, 0) ?? new Array<number>(SERIES_SECONDS).fill(0)).map((ms) => Math.min(1, ms / 1000)),
        bookedAheadMs: Number(e.bookedAheadMs ?? 0),
        suspended: e.suspended ?? false,
      };
    }),
  }));

  const summary = status.modelSummary ?? {};
  return {
    uptimeS: Number(status.uptimeS ?? 0),
    policy: String(status.policy ?? ''),
    draining: core.draining,
    inFlight: core.inFlight,
    windowS: WINDOW_SECONDS,
    seriesS: SERIES_SECONDS,
    summary: {
      models: Number(summary.models ?? 0),
      loaded: Number(summary.loaded ?? 0),
      queued: Number(summary.queued ?? 0),
      workers: workers.length,
      executors: workers.reduce((n, w) => n + w.executors.length, 0),
      requestsOk: Number(summary.requestsOk ?? 0),
      requestsRejected: Number(summary.requestsRejected ?? 0),
      requestsFailed: Number(summary.requestsFailed ?? 0),
      notAdmitted: Object.fromEntries(stats.notAdmittedTotals()),
    },
    window: { ...figures(total, spanMs), notAdmitted: stats.notAdmittedRecent(now) },
    modelsHidden: core.registry.size - rows.length,
    models: rows.map((m) => modelRow(m, core, estimates, stats, now, spanMs)),
    workers,
  };
}
