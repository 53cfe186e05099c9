// Whether a worker is still answering: the controller pings every worker
// often (a few times a second) and hears pongs, results and acks back; a
// worker that has sent nothing for longer than its liveness deadline is taken
// as frozen or cut off and set aside until it is heard again. Pure: time in,
// verdicts out.
//
// A check that itself runs late (the controller's own event loop stalled:
// a long garbage collection, a swamped machine) judges nothing: the workers'
// messages of that time may still sit unread in the sockets, and a stalled
// controller must not set every worker aside at once.

export interface LivenessOptions {
  /** A worker silent this long is set aside, ms. @default 1000 */
  deadlineMs?: number;
  /** How often check() is meant to run, ms: a check later than twice this is skipped. @default 250 */
  checkEveryMs?: number;
}

export type LivenessVerdict =
  /** Past the deadline, and not yet reported: set it aside. */
  | { type: 'silent'; silentMs: number }
  /** Nothing to do. */
  | { type: 'fine' };

export class Liveness {
  private lastHeard: number;
  private lastCheck: number;
  private reported = false;
  readonly deadlineMs: number;
  private readonly checkEveryMs: number;

  constructor(now: number, opts: LivenessOptions = {}) {
    this.deadlineMs = opts.deadlineMs ?? 1000;
    this.checkEveryMs = opts.checkEveryMs ?? 250;
    this.lastHeard = now;
    this.lastCheck = now;
  }

  /** Something arrived from the worker. True when it had been reported silent (it is back). */
  heard(now: number): boolean {
    this.lastHeard = Math.max(this.lastHeard, now);
    const wasSilent = this.reported;
    this.reported = false;
    return wasSilent;
  }

  /** Whether the worker has become silent, judged at `now`. Reports each silence once. */
  check(now: number): LivenessVerdict {
    const late = now - this.lastCheck > 2 * this.checkEveryMs;
    this.lastCheck = now;
    if (late) {
      // We were stalled: give the worker the benefit of the doubt for this round.
      this.lastHeard = Math.max(this.lastHeard, now - this.checkEveryMs);
      return { type: 'fine' };
    }
    const silentMs = now - this.lastHeard;
    if (silentMs <= this.deadlineMs || this.reported) return { type: 'fine' };
    this.reported = true;
    return { type: 'silent', silentMs };
  }

  /** Reported silent and not heard since. */
  get silent(): boolean {
    return this.reported;
  }
}
