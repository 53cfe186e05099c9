// Memory a worker's process holds beyond the bookings (memory-outside.ts):
// counted against its executors' budgets, at its smallest over the recent
// readings, at most half a budget; loads evict to make room for it.
import { describe, expect, it } from 'vitest';
import { MB, accept, executor, loads, req, runUntilIdle, setup, unloads, warm } from '../../test/support/scheduler-fixtures.js';
import { MAX_OUTSIDE_SHARE, OUTSIDE_ALLOWANCE_BYTES, OUTSIDE_WINDOW_MS, WindowMin } from './memory-outside.js';

/** A reading of a process holding `mb` beyond its bookings and the allowance. */
const beyond = (mb: number): number => OUTSIDE_ALLOWANCE_BYTES + mb * MB;

describe('WindowMin', () => {
  it('is the smallest reading of the window; older ones age out', () => {
    const w = new WindowMin(1000);
    expect(w.value(0)).toBe(0);
    w.add(0, 50);
    w.add(250, 20); // a load's result booked what the RSS already held
    w.add(500, 80); // the next load's buffers, not yet booked
    expect(w.value(500)).toBe(20);
    w.add(1300, 70);
    expect(w.value(1300)).toBe(70); // 50 (t 0) and 20 (t 250) are older than the window
  });

  it('keeps a bounded number of readings however often it is fed', () => {
    const w = new WindowMin(100);
    for (let t = 0; t < 10_000; t++) w.add(t / 1000, t); // 10,000 readings inside 10 ms
    expect(w.value(10)).toBeGreaterThan(0); // the oldest were dropped to stay within the bound
    expect((w as unknown as { readings: unknown[] }).readings.length).toBeLessThanOrEqual(10);
  });
});

describe('Scheduler: memory outside the bookings', () => {
  it("counts what a worker's RSS holds beyond its executors' bookings and the allowance against their budgets, split by budget", () => {
    const { s } = setup({}, [executor('w1/0', 400), executor('w1/1', 200), executor('w2/0', 400)]);
    const t = warm(s, 'a@1', 0); // a@1 (100 MB) on one of them
    const holder = [...s.executors.values()].find((e) => e.holds('a@1'))!;
    expect(holder.memoryUsed).toBe(100 * MB);
    const w1Booked = holder.spec.workerId === 'w1' ? 100 * MB : 0;
    // w1's process holds 60 MB beyond its bookings and the allowance.
    s.workerMemory('w1', w1Booked + beyond(60), t);
    expect(s.executors.get('w1/0')!.memoryOutside).toBeCloseTo(40 * MB);
    expect(s.executors.get('w1/1')!.memoryOutside).toBeCloseTo(20 * MB);
    expect(s.executors.get('w2/0')!.memoryOutside).toBe(0);
    expect(s.executors.get('w1/0')!.freeMemory()).toBeCloseTo(400 * MB - 40 * MB - (holder.spec.id === 'w1/0' ? 100 * MB : 0));
  });

  it('takes the smallest reading of the window (a load in flight is not yet booked), at most half the budget, never below 0', () => {
    const { s } = setup({}, [executor('w1/0', 400)]);
    const e = s.executors.get('w1/0')!;
    s.workerMemory('w1', beyond(30), 0);
    s.workerMemory('w1', beyond(90), 250);
    expect(e.memoryOutside).toBe(30 * MB);
    s.workerMemory('w1', beyond(90), 250 + OUTSIDE_WINDOW_MS);
    expect(e.memoryOutside).toBe(90 * MB);
    s.workerMemory('w1', beyond(10_000), 10_000);
    s.workerMemory('w1', beyond(10_000), 10_000 + OUTSIDE_WINDOW_MS + 1);
    expect(e.memoryOutside).toBe(MAX_OUTSIDE_SHARE * 400 * MB);
    s.workerMemory('w1', OUTSIDE_ALLOWANCE_BYTES, 30_000); // the allowance itself is not counted
    s.workerMemory('w1', OUTSIDE_ALLOWANCE_BYTES, 30_000 + OUTSIDE_WINDOW_MS + 1);
    expect(e.memoryOutside).toBe(0);
    s.workerMemory('w1', beyond(10_000), 40_000);
    s.workerMemory('w1', beyond(10_000), 40_000 + OUTSIDE_WINDOW_MS + 1);
    expect(e.memoryOutside).toBe(MAX_OUTSIDE_SHARE * 400 * MB);
    s.workerMemory('w1', beyond(-50), 20_000); // less than the allowance beyond the bookings
    expect(e.memoryOutside).toBe(0);
  });

  it('a load evicts to make room for memory the worker holds beyond its bookings', () => {
    // 250 MB: a@1 and b@1 (100 MB each) fit with 50 MB to spare, so c@1 alone would evict one of them;
    // with the worker holding 60 MB outside the bookings, c@1 must evict both.
    const { s } = setup({}, [executor('w1/0', 250)]);
    let t = warm(s, 'a@1', 0);
    t = warm(s, 'b@1', t + 10) + 10;
    s.workerMemory('w1', 200 * MB + beyond(60), t);
    accept(s, req('c@1', t, 10_000)); // admitted cold: the load is placed at once
    const ds = s.tick(t);
    expect(unloads(ds).map((d) => d.model).sort()).toEqual(['a@1', 'b@1']);
    expect(loads(ds).map((d) => d.model)).toEqual(['c@1']);
    runUntilIdle(s, t, ds);
  });

  it('without such readings (a worker that does not send them) nothing changes', () => {
    const { s } = setup({}, [executor('w1/0', 250)]);
    let t = warm(s, 'a@1', 0);
    t = warm(s, 'b@1', t + 10) + 10;
    accept(s, req('c@1', t, 10_000));
    const ds = s.tick(t);
    expect(unloads(ds)).toHaveLength(1);
    expect(s.executors.get('w1/0')!.memoryOutside).toBe(0);
  });
});
