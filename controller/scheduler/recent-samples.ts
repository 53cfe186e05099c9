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
 * The largest of the last N samples no older than maxAge, in O(1) amortized
 * per sample (a monotonic queue). Samples must come in time order.
 */
export class SlidingMax {
  private readonly idx: number[] = [];
  private readonly at: number[] = [];
  private readonly val: number[] = [];
  private head = 0;
  private n = 0;

  constructor(
    private readonly size: number,
    private readonly maxAge = Infinity,
  ) {}

  add(v: number, now = 0): void {
    const i = this.n++;
    while (this.val.length > this.head && this.val[this.val.length - 1]! <= v) {
      this.val.pop();
      this.idx.pop();
      this.at.pop();
    }
    this.val.push(v);
    this.idx.push(i);
    this.at.push(now);
    this.expire(now);
    if (this.head > 1024 && this.head * 2 > this.val.length) {
      this.val.splice(0, this.head);
      this.idx.splice(0, this.head);
      this.at.splice(0, this.head);
      this.head = 0;
    }
  }

  /** The largest sample in the window at `now`, or undefined with none. */
  max(now = 0): number | undefined {
    this.expire(now);
    return this.val.length > this.head ? this.val[this.head] : undefined;
  }

  private expire(now: number): void {
    while (this.val.length > this.head && (this.idx[this.head]! <= this.n - 1 - this.size || this.at[this.head]! < now - this.maxAge)) this.head++;
  }
}
