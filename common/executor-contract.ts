// The executor contract: what one executor does with the actions the
// scheduler sends it. The worker runs it for real (worker/action-runner.ts,
// under worker/executor.ts); the simulator emulates it in virtual time
// (traces/emulated-executor.ts). Both decide with the same ActionQueue
// (common/action-queue.ts) and differ only in how they are woken, so one
// conformance suite (test/executor-conformance.test.ts) runs the same action
// streams through both and requires the same starts, refusals and
// completions, at the same times, in the same order.
//
// The rules (after Clockwork):
// - Waiting actions are ordered by earliestMs, ties in arrival order; one runs
//   at a time; none starts before its earliestMs.
// - The executor looks at its queue when an action arrives, when the running
//   one completes, and when its one timer fires. The timer is armed only while
//   idle, for the earliest start of the first waiting action, in whole
//   milliseconds from the look that armed it (a Node timer's granularity; it
//   never fires early), and re-armed only when that time changes.
// - At each look every waiting action with now > latestMs is refused
//   (COULD_NOT_START_IN_TIME), even while another runs, in queue order and
//   before the one start that look may make. Nothing runs late.
// - clear() (the controller is gone) drops the waiting actions unanswered;
//   the running one still completes.
//
// Lanes: an executor with several session threads (ExecutorInfo.lanes >= 2,
// protos/punctual/v1/worker.proto) keeps two such queues, each under these
// rules on its own and both running at once: one for its INFERs, one for its
// LOADs and UNLOADs. A model's INFERs run on the thread that loaded it, so one
// started while that thread is still busy with a LOAD or UNLOAD waits for it
// (the controller avoids sending one; the worker counts them). With one lane,
// one queue takes every action, as above.

/** The start window of an action, ms on the executor's clock. */
export interface ActionWindow {
  earliestMs: number;
  latestMs: number;
}

/** What an executor reports about the actions it was given, as it happens. */
export interface ExecutorEvents<T> {
  /** `action` starts at `atMs`; the executor is busy until it completes. */
  onStart(action: T, atMs: number): void;
  /** `action` can no longer start by its latestMs: it is answered COULD_NOT_START_IN_TIME at `atMs`. */
  onRefuse(action: T, atMs: number): void;
}

/** An executor's action queue, as its callers see it: actions go in at the time of its clock, events come out. */
export interface ExecutorQueue<T extends ActionWindow> {
  /** An action arrives now. */
  submit(action: T): void;
  /** Drops the waiting actions unanswered and returns them; the running one, if any, still completes. */
  clear(): T[];
  /** The action started and not yet completed. */
  readonly current: T | undefined;
  /** Actions waiting to start. */
  readonly waiting: number;
}

/** When a timer armed at `nowMs` for `atMs` fires: in whole milliseconds, never early. */
export function timerFiresAt(atMs: number, nowMs: number): number {
  return nowMs + timerDelayMs(atMs, nowMs);
}

/** The delay a timer armed at `nowMs` for `atMs` is given. */
export function timerDelayMs(atMs: number, nowMs: number): number {
  return Math.max(0, Math.ceil(atMs - nowMs));
}
