// The scheduler's vocabulary: requests in, decisions out. Times are
// milliseconds on the controller's clock.

export interface SchedRequest {
  readonly id: number;
  /** Model key, "name@version". */
  readonly model: string;
  readonly arrival: number;
  readonly deadline: number;
  /** Set when the work it was part of was lost (worker gone, action failed); a later drop is then UNAVAILABLE. */
  retried?: boolean;
  /** Set at admission: when the scheduler predicted its answer (before the reserve), to learn how wrong it was. */
  predicted?: number;
}

/** The id an executor is known by across the cluster ("w3/0"): built here only, never parsed. */
export function executorId(workerId: string, index: number): string {
  return `${workerId}/${index}`;
}

export interface ExecutorSpec {
  /** Unique across the cluster, e.g. "w3/0" (executorId). */
  readonly id: string;
  readonly workerId: string;
  /** Estimates are kept per executor class (e.g. "cpu/t1", "cuda"). */
  readonly cls: string;
  readonly memoryBudget: number;
  /**
   * Session threads of the executor. 1 (the default): loads share its one
   * timeline with inferences. n ≥ 2: LOADs and UNLOADs run on a load lane of
   * their own, beside the inferences, each on one of n threads; a model's
   * inferences run on the thread that loaded it, so they wait while that
   * thread loads another (see executor-timeline.ts).
   */
  readonly lanes?: number;
}

export type DropCode =
  /** Accepted, but can no longer finish by its deadline: never run late. */
  | 'deadline'
  /** The worker running it left or failed, and no retry can finish in time. */
  | 'unavailable'
  /** The model failed to load or run, repeatedly. */
  | 'failed';

export type Decision =
  | {
      type: 'infer';
      actionId: number;
      executor: string;
      model: string;
      requests: SchedRequest[];
      earliest: number;
      latest: number;
      expected: number;
    }
  | {
      type: 'load';
      actionId: number;
      executor: string;
      model: string;
      earliest: number;
      latest: number;
      expected: number;
      lane: number;
      /** Intra-op threads of the session (the model's own, capped by the executor's); absent: the executor's. */
      threads?: number;
    }
  | { type: 'unload'; actionId: number; executor: string; model: string; earliest: number; latest: number; expected: number; lane: number }
  | { type: 'drop'; request: SchedRequest; code: DropCode; reason: string };

export type RejectCode =
  /** The best prediction is past the deadline. */
  | 'slo_unattainable'
  /** No executor is connected. */
  | 'no_executor'
  /** No executor has the memory to hold the model. */
  | 'model_too_large'
  | 'unknown_model';

export type Admission = { ok: true; predicted: number } | { ok: false; code: RejectCode; message: string; predicted?: number };

/** How an action ended, times already on the controller's clock. */
export type ActionOutcome =
  /** start, end (and received, when the worker said when the action reached it): the controller's clock. */
  | { status: 'ok'; start: number; end: number; duration: number; memory?: number; received?: number }
  | { status: 'refused'; message: string }
  | { status: 'failed'; message: string };

/** What the scheduler needs to know about time and memory. */
export interface EstimateSource {
  /** Execution time of `model` at `batch` on executor class `cls`, ms (a high percentile). */
  exec(model: string, batch: number, cls: string): number;
  /**
   * The mean execution time, ms, never above exec(). Sequences of runs are
   * predicted with it plus a margin that grows with the square root of their
   * number, not with the number (independent runs rarely all run slow).
   * @default exec()
   */
  typical?(model: string, batch: number, cls: string): number;
  /** Load time, ms (a high percentile). */
  load(model: string, cls: string): number;
  /** The typical (mean) load time, never above load(); the difference is its spread. @default load() */
  typicalLoad?(model: string, cls: string): number;
  /** Memory a loaded instance takes, bytes. */
  memory(model: string): number;
  /** A measured execution, for learning. */
  observeExec(model: string, batch: number, cls: string, ms: number): void;
  observeLoad(model: string, cls: string, ms: number, memory?: number): void;
  /**
   * The intra-op threads the model's sessions ask for, capped by each
   * executor's (common/model-threads.ts); the figures above are then those of
   * that session's class. @default none: the executor's own
   */
  threads?(model: string): number | undefined;
}
