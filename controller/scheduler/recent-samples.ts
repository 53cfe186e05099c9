// Windows over a measurement's most recent samples, cheap enough to read on
// every scheduling decision.

/**
 * The last N samples, their percentiles and their mean. The sorted copy is
 * rebuilt at most once per `refreshEvery` new samples (default size / 10; and
 * for each of the first ten), so a percentile read on every decision stays
 * cheap at any rate; it lags the newest few samples, which a percentile of N
 * barely notices. With `refreshEvery` 1 it is always exact.
 */
export class RecentSamples {
  private readonly values: number[] = [];
  private next = 0;
  private sorted: number[] | undefined;
  private sum: number | undefined;
  private sinceSort = 0;

  constructor(
    private readonly size: number,
    private readonly refreshEvery = Math.max(1, Math.floor(size / 10)),
  ) {}

  add(v: number): void {
    if (this.values.length < this.size) this.values.push(v);
    else this.values[this.next] = v;
    this.next = (this.next + 1) % this.size;
    this.sum = undefined;
    this.sinceSort++;
    if (this.values.length <= 10 || this.sinceSort >= this.refreshEvery) this.sorted = undefined;
  }

  /** The mean of the window, or 0 with no samples. */
  mean(): number {
    if (this.values.length === 0) return 0;
    if (this.sum === undefined) {
      let sum = 0;
      for (const v of this.values) sum += v;
      this.sum = sum;
    }
    return this.sum / this.values.length;
  }

  get count(): number {
    return this.values.length;
  }

  /** The p-th percentile (nearest rank), or 0 with no samples. */
  percentile(p: number): number {
    if (this.values.length === 0) return 0;
    if (!this.sorted) {
      this.sorted = [...this.values].sort((a, b) => a - b);
      this.sinceSort = 0;
    }
    const i = Math.min(this.sorted.length - 1, Math.max(0, Math.ceil((p / 100) * this.sorted.length) - 1));
    return this.sorted[i]!;
  }
}

/**
 * A high quantile of the last N samples no older than maxAge: the k-th
 * largest, k = ⌈share × n⌉ (at least 1, so with fewer than 1/share samples
 * it is the largest). Samples must come in time order. O(N) per sample at
 * worst (a sorted copy kept by binary search and splice), a few
 * microseconds at N = 1000.
 */
export class SlidingQuantile {
  private readonly at: number[] = [];
  private readonly val: number[] = [];
  private head = 0;
  /** The window's samples, ascending. */
  private readonly sorted: number[] = [];

  constructor(
    private readonly size: number,
    private readonly maxAge = Infinity,
    /** The share of the window above the answer: 0.01 gives the 99th percentile. */
    private readonly share = 0.01,
  ) {}

  get count(): number {
    return this.sorted.length;
  }

  add(v: number, now = 0): void {
    this.val.push(v);
    this.at.push(now);
    this.sorted.splice(lowerBound(this.sorted, v), 0, v);
    this.expire(now);
    if (this.head > 1024 && this.head * 2 > this.val.length) {
      this.val.splice(0, this.head);
      this.at.splice(0, this.head);
      this.head = 0;
    }
  }

  /** The quantile of the window at `now`, or undefined with no sample in it. */
  value(now = 0): number | undefined {
    this.expire(now);
    const n = this.sorted.length;
    if (n === 0) return undefined;
    return this.sorted[n - Math.max(1, Math.ceil(this.share * n))];
  }

  private expire(now: number): void {
    while (this.val.length > this.head && (this.val.length - this.head > this.size || this.at[this.head]! < now - this.maxAge)) {
      const v = this.val[this.head++]!;
      this.sorted.splice(lowerBound(this.sorted, v), 1);
    }
  }
}

/** The first index of a sorted array whose value is ≥ v. */
function lowerBound(a: readonly number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
