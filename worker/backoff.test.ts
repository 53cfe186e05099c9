// Redial delays: growth, cap and jitter bounds.
import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF } from './backoff.js';

describe('backoffDelay', () => {
  it('starts near 200 ms and doubles', () => {
    expect(backoffDelay(0, 0.5)).toBeCloseTo(200);
    expect(backoffDelay(1, 0.5)).toBeCloseTo(400);
    expect(backoffDelay(2, 0.5)).toBeCloseTo(800);
  });

  it('never exceeds 5 s, however many attempts', () => {
    for (const attempt of [5, 10, 50, 1000]) {
      for (const r of [0, 0.5, 0.999]) expect(backoffDelay(attempt, r)).toBeLessThanOrEqual(DEFAULT_BACKOFF.maxMs);
    }
    expect(backoffDelay(100, 0.5)).toBe(5_000);
  });

  it('jitters within ±20 %', () => {
    expect(backoffDelay(0, 0)).toBeCloseTo(160);
    expect(backoffDelay(0, 0.999_999)).toBeCloseTo(240, 3);
    const spread = new Set(Array.from({ length: 10 }, (_, i) => backoffDelay(1, i / 10)));
    expect(spread.size).toBe(10);
  });

  it('treats a negative attempt as the first', () => {
    expect(backoffDelay(-3, 0.5)).toBeCloseTo(200);
  });
});
