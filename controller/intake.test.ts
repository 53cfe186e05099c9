// How long requests take to come in: a high percentile of recent delays,
// forgotten after maxAgeMs.
import { describe, expect, it } from 'vitest';
import { IntakeDelay } from './intake.js';

describe('IntakeDelay', () => {
  it('is 0 with nothing measured, then the median of recent delays (or another percentile)', () => {
    const d = new IntakeDelay({ maxAgeMs: 1000 });
    const p90 = new IntakeDelay({ maxAgeMs: 1000, percentile: 90 });
    expect(d.estimate(0)).toBe(0);
    for (let i = 1; i <= 10; i++) {
      d.add(100 - i, 100); // delays 1..10 ms at t=100
      p90.add(100 - i, 100);
    }
    expect(d.estimate(100)).toBe(5);
    expect(p90.estimate(100)).toBe(9);
  });

  it('forgets delays older than maxAgeMs, so a drained backlog stops counting with nothing new to measure', () => {
    const d = new IntakeDelay({ maxAgeMs: 1000 });
    for (let i = 0; i < 50; i++) d.add(0, 300); // a flood: 300 ms to come in
    expect(d.estimate(300)).toBe(300);
    expect(d.estimate(1299)).toBe(300);
    expect(d.estimate(1300)).toBe(0);
  });

  it('keeps at most `size` delays', () => {
    const d = new IntakeDelay({ size: 4, maxAgeMs: 10_000 });
    for (const ms of [500, 500, 500, 500]) d.add(0, ms);
    for (let i = 0; i < 4; i++) d.add(999, 1000); // 1 ms each, pushing the 500s out
    expect(d.estimate(1000)).toBe(1);
  });
});
