// The one way the scheduler is driven, by the live controller (wall clock,
// one timer) and by the simulator (virtual time, an event heap) alike:
// after every event, tick until it has nothing more to decide, carrying out
// each decision as it comes; then wake at nextWakeup(), never sooner than
// MIN_WAKE_MS from now (a timer cannot usefully fire sooner, and a wakeup
// that keeps landing on `now` would spin).
import type { Decision } from './types.js';

/** The earliest a wakeup is armed after now, ms. */
export const MIN_WAKE_MS = 0.5;
/** Tick rounds per pump at most: a carried-out decision (a gone worker's action failing at once) can make more work, but not forever. */
export const MAX_TICK_ROUNDS = 8;

/** What the driver needs of a scheduler. */
export interface Drivable {
  tick(now: number): Decision[];
  nextWakeup(now: number): number | undefined;
}

export class SchedulerDriver {
  private pumping = false;

  constructor(
    private readonly sched: Drivable,
    private readonly carryOut: (d: Decision) => void,
  ) {}

  /**
   * Ticks until quiet, reading the clock before each round (a live clock
   * moves while decisions are carried out). Returns false, doing nothing,
   * when called from inside a carry-out: the outer pump goes on and arms.
   */
  pump(now: () => number): boolean {
    if (this.pumping) return false;
    this.pumping = true;
    try {
      for (let round = 0; round < MAX_TICK_ROUNDS; round++) {
        const decisions = this.sched.tick(now());
        if (decisions.length === 0) break;
        for (const d of decisions) this.carryOut(d);
      }
    } finally {
      this.pumping = false;
    }
    return true;
  }

  /** When to pump next if nothing else happens: nextWakeup, at least MIN_WAKE_MS after now; undefined when nothing is due. */
  wakeAt(now: number): number | undefined {
    const at = this.sched.nextWakeup(now);
    return at === undefined ? undefined : Math.max(at, now + MIN_WAKE_MS);
  }
}

/** The live driver's one timer: armed for the earliest wakeup asked for, re-armed only for an earlier one. */
export class WakeTimer {
  private timer: NodeJS.Timeout | undefined;
  private at = Infinity;

  constructor(private readonly fire: () => void) {}

  /** Fires at `at` (ms on the clock whose present is `now`) unless already armed for that or sooner. */
  arm(at: number | undefined, now: number): void {
    if (at === undefined) return;
    if (this.timer && this.at <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.at = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.at = Infinity;
      this.fire();
    }, at - now);
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.at = Infinity;
  }
}
