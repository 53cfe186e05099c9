// Outcomes of a replay or a simulation, summarised. Each request ends in
// exactly one of: ok (answered with outputs, whatever its latency), rejected
// (refused at admission), late (accepted, then DEADLINE_EXCEEDED: dropped by
// the server or past the client's deadline) or error (anything else). Of the
// ok ones, those answered within their SLO are what goodput counts.
// Per-second buckets keep the timeline for the report picture.

export type OutcomeStatus = 'ok' | 'rejected' | 'late' | 'error';

/**
 * How a request that was not answered with outputs is counted, from the gRPC
 * status it was answered with (its name): RESOURCE_EXHAUSTED is a rejection at
 * admission, DEADLINE_EXCEEDED a late answer, anything else an error. A
 * replay classifies what it hears with this, and the simulator what the live
 * controller would have answered (controller/reasons.ts).
 */
export function outcomeOfStatus(statusName: string): Exclude<OutcomeStatus, 'ok'> {
  return statusName === 'RESOURCE_EXHAUSTED' ? 'rejected' : statusName === 'DEADLINE_EXCEEDED' ? 'late' : 'error';
}

export interface Stats {
  requests: number;
  ok: number;
  ok_within_slo: number;
  rejected: number;
  late: number;
  errors: number;
  accepted: number;
  offered_rps: number;
  goodput_rps: number;
  /** ok within SLO ÷ requests. */
  slo_attainment: number;
  /** ok within SLO ÷ accepted (requests − rejected). */
  accepted_slo_attainment: number;
  /** Latency percentiles of ok requests, ms. */
  p50_ms: number;
  p99_ms: number;
  p999_ms: number;
  max_ms: number;
  /**
   * Only where the run can tell (the simulator): requests no scheduler could
   * have served reliably in time (their model resident nowhere when they
   * arrived, and its load plus one batch-1 run, at the high figures — the
   * load 10 % over its profile, the p99 run — longer than the SLO even on an
   * idle executor), and the rejections beyond them, which are the scheduler's.
   */
  floor?: number;
  rejected_beyond_floor?: number;
}

export interface Summary extends Stats {
  duration_s: number;
  models: string[];
  per_model: Record<string, Stats>;
  config: Record<string, unknown>;
}

/** One bucket of the timeline. */
export interface Bucket {
  offered: number;
  okWithin: number;
  okPast: number;
  rejected: number;
  late: number;
  errors: number;
  latencies: number[];
}

class Tally {
  requests = 0;
  ok = 0;
  okWithin = 0;
  rejected = 0;
  late = 0;
  errors = 0;
  floor = 0;
  rejectedOfFloor = 0;
  latencies: number[] = [];

  constructor(private readonly tracksFloor: boolean) {}

  add(status: OutcomeStatus, latencyMs: number, withinSlo: boolean, floor: boolean): void {
    this.requests++;
    if (floor) {
      this.floor++;
      if (status === 'rejected') this.rejectedOfFloor++;
    }
    if (status === 'ok') {
      this.ok++;
      if (withinSlo) this.okWithin++;
      this.latencies.push(latencyMs);
    } else if (status === 'rejected') this.rejected++;
    else if (status === 'late') this.late++;
    else this.errors++;
  }

  /** Adds another tally's requests to this one's. */
  absorb(o: Tally): void {
    this.requests += o.requests;
    this.ok += o.ok;
    this.okWithin += o.okWithin;
    this.rejected += o.rejected;
    this.late += o.late;
    this.errors += o.errors;
    this.floor += o.floor;
    this.rejectedOfFloor += o.rejectedOfFloor;
    for (const l of o.latencies) this.latencies.push(l);
  }

