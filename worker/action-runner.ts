// The worker's side of the executor contract (common/executor-contract.ts):
// the loop that drives one executor's ActionQueue on a live clock. It looks at
// the queue when an action arrives, when the running one finishes and when
// its one timer fires, and hands the decisions to its owner (worker/executor.ts
// runs the action on its thread, answers refusals). No threads or
// onnxruntime here, and the timers are injected, so the conformance suite
// drives it on a manual clock.
import { ActionQueue } from '../common/action-queue.js';
import type { Clock } from '../common/clock.js';
import { timerDelayMs, type ActionWindow, type ExecutorEvents, type ExecutorQueue } from '../common/executor-contract.js';

/** How the runner arms its one timer. @default Node's setTimeout / clearTimeout */
export interface RunnerTimers<H = unknown> {
  set(fire: () => void, delayMs: number): H;
  clear(handle: H): void;
}

const nodeTimers: RunnerTimers<NodeJS.Timeout> = {
  set: (fire, delayMs) => setTimeout(fire, delayMs),
  clear: (handle) => clearTimeout(handle),
};

export class ActionRunner<T extends ActionWindow> implements ExecutorQueue<T> {
  private readonly queue = new ActionQueue<T>();
  private timer: { handle: unknown } | undefined;
  /** The start time the timer is armed for (not the whole-ms time it fires at). */
  private timerAt: number | undefined;
  private closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly events: ExecutorEvents<T>,
    private readonly timers: RunnerTimers = nodeTimers as RunnerTimers,
  ) {}

  get current(): T | undefined {
    return this.queue.current;
  }

  get waiting(): number {
    return this.queue.size;
  }

  submit(action: T): void {
    if (this.closed) return;
    this.queue.push(action);
    this.pump();
  }

  /** The running action is done: `report` it first, then look at the queue (the next may start). */
  finish(report?: (done: T) => void): T | undefined {
    const done = this.queue.finish();
    if (done !== undefined) report?.(done);
    this.pump();
    return done;
  }

  clear(): T[] {
    const dropped = this.queue.clear();
    this.pump(); // nothing waits: disarms the timer
    return dropped;
  }

  /** Drops what waits and disarms the timer; from now on nothing starts, and finish() only clears the running one. */
  close(): T[] {
    this.closed = true;
    const dropped = this.queue.clear();
    this.setTimer(undefined);
    return dropped;
  }

  /** Acts on the queue's decision now, and arms the timer for the next one. */
  private pump(): void {
    if (this.closed) return;
    const now = this.clock.now();
    const step = this.queue.poll(now);
    this.setTimer(step.wakeAtMs);
    for (const action of step.refused) this.events.onRefuse(action, now);
    // Last, because a start may finish synchronously and pump again.
    if (step.start) this.events.onStart(step.start, now);
  }

  private setTimer(at: number | undefined): void {
    if (at === this.timerAt) return;
    if (this.timer) this.timers.clear(this.timer.handle);
    this.timer = undefined;
    this.timerAt = at;
    if (at === undefined) return;
    // A timer may fire a hair early (it counts whole ms); the queue then
    // simply asks to be woken again, so nothing starts before its earliest.
    const handle = this.timers.set(() => {
      this.timer = undefined;
      this.timerAt = undefined;
      this.pump();
    }, timerDelayMs(at, this.clock.now()));
    this.timer = { handle };
  }
}
