// Scheduling policies behind one seam. 'punctual' is the design: admission at
// arrival, deadline-ordered dispatch, batches that finish by the earliest
// deadline, hopeless requests dropped, never run late. 'fifo' is the baseline
// a plain serving stack gives: every request accepted, the oldest queued
// request goes first, batches sized for throughput only, nothing dropped for
// its deadline (so overload turns into queueing delay for everyone).

export const POLICIES = ['punctual', 'fifo'] as const;
export type Policy = (typeof POLICIES)[number];

export function isPolicy(s: string): s is Policy {
  return (POLICIES as readonly string[]).includes(s);
}

/**
 * A fifo action's `latest`: far enough that a worker never refuses it (the
 * baseline has no deadline awareness), finite so it survives the wire.
 */
export const FIFO_WINDOW_MS = 3_600_000;
