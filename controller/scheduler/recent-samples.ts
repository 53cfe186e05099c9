// The last N samples of a measurement and their percentiles, sorted lazily
// (at most once per new sample, however often they are read).
export class RecentSamples {
  private readonly values: number[] = [];
  private next = 0;
  private sorted: number[] | undefined;

  constructor(private readonly size: number) {}

  add(v: number): void {
    if (this.values.length < this.size) this.values.push(v);
    else this.values[this.next] = v;
    this.next = (this.next + 1) % this.size;
    this.sorted = undefined;
  }

  get count(): number {
    return this.values.length;
  }

  /** The p-th percentile (nearest rank), or 0 with no samples. */
  percentile(p: number): number {
    if (this.values.length === 0) return 0;
    this.sorted ??= [...this.values].sort((a, b) => a - b);
    const i = Math.min(this.sorted.length - 1, Math.max(0, Math.ceil((p / 100) * this.sorted.length) - 1));
    return this.sorted[i]!;
  }
}
