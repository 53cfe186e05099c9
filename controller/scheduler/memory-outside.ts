// Memory a worker's process holds that no booking accounts for. The
// controller books each resident model what its load reported, but a
// session grows after its load (its first runs at each batch size allocate
// that shape's buffers; bench/session-memory.ts: det 8 MiB at load, 22–27
// after runs up to batch 8), onnxruntime has one-time costs per thread, and
// memory freed by an eviction stays with the allocator in part. With only
// the loads booked, one worker holding 160 det/rec/cls copies went ~460 MiB
// over its budget (bench/live-many.ts). Measuring each session's runs does
// not fix it: RSS is process-wide and pages freed by one model are reused by
// the next, so such readings depend on the order things ran in.
//
// So the worker reports the one figure that is right, its process's RSS
// (with its RSS before any load and the model bytes it keeps in RAM, which
// are accounted for elsewhere) with every pong, and what that holds beyond
// the executors' bookings is counted against their budgets, split by budget:
// loads then evict to make room for it, and the worker's RSS stays near its
// declared budget plus its baseline and cached bytes. The figure is the
// smallest of the last OUTSIDE_WINDOW_MS of readings, less an allowance
// for what a process running onnxruntime takes once whatever it holds
// (OUTSIDE_ALLOWANCE_BYTES: its threads' first sessions, the optimizer's
// buffers; a worker with a budget for one det must still hold one det), so a load's transient
// buffers (RSS grows before its result books it) do not count, and at most
// MAX_OUTSIDE_SHARE of a budget, so a reading gone wrong cannot lock an
// executor out of loading anything.

/** Readings kept: the figure is the smallest over this long, ms. */
export const OUTSIDE_WINDOW_MS = 2000;
/** What a worker's process may hold beyond its bookings before any of it is counted, bytes. */
export const OUTSIDE_ALLOWANCE_BYTES = 128 * 1024 * 1024;
/** The most of an executor's budget that unbooked memory may take. */
export const MAX_OUTSIDE_SHARE = 0.5;

/** The smallest of the readings of the last windowMs (bounded: at most one kept per 10 ms of window). */
export class WindowMin {
  private readonly readings: { at: number; value: number }[] = [];

  constructor(private readonly windowMs = OUTSIDE_WINDOW_MS) {}

  add(at: number, value: number): void {
    const r = this.readings;
    while (r.length > 0 && (r[0]!.at < at - this.windowMs || r.length >= Math.max(8, this.windowMs / 10))) r.shift();
    r.push({ at, value });
  }

  /** The smallest reading no older than the window; 0 with none. */
  value(now: number): number {
    let min = Infinity;
    for (const r of this.readings) if (r.at >= now - this.windowMs) min = Math.min(min, r.value);
    return min === Infinity ? 0 : min;
  }
}
