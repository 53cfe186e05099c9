// What a LOAD reports as the memory its session takes. onnxruntime-node gives
// no per-session figure, so the executor thread measures the growth of the
// process's RSS across the session's creation, which is wrong two ways:
//
// - RSS is process-wide: work on another thread meanwhile (another executor's
//   runs or loads, the optimizer, model bytes arriving) counts too. Such a
//   reading is set aside (ProcessActivity): the controller keeps the larger of
//   its estimate and what a load reports, so one blurred reading could keep a
//   model over a small executor budget for good (`model_too_large`).
// - RSS counts pages, not bytes in use: a session created after another was
//   released, or after a run freed its buffers, reuses their pages and grows
//   RSS by little or nothing (under eviction in bench/many-models.ts most cls
//   copies read as their file size, 0.55 MB, where one takes ~2.5 MiB).
//
// So each thread remembers, per content, the largest of the recent clean
// readings of loads from the optimized model (a first load, from the raw
// bytes, also pays for the optimization's buffers and, the first in its
// thread, onnxruntime's one-time costs: a cls one read 29 MB where loads from
// its optimized model read ~2), and a load reports the larger of its own
// clean reading, that memory, and the model's size. Copies of one model thus
// all report what one of them read when its pages were new: under eviction
// a cls copy is booked 2.0 MiB and takes ~2.5 (BENCHMARKS.md, *Many models*).

/** Slots of the counters ProcessActivity keeps: requests being handled, and every start, end or note. */
const SLOTS = 2;

/** Counters to share, through a SharedArrayBuffer, with every thread of this process. */
export function newActivityCounters(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT));
}

/** What the process's threads are doing that moves its memory, as far as a measurement needs to know. */
export class ProcessActivity {
  constructor(private readonly counters: Int32Array = newActivityCounters()) {}

  /** A thread starts handling a request. */
  begin(): void {
    Atomics.add(this.counters, 0, 1);
    Atomics.add(this.counters, 1, 1);
  }

  end(): void {
    Atomics.sub(this.counters, 0, 1);
    Atomics.add(this.counters, 1, 1);
  }

  /** Something outside the threads' requests grew the process's memory. */
  note(): void {
    Atomics.add(this.counters, 1, 1);
  }

  /**
   * Called inside a request (between begin and end) as a measurement starts;
   * the function it returns says, as it ends, whether nothing else began,
   * ended, ran or was noted meanwhile.
   */
  watch(): () => boolean {
    const alone = Atomics.load(this.counters, 0) === 1;
    const moves = Atomics.load(this.counters, 1);
    return () => alone && Atomics.load(this.counters, 1) === moves;
  }
}

/** Bytes sampled for a content's key: this many windows, evenly spaced. */
const WINDOWS = 256;
const WINDOW_BYTES = 64;

/**
 * A key for a model's bytes: their length and an FNV-1a hash of 16 KiB
 * sampled across them (hashing every byte would add ~10 ms to a det load).
 * Copies of one file get the same key; only the reported memory rides on it,
 * and two files alike in length and in every sampled window take, for memory,
 * the same session.
 */
export function contentKey(bytes: Uint8Array): string {
  const n = bytes.byteLength;
  const step = Math.max(WINDOW_BYTES, Math.floor(n / WINDOWS));
  let h = 0x811c9dc5;
  for (let at = 0; at < n; at += step) {
    const end = Math.min(at + WINDOW_BYTES, n);
    for (let i = at; i < end; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  }
  return `${n}:${(h >>> 0).toString(16)}`;
}

export interface LoadReading {
  /** The bytes the session was created from. */
  bytes: Uint8Array;
  /** The RSS growth across the creation, or undefined when other work blurred it. */
  growth: number | undefined;
  /** Whether those bytes are the optimized model (only such loads are remembered). */
  optimized: boolean;
}

/** One thread's memory of what its loads took, per content. */
export class SessionMemory {
  private readonly byContent = new Map<string, number[]>();

  /** @param window clean readings kept per content: an inflated one ages out. */
  constructor(private readonly window = 8) {}

  /** The memory to report for a load. */
  report(r: LoadReading): number {
    const floor = r.bytes.byteLength;
    const key = contentKey(r.bytes);
    let recent = this.byContent.get(key);
    if (r.optimized && r.growth !== undefined && r.growth > floor) {
      if (!recent) this.byContent.set(key, (recent = []));
      recent.push(r.growth);
      if (recent.length > this.window) recent.shift();
    }
    return Math.max(r.growth ?? 0, recent ? Math.max(...recent) : 0, floor);
  }
}
