// Redial delays for the worker's stream to the controller: exponential from
// about 200 ms to 5 s, with jitter so that a restarted controller is not hit
// by every worker at the same instant. Pure: the caller supplies randomness.

export interface BackoffPolicy {
  /** Delay before the first redial. @default 200 */
  initialMs: number;
  /** Largest delay. @default 5000 */
  maxMs: number;
  /** Growth per failed attempt. @default 2 */
  factor: number;
  /** Fraction of the delay that is random: 0.2 gives delay × [0.8, 1.2). @default 0.2 */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 200, maxMs: 5_000, factor: 2, jitter: 0.2 };

/**
 * The delay before redial number `attempt` (0 for the first after a loss).
 * `random` is a number in [0, 1), e.g. Math.random().
 */
export function backoffDelay(attempt: number, random: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const base = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.max(0, attempt));
  const jittered = base * (1 - policy.jitter + 2 * policy.jitter * random);
  return Math.min(policy.maxMs, jittered);
}
