// Scheduling policies behind one seam, the way grpc-js registers load
// balancers and Clockwork keeps its schedulers behind one `Scheduler`: the
// rest of the scheduler (admission's prediction, load planning, outcomes)
// is shared, and a policy decides only what differs. 'punctual' is the
// design: admission at arrival, deadline-ordered dispatch, batches that
// finish by the earliest deadline, hopeless requests dropped, never run late
// (punctual-policy.ts). 'fifo' is the baseline a plain serving stack gives:
// every request accepted, the oldest queued request goes first, batches
// sized for throughput only, nothing dropped for its deadline, so overload
// turns into queueing delay for everyone (fifo-policy.ts). policies.ts
// names them.
import type { ExecutorTimeline } from './executor-timeline.js';
import type { ModelState, SchedulerState } from './state.js';

export const POLICIES = ['punctual', 'fifo'] as const;
export type Policy = (typeof POLICIES)[number];

/** The policy unless told otherwise. */
export const DEFAULT_POLICY: Policy = 'punctual';

export function isPolicy(s: string): s is Policy {
  return (POLICIES as readonly string[]).includes(s);
}

/**
 * A fifo action's `latest`: far enough that a worker never refuses it (the
 * baseline has no deadline awareness), finite so it survives the wire.
 */
export const FIFO_WINDOW_MS = 3_600_000;

/** What a scheduling policy decides; everything else is shared. */
export interface SchedulingPolicy {
  readonly name: Policy;
  /** Whether admission turns away a request predicted to answer past its deadline. */
  readonly rejectsPastDeadline: boolean;
  /** First thing in a tick: drops queued requests that can no longer make their deadline. */
  dropHopeless(st: SchedulerState, now: number): void;
  /** When the head of m's queue becomes hopeless (dropHopeless would drop it), if ever. */
  hopelessAt(st: SchedulerState, m: ModelState): number | undefined;
  /** Plans one action on e's next free slot if one of its models should run there; false when none. */
  dispatchOne(st: SchedulerState, e: ExecutorTimeline, now: number): boolean;
}
