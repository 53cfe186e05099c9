// When the worker hands released memory back: only after a release, only
// over its limit, at most once per wait, the wait doubling while trims give
// back little and reset once one gives back enough; a failing trim stops it.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../common/clock.js';
import { loadMallocTrim, MemoryTrimmer, type TrimCall } from './memory-trim.js';

const MiB = 2 ** 20;

function harness(o: { rss: number; limit: number; gives?: number[] }) {
  const clock = new ManualClock(0);
  let rss = o.rss;
  const gives = [...(o.gives ?? [])];
  const pending: (() => void)[] = [];
  const timers: { at: number; fn: () => void }[] = [];
  let calls = 0;
  const trim: TrimCall = (done) => {
    calls++;
    pending.push(() => {
      rss -= gives.shift() ?? 0;
      done();
    });
  };
  const t = new MemoryTrimmer({
    limitBytes: () => o.limit,
    trim,
    rss: () => rss,
    clock,
    setTimer: (fn, ms) => {
      const timer = { at: clock.now() + ms, fn };
      timers.push(timer);
      return timer;
    },
    clearTimer: (x) => timers.splice(timers.indexOf(x as (typeof timers)[number]), 1),
  });
  return {
    t,
    clock,
    calls: () => calls,
    setRss: (v: number) => (rss = v),
    /** The trim in flight finishes. */
    finish: () => pending.shift()!(),
    /** Moves the clock, firing timers that fall due. */
    advance: (ms: number) => {
      clock.advance(ms);
      for (const timer of timers.filter((x) => x.at <= clock.now())) {
        timers.splice(timers.indexOf(timer), 1);
        timer.fn();
      }
    },
    timers: () => timers.length,
  };
}

describe('MemoryTrimmer', () => {
  it('does nothing without a release, however high the RSS', () => {
    const h = harness({ rss: 2000 * MiB, limit: 1000 * MiB });
    h.advance(10_000);
    expect(h.calls()).toBe(0);
  });

  it('trims after a release only while the RSS is over the limit', () => {
    const h = harness({ rss: 900 * MiB, limit: 1000 * MiB, gives: [200 * MiB] });
    h.t.released();
    expect(h.calls()).toBe(0);
    h.setRss(1300 * MiB);
    h.t.released();
    expect(h.calls()).toBe(1);
    h.finish();
    expect(h.t.trims).toBe(1);
    expect(h.t.trimmedBytes).toBe(200 * MiB);
  });

  it('runs one trim at a time and at most one per wait, catching up on releases made meanwhile', () => {
    const h = harness({ rss: 1300 * MiB, limit: 1000 * MiB, gives: [50 * MiB, 50 * MiB] });
    h.t.released();
    h.t.released(); // while the first runs
    expect(h.calls()).toBe(1);
    h.finish();
    // The second release waits for the rest of the second.
    expect(h.calls()).toBe(1);
    expect(h.timers()).toBe(1);
    h.advance(999);
    expect(h.calls()).toBe(1);
    h.advance(1);
    expect(h.calls()).toBe(2);
  });

  it('doubles its wait while trims give back little, up to the longest, and resets when one gives back enough', () => {
    const h = harness({ rss: 1300 * MiB, limit: 1000 * MiB, gives: [1 * MiB, 1 * MiB, 1 * MiB, 40 * MiB] });
    h.t.released();
    h.finish();
    expect(h.t.waitMs).toBe(2000);
    h.advance(2000);
    h.t.released();
    h.finish();
    expect(h.t.waitMs).toBe(4000);
    h.t.released();
    h.advance(3999);
    expect(h.calls()).toBe(2);
    h.advance(1);
    expect(h.calls()).toBe(3);
    h.finish();
    expect(h.t.waitMs).toBe(8000);
    h.advance(8000);
    h.t.released();
    h.finish();
    expect(h.t.waitMs).toBe(1000);
  });

  it('never waits longer than the longest wait', () => {
    const h = harness({ rss: 1300 * MiB, limit: 1000 * MiB });
    for (let i = 0; i < 10; i++) {
      h.t.released();
      h.advance(60_000);
      h.finish();
    }
    expect(h.t.waitMs).toBe(60_000);
  });

  it('stops asking after a trim fails, and after close', () => {
    const clock = new ManualClock(0);
    let calls = 0;
    const errors: unknown[] = [];
    const t = new MemoryTrimmer({ limitBytes: () => 0, rss: () => 1, clock, trim: (done) => (calls++, done(new Error('boom'))), onError: (e) => errors.push(e) });
    t.released();
    clock.advance(5000);
    t.released();
    expect(calls).toBe(1);
    expect(errors).toHaveLength(1);
    const c = harness({ rss: 1300 * MiB, limit: 1000 * MiB });
    c.t.close();
    c.t.released();
    expect(c.calls()).toBe(0);
  });
});

describe('loadMallocTrim', () => {
  it('says why off Linux instead of failing', () => {
    expect(loadMallocTrim('darwin')).toMatch(/glibc's, and this is darwin/);
  });

  it('binds glibc here, and a trim completes', async () => {
    const trim = loadMallocTrim();
    expect(typeof trim).toBe('function');
    await new Promise<void>((resolve, reject) => (trim as TrimCall)((err) => (err ? reject(err as Error) : resolve())));
  });
});
