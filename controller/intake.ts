// How long a request takes to come in: from its headers' arrival to its
// handler running (its tensor read, decoded, validated). The early check on a
// request's first bytes (controller/early-admission.ts) judges it as of when
// its handler will run, not as of its first bytes: otherwise, under a flood,
// every request looks admissible at its first bytes, is read whole, and is
// rejected by its handler a second later — the costly path for every one.
//
// The median of the recent delays, each forgotten after `maxAgeMs`, so a
// backlog that has drained stops counting even when nothing has come in since
// to measure it. The median, not a high percentile: the early check must
// only reject what the handler would reject too, and a request that comes in
// slower than typical is still judged by its handler. Pure: times in,
// figures out.

export interface IntakeOptions {
  /** Delays kept, at most. @default 256 */
  size?: number;
  /** A delay older than this is forgotten, ms. @default 1000 */
  maxAgeMs?: number;
  /** Percentile used. @default 50 */
  percentile?: number;
}

export class IntakeDelay {
  private readonly at: number[] = [];
  private readonly ms: number[] = [];
  private next = 0;
  private cached: { value: number; validUntil: number; version: number } | undefined;
  private version = 0;
  private readonly size: number;
  private readonly maxAge: number;
  private readonly pct: number;

  constructor(opts: IntakeOptions = {}) {
    this.size = opts.size ?? 256;
    this.maxAge = opts.maxAgeMs ?? 1000;
    this.pct = opts.percentile ?? 50;
  }

  /** A request whose headers came at `arrival` reached its handler at `now`. */
  add(arrival: number, now: number): void {
    const v = Math.max(0, now - arrival);
    if (this.at.length < this.size) {
      this.at.push(now);
      this.ms.push(v);
    } else {
      this.at[this.next] = now;
      this.ms[this.next] = v;
    }
    this.next = (this.next + 1) % this.size;
    this.version++;
  }

  /** The recent delay at the percentile, ms; 0 with none recent. Recomputed at most every 16 samples or 50 ms. */
  estimate(now: number): number {
    const c = this.cached;
    if (c && now < c.validUntil && this.version - c.version < 16) return c.value;
    const fresh: number[] = [];
    let oldest = Infinity;
    for (let i = 0; i < this.at.length; i++) {
      const at = this.at[i]!;
      if (now - at < this.maxAge) {
        fresh.push(this.ms[i]!);
        oldest = Math.min(oldest, at);
      }
    }
    let value = 0;
    if (fresh.length > 0) {
      fresh.sort((a, b) => a - b);
      value = fresh[Math.min(fresh.length - 1, Math.max(0, Math.ceil((this.pct / 100) * fresh.length) - 1))]!;
    }
    // Valid for a moment, and never past the time its oldest delay is forgotten.
    this.cached = { value, validUntil: Math.min(now + 50, oldest + this.maxAge), version: this.version };
    return value;
  }
}
