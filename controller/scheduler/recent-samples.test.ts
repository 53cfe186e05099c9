// The sample windows the scheduler reads on every decision.
import { describe, expect, it } from 'vitest';
import { RecentSamples, SlidingMax } from './recent-samples.js';
import { prng } from '../../traces/random.js';

describe('SlidingMax', () => {
  it('is the largest of the last N samples, as a brute-force scan finds it', () => {
    const rand = prng(3);
    const m = new SlidingMax(50);
    const all: number[] = [];
    expect(m.max()).toBeUndefined();
    for (let i = 0; i < 5000; i++) {
      const v = Math.floor(rand() * 1000) - 500;
      m.add(v);
      all.push(v);
      expect(m.max()).toBe(Math.max(...all.slice(-50)));
    }
  });

  it('forgets samples older than maxAge as time passes', () => {
    const m = new SlidingMax(100, 1000);
    m.add(30, 0);
    m.add(10, 500);
    expect(m.max(900)).toBe(30);
    expect(m.max(1001)).toBe(10);
    expect(m.max(1501)).toBeUndefined();
    m.add(5, 2000);
    expect(m.max(2000)).toBe(5);
  });
});

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
