// The per-executor action queue: which action starts when, and which are
// refused. Pure logic (clock in, decisions out, no timers): the executor calls
// poll() whenever something changes (an action arrives, one finishes, its one
// timer fires) and acts on the decision. The worker's executor and the
// simulator's emulated one both decide with it (common/executor-contract.ts).
//
// Rules (after Clockwork): actions are kept ordered by `earliestMs` (ties in
// arrival order); at most one runs at a time; none starts before its
// `earliestMs`; one that can no longer start by its `latestMs` (now > latest)
// is refused, never run late. Refusal happens as soon as a poll sees it, even
// while another action runs: the controller learns early and can re-plan.
import type { ActionWindow } from './executor-contract.js';

/** What the executor should do now. */
export interface QueueStep<T> {
  /** Start this action now (the queue is busy until finish()). */
  start?: T;
  /** These can no longer start in time: answer COULD_NOT_START_IN_TIME. */
  refused: T[];
  /** Poll again at this time (the earliest start of the next action), if idle and something waits. */
  wakeAtMs?: number;
}

export class ActionQueue<T extends ActionWindow> {
  private readonly waiting: T[] = [];
  private running: T | undefined;

  /** Actions waiting to start (not counting the running one). */
  get size(): number {
    return this.waiting.length;
  }

  /** The action started and not yet finished, if any. */
  get current(): T | undefined {
    return this.running;
  }

  /** Queues an action; ties on earliestMs keep arrival order. */
  push(item: T): void {
    // Binary search for the first position whose earliest is greater than item's.
    let lo = 0;
    let hi = this.waiting.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.waiting[mid]!.earliestMs <= item.earliestMs) lo = mid + 1;
      else hi = mid;
    }
    this.waiting.splice(lo, 0, item);
  }

  /** Decides what happens at `now`. Starting an action marks the queue busy. */
  poll(now: number): QueueStep<T> {
    const refused: T[] = [];
    for (let i = 0; i < this.waiting.length; ) {
      if (now > this.waiting[i]!.latestMs) refused.push(...this.waiting.splice(i, 1));
      else i++;
    }
    if (this.running !== undefined) return { refused };
    const head = this.waiting[0];
    if (head === undefined) return { refused };
    if (head.earliestMs <= now) {
      this.waiting.shift();
      this.running = head;
      return { start: head, refused };
    }
    return { refused, wakeAtMs: head.earliestMs };
  }

  /** The running action is done; the next poll may start another. */
  finish(): T | undefined {
    const done = this.running;
    this.running = undefined;
    return done;
  }

  /** Drops every waiting action (the running one, if any, stays current) and returns them. */
  clear(): T[] {
    return this.waiting.splice(0, this.waiting.length);
  }
}
