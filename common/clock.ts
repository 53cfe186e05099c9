// Time, injected. Every process reads one Clock; tests use ManualClock.
//
// Times are milliseconds as floats. The system clock is
// performance.timeOrigin + performance.now(): monotonic within a process and
// close to wall time, so two processes on one machine start with a small
// offset, which the controller still measures rather than assumes.

export interface Clock {
  /** Monotonic milliseconds. */
  now(): number;
}

export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
};

/** A clock that moves only when told to. */
export class ManualClock implements Clock {
  constructor(private t = 0) {}
  now(): number {
    return this.t;
  }
  set(t: number): void {
    this.t = t;
  }
  advance(ms: number): number {
    this.t += ms;
    return this.t;
  }
}
