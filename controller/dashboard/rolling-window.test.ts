// The dashboard's windows: per-second counts that forget what is older than
// their ring, a window's real span, and latency samples that stay within
// their bound and their window.
import { describe, expect, it } from 'vitest';
import { RecentLatencies, SecondCounts, windowSpanMs } from './rolling-window.js';

describe('SecondCounts', () => {
  it('counts per second and per field, oldest first, zero where nothing came', () => {
    const c = new SecondCounts(5, 2);
    c.add(10_000, 0);
    c.add(10_999, 0, 2);
    c.add(12_500, 1, 7);
    expect(c.series(12_600, 0)).toEqual([0, 0, 3, 0, 0]);
    expect(c.series(12_600, 1)).toEqual([0, 0, 0, 0, 7]);
    expect(c.series(12_600, 0, 3)).toEqual([3, 0, 0]);
    expect(c.sum(12_600, 0)).toBe(3);
    expect(c.sum(12_600, 0, 2)).toBe(0);
  });

  it('forgets a second once the ring comes round to it again', () => {
    const c = new SecondCounts(3, 1);
    c.add(1000, 0, 4);
    expect(c.sum(3999, 0)).toBe(4);
    // Second 4 shares second 1's slot: its count starts again from 0.
    c.add(4000, 0, 1);
    expect(c.series(4000, 0)).toEqual([0, 0, 1]);
    // Read long after, with no new counts: nothing is left in the window.
    expect(c.sum(60_000, 0)).toBe(0);
  });

  it('never reads before the clock began', () => {
    const c = new SecondCounts(10, 1);
    c.add(500, 0);
    expect(c.series(1500, 0)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
  });
});

describe('windowSpanMs', () => {
  it('covers the whole seconds before and the current one as far as it has gone, nothing before the start', () => {
    expect(windowSpanMs(20_250, 10)).toBe(9_250);
    expect(windowSpanMs(20_250, 10, 15_000)).toBe(5_250);
    expect(windowSpanMs(20_250, 10, 30_000)).toBe(0);
  });
});

describe('RecentLatencies', () => {
  it('gives p50 and p99 of the samples in the window only', () => {
    const l = new RecentLatencies(1000);
    for (let i = 1; i <= 100; i++) l.add(5000, i);
    expect(l.quantiles(5000)).toEqual({ p50: 50, p99: 99, n: 100 });
    l.add(5900, 1000);
    expect(l.quantiles(6100)).toEqual({ p50: 1000, p99: 1000, n: 1 });
    expect(l.quantiles(7000)).toBeUndefined();
  });

  it('holds at most its bound, however fast samples come', () => {
    const l = new RecentLatencies(10_000, 64, 4);
    for (let i = 0; i < 10_000; i++) l.add(1000 + i * 0.01, i);
    expect(l.held).toBe(64);
    // The newest 64.
    expect(l.quantiles(1100)).toMatchObject({ n: 64, p50: 9936 + 31 });
  });

  it('does not grow for a slow model: old samples are overwritten instead', () => {
    const l = new RecentLatencies(1000, 1024, 4);
    for (let i = 0; i < 100; i++) l.add(i * 2000, 5);
    expect(l.held).toBe(4);
    expect(l.quantiles(198_500)).toEqual({ p50: 5, p99: 5, n: 1 });
  });
});
