// What an action costs an executor beyond its run. A worker's executor does
// more per action than session.run: it takes the action off its stream,
// hands the inputs to its thread, takes the outputs back and answers. For
// det that is a few percent of a 10 ms run; for a model that runs in 30 µs it
// is most of the cycle (0.1–0.4 ms through a real worker), and a timeline
// that books such actions at their run time alone plans five to ten times
// what the executor can do: admission admits it all, the worker falls behind
// its windows, and overload ends in refusals and DEADLINE_EXCEEDED instead of
// rejections at arrival.
//
// Each INFER result says when the worker received it, started it and ended
// it, and how long its run took. When the action was already there as the one
// before it ended (back to back), everything between that end and this one
// beyond the run is the executor's own cost per action; otherwise the cost is
// from its arrival (or its window's opening) to its start, plus the time
// around its run. The scheduler books every action at its run's estimate
// plus the median of these costs on its executor class (state.ts exec(),
// typical()). The median of recent samples, so that one pause (a GC, a busy
// machine) does not shut admission; samples older than COST_MAX_AGE_MS
// expire, so a class that stopped running actions is not held to an old cost.
//
// The way to the executor is not booked here. Measured (a result says when
// its action reached the worker), it was 10-60 ms at the median on two busy
// cores with 16 emulated workers, and admitting with it turned most requests
// away on a machine that could serve them (643 of 2,000 tiny requests a
// second served, 4,678 of 8,000 rejected; without it, in the next run, 2,978
// of 3,000 served): that delay is the machine's, shared by every process on
// it, and rejecting does not shorten it. What made it
// seconds long was each stream writing one message per event-loop turn,
// mended where it arose (common/coalesced-writes.ts).
//
// A simulator's results report no arrival and a run as long as the action:
// their cost is 0 and its predictions are unchanged.
import { SlidingQuantile } from './recent-samples.js';
import type { ActionOutcome } from './types.js';

/** Costs kept per executor class. */
const COST_SAMPLES = 200;
/** How long a cost sample counts, ms. */
export const COST_MAX_AGE_MS = 10_000;

type OkOutcome = Extract<ActionOutcome, { status: 'ok' }>;

/**
 * The executor's cost of one INFER beyond its run, ms: from the later of the
 * previous action's end, its arrival and its window's opening (`earliest`) to
 * its end, less its run. Without an arrival time (a simulator), only the
 * time around its run. Never negative.
 */
export function actionCost(outcome: OkOutcome, earliest: number, previousEnd: number | undefined): number {
  const around = outcome.end - outcome.start - outcome.duration;
  if (outcome.received === undefined) return Math.max(0, around);
  const ready = Math.max(outcome.received, earliest, previousEnd ?? -Infinity);
  return Math.max(0, around + Math.max(0, outcome.start - ready));
}

/** The recent per-action cost of each executor class. */
export class ActionCosts {
  private readonly byClass = new Map<string, SlidingQuantile>();

  observe(cls: string, ms: number, now: number): void {
    let q = this.byClass.get(cls);
    if (!q) this.byClass.set(cls, (q = new SlidingQuantile(COST_SAMPLES, COST_MAX_AGE_MS, 0.5)));
    q.add(ms, now);
  }

  /** The median cost of an action on class cls at `now`, ms (0 with no recent sample). */
  of(cls: string, now: number): number {
    return this.byClass.get(cls)?.value(now) ?? 0;
  }
}
