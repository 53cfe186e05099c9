// Where a replay sends its requests. A ReplayTarget speaks one protocol over
// one transport (Punctual's own punctual.v1 over gRPC, or the Open Inference
// Protocol over gRPC or HTTP) and hides it from the replay loop, which only
// schedules arrivals and counts outcomes. Every failure of one request comes
// back as a TargetFailure that already says how it counts (rejected, late,
// error) and why (its reason), so the summary means the same whatever the
// server is.
import type { OutcomeStatus } from '../summary.js';
import type { Rand } from '../random.js';

/** How a request that was not answered with outputs counts, and why. */
export interface Failure {
  status: Exclude<OutcomeStatus, 'ok'>;
  /** The status heard: a gRPC status name ("RESOURCE_EXHAUSTED") or "HTTP_429"; "MALFORMED_RESPONSE" for an answer that could not be read. */
  code: string;
  /** Why, in one word: the server's own (Punctual's `punctual-reason`, e.g. "slo_unattainable") or one read from the status ("queue_full", "deadline"). */
  reason: string;
  message: string;
}

/** Thrown (rejected) by TargetModel.infer for one request that got no outputs. */
export class TargetFailure extends Error {
  override name = 'TargetFailure';
  constructor(readonly failure: Failure) {
    super(failure.message);
  }
}

/** A request answered with outputs. */
export interface TargetAnswer {
  /** Round trip measured by the client, ms. */
  latencyMs: number;
  /** The server's own measure (arrival → answer), ms, where the protocol reports one; "within SLO" is judged on it when present. */
  serverMs?: number;
  /** More for requests.jsonl (queue_ms, batch, …). */
  detail?: Record<string, unknown>;
}

/** One model of the target, ready to send to: its inputs are made. */
export interface TargetModel {
  /** The SLO requests get when the run names none, ms. */
  readonly defaultSloMs: number;
  /**
   * Sends request `id` (inputs are cycled by id) with its SLO and the
   * client's deadline, both ms. Rejects with a TargetFailure, never anything else.
   */
  infer(id: number, sloMs: number, deadlineMs: number): Promise<TargetAnswer>;
}

export interface ReplayTarget {
  /** What the user named, for messages and the summary ("grpc://127.0.0.1:8001"). */
  readonly url: string;
  /** protocol, transport and the like, merged into the summary's config. */
  readonly config: Record<string, unknown>;
  /** The models the server serves. Throws a clear error where it cannot tell (then the user names them with --models). */
  models(): Promise<string[]>;
  /** Reads a model's inputs from the server and makes random ones; throws a clear error for a model the server does not have. */
  prepare(model: string, rand: Rand): Promise<TargetModel>;
  /** Samples of the transport's own queueing, for the generator report; undefined where there is none. */
  waiting?(): number;
  close(): Promise<void>;
}

/** Inputs made per model and cycled: fresh random data for every request would cost the generator more than sending. */
export const INPUTS_PER_MODEL = 4;
