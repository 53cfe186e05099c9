// What the serving core tells the outside world as it works: the narrow
// interface metrics (controller/metrics.ts) and anything else watching the
// core (health, logs of significant events) hang off, so prom-client and
// friends stay out of the core. Every method is optional; times are ms.
import type { PredictionError } from './scheduler/estimates.js';
import type { RejectCode } from './scheduler/types.js';

export interface ServingObserver {
  /** Answered before admission: a bad input, an unknown model, a draining controller. `status` is the gRPC status name. */
  notAdmitted?(status: string): void;
  /** Rejected at arrival by admission control; `waitedMs`: from its arrival to the verdict. */
  rejected?(model: string, code: RejectCode, e?: { waitedMs: number }): void;
  /** Of those, n were rejected from the request's first bytes, before its tensors were read (also told as `rejected`). */
  rejectedEarly?(model: string, n: number): void;
  /** Answered with outputs. `late`: the answer came after the deadline; `execMs`: the run of the action it was in. */
  answered?(model: string, a: { totalMs: number; queueMs: number; late: boolean; execMs: number }): void;
  /** Accepted, then failed: `status` is the gRPC status name, `reason` e.g. "dropped_deadline"; `totalMs`: from its arrival. */
  failed?(model: string, status: string, reason: string, e?: { totalMs: number }): void;
  /** An INFER action finished on an executor; `outputMs`: from its start on the worker to its answers, less the run. */
  executed?(model: string, e: { executor: string; cls: string; batch: number; durationMs: number; outputMs: number }): void;
  /** A LOAD finished (ok) or not. */
  loaded?(model: string, e: { executor: string; ok: boolean; durationMs: number; message?: string }): void;
  /** An UNLOAD was sent (eviction or explicit). */
  unloaded?(model: string, executor: string): void;
  /** No result came for an action long past its predicted end: it was given up on (its requests retried). */
  lost?(model: string, executor: string, type: string): void;
  /** The worker refused an action it could not start by its `latest`. */
  refused?(model: string, executor: string, type: string): void;
  /** A measured execution beside what the estimates predicted for it. */
  predicted?(e: PredictionError): void;
  /** Workers connected changed. */
  workersChanged?(connected: number): void;
}
