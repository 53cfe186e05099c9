// Handing the memory of released sessions back to the system. A worker that
// swaps sessions in and out keeps, in glibc's allocator, the pages its
// released sessions left: the next sessions are of other sizes and reuse them
// only in part, so its RSS climbs while its bookings stay inside the budget
// (bench/allocator-churn.ts: 1,000 det/rec/cls copies swapped through a 1 GiB
// budget, RSS 650–690 MiB over the bookings and still rising). glibc gives
// such pages back only when asked (malloc_trim, which madvises every free page
// of every arena away); nothing in Node calls it, so the worker does, through
// koffi (a prebuilt FFI: no compiler, no download outside the npm registry).
//
// A trim is not free: it walks every arena under its lock, 30–40 ms here with
// ~150 sessions resident, and the pages it returns are faulted in again by
// the next runs and loads that need them. So the worker asks only when it has
// released a session and its RSS is over what it promised (the RSS it started
// with + its budget + the model bytes it caches + an allowance), at most once
// a second, on a libuv thread (never on the event loop or an executor thread),
// and backs off (doubling the wait, up to a minute) while trims give back
// little. Off where glibc or koffi's binary is missing (musl, macOS, another
// CPU): the worker says why once and serves as before.
import { createRequire } from 'node:module';
import { systemClock, type Clock } from '../common/clock.js';

/** Starts a trim; `done` is called once it finished, with the error if it failed. */
export type TrimCall = (done: (err?: unknown) => void) => void;

/** glibc's malloc_trim(0), called on a libuv thread; or why it cannot be had here. */
export function loadMallocTrim(platform: NodeJS.Platform = process.platform): TrimCall | string {
  if (platform !== 'linux') return `malloc_trim is glibc's, and this is ${platform}`;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as {
      load(path: string): { func(decl: string): { async(pad: number, cb: (err: unknown, res: number) => void): void } };
    };
    const fn = koffi.load('libc.so.6').func('int malloc_trim(size_t)');
    return (done) => fn.async(0, (err) => done(err ?? undefined));
  } catch (err) {
    return `malloc_trim is not available (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`;
  }
}

export interface TrimOutcome {
  beforeBytes: number;
  afterBytes: number;
  ms: number;
}

export interface MemoryTrimOptions {
  /** RSS above which released memory is handed back, bytes (read at each decision: the cached bytes move). */
  limitBytes: () => number;
  trim: TrimCall;
  /** @default process.memoryUsage.rss */
  rss?: () => number;
  clock?: Clock;
  /** The shortest wait between trims, ms. @default 1000 */
  minIntervalMs?: number;
  /** The longest wait while trims give back little, ms. @default 60000 */
  maxIntervalMs?: number;
  /** A trim that gave back less than this doubles the wait. @default 16 MiB */
  minReleaseBytes?: number;
  /** Timers (tests pass fakes). @default setTimeout / clearTimeout, unref'd */
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
  onTrim?: (outcome: TrimOutcome) => void;
  onError?: (err: unknown) => void;
}

export class MemoryTrimmer {
  private readonly rss: () => number;
  private readonly clock: Clock;
  private readonly minInterval: number;
  private readonly maxInterval: number;
  private readonly minRelease: number;
  private interval: number;
  private lastAt = -Infinity;
  private running = false;
  /** A session was released since the last trim started. */
  private pending = false;
  private timer: unknown;
  private closed = false;
  trims = 0;
  trimmedBytes = 0;

  constructor(private readonly opts: MemoryTrimOptions) {
    this.rss = opts.rss ?? (() => process.memoryUsage.rss());
    this.clock = opts.clock ?? systemClock;
    this.minInterval = opts.minIntervalMs ?? 1000;
    this.maxInterval = Math.max(this.minInterval, opts.maxIntervalMs ?? 60_000);
    this.minRelease = opts.minReleaseBytes ?? 16 * 2 ** 20;
    this.interval = this.minInterval;
  }

  /** A session was released: its memory may be handed back. */
  released(): void {
    if (this.closed) return;
    this.pending = true;
    this.consider();
  }

  /** The current wait between trims, ms (for tests and status). */
  get waitMs(): number {
    return this.interval;
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) this.clear(this.timer);
    this.timer = undefined;
  }

  private consider(): void {
    if (this.closed || this.running || !this.pending || this.timer !== undefined) return;
    const wait = this.lastAt + this.interval - this.clock.now();
    if (wait > 0) {
      // Too soon: look again when the wait is over (a release may have been the last for a while).
      this.timer = this.set(() => {
        this.timer = undefined;
        this.consider();
      }, wait);
      return;
    }
    this.pending = false;
    const before = this.rss();
    if (before <= this.opts.limitBytes()) return;
    this.running = true;
    this.lastAt = this.clock.now();
    const t0 = this.lastAt;
    this.opts.trim((err) => {
      this.running = false;
      if (err !== undefined) {
        // A trim that fails will fail again: stop asking.
        this.closed = true;
        this.opts.onError?.(err);
        return;
      }
      const after = this.rss();
      const gave = Math.max(0, before - after);
      this.trims++;
      this.trimmedBytes += gave;
      this.interval = gave < this.minRelease ? Math.min(this.maxInterval, this.interval * 2) : this.minInterval;
      this.opts.onTrim?.({ beforeBytes: before, afterBytes: after, ms: this.clock.now() - t0 });
      this.consider();
    });
  }

  private set(fn: () => void, ms: number): unknown {
    if (this.opts.setTimer) return this.opts.setTimer(fn, ms);
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  }

  private clear(t: unknown): void {
    if (this.opts.clearTimer) this.opts.clearTimer(t);
    else clearTimeout(t as NodeJS.Timeout);
  }
}
