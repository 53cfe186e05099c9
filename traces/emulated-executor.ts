// The simulator's side of the executor contract (common/executor-contract.ts):
// one executor in virtual time. It decides with the worker's own ActionQueue
// and looks at it when the worker's executor would (an arrival, a completion,
// its one timer, armed in whole ms), so its starts and refusals are the
// worker's; only the waking differs: the simulator's event heap stands in for
// the timer and for the thread, and durations come from the simulator.
import { ActionQueue } from '../common/action-queue.js';
import type { Clock } from '../common/clock.js';
import { timerFiresAt, type ActionWindow, type ExecutorEvents, type ExecutorQueue } from '../common/executor-contract.js';

export interface EmulatedExecutorHooks<T> extends ExecutorEvents<T> {
  /** Call fire() at `atMs` (the simulator pushes the executor on its event heap). */
  schedule(atMs: number): void;
  /** How long `action` runs, ms, drawn when it starts. */
  duration(action: T): number;
  /** `action`, started at `startMs`, completed now (`endMs`). */
  onComplete(action: T, startMs: number, endMs: number): void;
}

export class EmulatedExecutor<T extends ActionWindow> implements ExecutorQueue<T> {
  private readonly queue = new ActionQueue<T>();
  private startMs = 0;
  private endMs = Infinity;
  /** The start time the timer is armed for, and when it fires (whole ms after the look that armed it). */
  private timerAt: number | undefined;
  private firesAt = Infinity;

  constructor(
    readonly id: string,
    private readonly clock: Clock,
    private readonly hooks: EmulatedExecutorHooks<T>,
  ) {}

  get current(): T | undefined {
    return this.queue.current;
  }

  get waiting(): number {
    return this.queue.size;
  }

  submit(action: T): void {
    this.queue.push(action);
    this.look();
  }

  clear(): T[] {
    const dropped = this.queue.clear();
    this.look();
    return dropped;
  }

  /**
   * One of the times this executor scheduled has come: the running action
   * completes, or the timer fires. False, doing nothing, when nothing is due
   * now (a timer since re-armed or disarmed).
   */
  fire(): boolean {
    const now = this.clock.now();
    if (this.queue.current !== undefined) {
      if (now < this.endMs) return false;
      const done = this.queue.finish()!;
      this.endMs = Infinity;
      this.hooks.onComplete(done, this.startMs, now);
    } else {
      if (now < this.firesAt) return false;
      this.timerAt = undefined;
      this.firesAt = Infinity;
    }
    this.look();
    return true;
  }

  /** What the worker's ActionRunner does on each look: decide, re-arm the timer, refuse, start. */
  private look(): void {
    const now = this.clock.now();
    const step = this.queue.poll(now);
    if (step.wakeAtMs !== this.timerAt) {
      this.timerAt = step.wakeAtMs;
      this.firesAt = step.wakeAtMs === undefined ? Infinity : timerFiresAt(step.wakeAtMs, now);
      if (step.wakeAtMs !== undefined) this.hooks.schedule(this.firesAt);
    }
    for (const action of step.refused) this.hooks.onRefuse(action, now);
    const a = step.start;
    if (a === undefined) return;
    this.startMs = now;
    this.endMs = now + this.hooks.duration(a);
    this.hooks.onStart(a, now);
    this.hooks.schedule(this.endMs);
  }
}