  stats(durationS: number): Stats {
    const sorted = Float64Array.from(this.latencies).sort();
    const accepted = this.requests - this.rejected;
    const rate = (n: number): number => (durationS > 0 ? n / durationS : 0);
    return {
      requests: this.requests,
      ok: this.ok,
      ok_within_slo: this.okWithin,
      rejected: this.rejected,
      late: this.late,
      errors: this.errors,
      accepted,
      offered_rps: rate(this.requests),
      goodput_rps: rate(this.okWithin),
      slo_attainment: this.requests > 0 ? this.okWithin / this.requests : 0,
      accepted_slo_attainment: accepted > 0 ? this.okWithin / accepted : 0,
      p50_ms: pct(sorted, 50),
      p99_ms: pct(sorted, 99),
      p999_ms: pct(sorted, 99.9),
      max_ms: sorted.length > 0 ? sorted[sorted.length - 1]! : 0,
      ...(this.tracksFloor ? { floor: this.floor, rejected_beyond_floor: this.rejected - this.rejectedOfFloor } : {}),
    };
  }
}

export function pct(sorted: Float64Array | readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export class SummaryBuilder {
  private readonly all: Tally;
  private readonly byModel = new Map<string, Tally>();
  readonly buckets: Bucket[] = [];

  /**
   * @param bucketMs width of a timeline bucket
   * @param tracksFloor whether adds say which requests no scheduler could have served (Stats.floor)
   */
  constructor(
    readonly bucketMs = 1000,
    private readonly tracksFloor = false,
  ) {
    this.all = new Tally(tracksFloor);
  }

  /** One request's end. `arrivalMs` is from the start of the run; `floor`: no scheduler could have served it (see Stats.floor). */
  add(model: string, arrivalMs: number, status: OutcomeStatus, latencyMs: number, withinSlo: boolean, floor = false): void {
    this.all.add(status, latencyMs, withinSlo, floor);
    let t = this.byModel.get(model);
    if (!t) this.byModel.set(model, (t = new Tally(this.tracksFloor)));
    t.add(status, latencyMs, withinSlo, floor);
    const i = Math.max(0, Math.floor(arrivalMs / this.bucketMs));
    while (this.buckets.length <= i) this.buckets.push({ offered: 0, okWithin: 0, okPast: 0, rejected: 0, late: 0, errors: 0, latencies: [] });
    const b = this.buckets[i]!;
    b.offered++;
    if (status === 'ok') {
      if (withinSlo) b.okWithin++;
      else b.okPast++;
      b.latencies.push(latencyMs);
    } else if (status === 'rejected') b.rejected++;
    else if (status === 'late') b.late++;
    else b.errors++;
  }

  get requests(): number {
    return this.all.requests;
  }

  /**
   * Adds everything `other` was told (its requests, per model and per
   * bucket) to this builder, as if each had been added here: the summary of
   * several runs side by side (the shards of `simulate --controllers`).
   */
  absorb(other: SummaryBuilder): void {
    if (other.bucketMs !== this.bucketMs) throw new RangeError(`cannot merge a timeline of ${other.bucketMs} ms buckets into one of ${this.bucketMs} ms`);
    this.all.absorb(other.all);
    for (const [model, t] of other.byModel) {
      let mine = this.byModel.get(model);
      if (!mine) this.byModel.set(model, (mine = new Tally(this.tracksFloor)));
      mine.absorb(t);
    }
    other.buckets.forEach((b, i) => {
      while (this.buckets.length <= i) this.buckets.push({ offered: 0, okWithin: 0, okPast: 0, rejected: 0, late: 0, errors: 0, latencies: [] });
      const mine = this.buckets[i]!;
      mine.offered += b.offered;
      mine.okWithin += b.okWithin;
      mine.okPast += b.okPast;
      mine.rejected += b.rejected;
      mine.late += b.late;
      mine.errors += b.errors;
      for (const l of b.latencies) mine.latencies.push(l);
    });
  }

  build(durationMs: number, config: Record<string, unknown>): Summary {
    const durationS = durationMs / 1000;
    const per_model: Record<string, Stats> = {};
    const models = [...this.byModel.keys()].sort();
    for (const m of models) per_model[m] = this.byModel.get(m)!.stats(durationS);
    return { ...this.all.stats(durationS), duration_s: durationS, models, per_model, config };
  }
}
