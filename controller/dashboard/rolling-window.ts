// Bounded windows over the last minute, for the dashboard: counts kept per
// second in a ring (a rate, a sparkline), and the most recent latencies of
// answered requests (percentiles). Fixed memory whatever the traffic: a
// counter is `seconds × fields` numbers, a latency window at most `max`
// samples, grown only while its oldest sample is still inside the window, so
// a model answering once a second never holds more than a few dozen.
import { percentile } from '../../common/profile.js';

/** Counts per whole second (the clock's ms / 1000), `fields` of them, over the last `seconds`. */
export class SecondCounts {
  /** The second each slot holds (slot = second mod seconds); -1 for none yet. */
  private readonly stamp: Float64Array;
  private readonly values: Float64Array;

  constructor(
    readonly seconds: number,
    readonly fields: number,
  ) {
    this.stamp = new Float64Array(seconds).fill(-1);
    this.values = new Float64Array(seconds * fields);
  }

  /** Adds n to `field` in the second of `now` (ms). */
  add(now: number, field: number, n = 1): void {
    const s = Math.floor(now / 1000);
    const slot = s % this.seconds;
    if (this.stamp[slot] !== s) {
      this.stamp[slot] = s;
      this.values.fill(0, slot * this.fields, (slot + 1) * this.fields);
    }
    this.values[slot * this.fields + field]! += n;
  }

  /** Per-second values of `field` for the `last` seconds up to `now`'s (inclusive), oldest first; 0 where nothing was counted. */
  series(now: number, field: number, last = this.seconds): number[] {
    const n = Math.min(last, this.seconds);
    const end = Math.floor(now / 1000);
    const out = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) {
      const s = end - (n - 1 - i);
      if (s < 0) continue;
      const slot = s % this.seconds;
      if (this.stamp[slot] === s) out[i] = this.values[slot * this.fields + field]!;
    }
    return out;
  }

  /** The sum of `field` over the `last` seconds up to `now`'s (inclusive). */
  sum(now: number, field: number, last = this.seconds): number {
    let t = 0;
    for (const v of this.series(now, field, last)) t += v;
    return t;
  }
}

/** How long the `last` whole seconds up to `now`'s cover, ms: the current second counts only as far as it has gone, and nothing before `since`. */
export function windowSpanMs(now: number, last: number, since = 0): number {
  const start = (Math.floor(now / 1000) - (last - 1)) * 1000;
  return Math.max(0, now - Math.max(start, since));
}

/** Latencies of the last requests no older than `windowMs`, at most `max` of them. */
export class RecentLatencies {
  private at: number[] = [];
  private ms: number[] = [];
  /** Where the next sample goes once the ring is full. */
  private next = 0;
  private capacity: number;

  constructor(
    private readonly windowMs: number,
    private readonly max = 1024,
    initial = 32,
  ) {
    this.capacity = Math.min(initial, max);
  }

  add(now: number, latencyMs: number): void {
    if (this.ms.length < this.capacity) {
      this.at.push(now);
      this.ms.push(latencyMs);
      return;
    }
    // Full. The oldest sample (the next to overwrite) still in the window: grow, up to max.
    if (this.capacity < this.max && this.at[this.next]! >= now - this.windowMs) {
      this.at = [...this.at.slice(this.next), ...this.at.slice(0, this.next)];
      this.ms = [...this.ms.slice(this.next), ...this.ms.slice(0, this.next)];
      this.next = 0;
      this.capacity = Math.min(this.max, this.capacity * 2);
      this.at.push(now);
      this.ms.push(latencyMs);
      return;
    }
    this.at[this.next] = now;
    this.ms[this.next] = latencyMs;
    this.next = (this.next + 1) % this.capacity;
  }

  /** The samples it holds now (for tests of its bound). */
  get held(): number {
    return this.ms.length;
  }

  /** p50 and p99 (nearest rank, ms) of the samples in the window at `now`, and how many; undefined with none. */
  quantiles(now: number): { p50: number; p99: number; n: number } | undefined {
    const from = now - this.windowMs;
    const inWindow: number[] = [];
    for (let i = 0; i < this.ms.length; i++) if (this.at[i]! >= from) inWindow.push(this.ms[i]!);
    if (inWindow.length === 0) return undefined;
    inWindow.sort((a, b) => a - b);
    return { p50: percentile(inWindow, 50), p99: percentile(inWindow, 99), n: inWindow.length };
  }
}
