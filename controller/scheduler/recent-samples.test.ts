// The sample windows the scheduler reads on every decision.
import { describe, expect, it } from 'vitest';
import { RecentSamples, SlidingQuantile } from './recent-samples.js';
import { prng } from '../../traces/random.js';

describe('RecentSamples', () => {
  it('gives nearest-rank percentiles of the window, and forgets samples older than N', () => {
    const s = new RecentSamples(10);
    expect(s.percentile(50)).toBe(0);
    for (let v = 1; v <= 10; v++) s.add(v);
    expect(s.percentile(50)).toBe(5);
    expect(s.percentile(99)).toBe(10);
    for (let i = 0; i < 10; i++) s.add(100);
    expect(s.percentile(50)).toBe(100);
    expect(s.count).toBe(10);
  });
});

describe('SlidingQuantile', () => {
  it('is the largest sample while there are fewer than 1/share of them', () => {
    const q = new SlidingQuantile(1000, Infinity, 0.01);
    expect(q.value()).toBeUndefined();
    for (const v of [3, 40, 7]) q.add(v);
    expect(q.value()).toBe(40);
  });

  it('leaves out the top share of a full window: one outlier in 1,000 does not set it', () => {
    const q = new SlidingQuantile(1000, Infinity, 0.01);
    for (let i = 0; i < 999; i++) q.add(i % 10);
    q.add(500);
    // 1 % of 1,000 is 10 samples above: the outlier and nine 9s.
    expect(q.value()).toBe(9);
    // Eleven outliers: the quantile is one of them.
    for (let i = 0; i < 10; i++) q.add(500);
    expect(q.value()).toBe(500);
  });

  it('forgets samples past the window, by count and by age', () => {
    const byCount = new SlidingQuantile(3, Infinity, 0.01);
    for (const v of [100, 1, 2, 3]) byCount.add(v);
    expect(byCount.count).toBe(3);
    expect(byCount.value()).toBe(3);
    const byAge = new SlidingQuantile(100, 1000, 0.01);
    byAge.add(100, 0);
    byAge.add(5, 900);
    expect(byAge.value(999)).toBe(100);
    expect(byAge.value(1001)).toBe(5);
    expect(byAge.value(2000)).toBeUndefined();
  });

  it('agrees with a sorted copy of the window on a random stream', () => {
    const q = new SlidingQuantile(200, Infinity, 0.05);
    const window: number[] = [];
    const rand = prng(7);
    for (let i = 0; i < 5000; i++) {
      const v = Math.floor(rand() * 1000);
      q.add(v);
      window.push(v);
      if (window.length > 200) window.shift();
      const sorted = [...window].sort((a, b) => a - b);
      expect(q.value()).toBe(sorted[sorted.length - Math.max(1, Math.ceil(0.05 * sorted.length))]);
    }
  });
});
