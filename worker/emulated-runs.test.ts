// The emulated device's durations (worker/emulated-runs.ts): drawn from the
// profile's figures around p50 with its p50→p99 spread, larger batches from
// batch 1 × size, loads near the profile's load time, and figures that make
// no sense are ignored (the action's expected time stands).
import { describe, expect, it } from 'vitest';
import { EmulatedRuns, gaussian } from './emulated-runs.js';

/** A seeded uniform generator (mulberry32), so the draws repeat. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);

describe('EmulatedRuns', () => {
  const runs = EmulatedRuns.of({ loadMs: 20, batches: [{ batch: 1, p50Ms: 1, p99Ms: 1.5 }, { batch: 4, p50Ms: 3, p99Ms: 3 }] })!;

  it("draws runs whose median and 99th percentile are the profile's", () => {
    const rand = seeded(1);
    const d = sorted(Array.from({ length: 20_000 }, () => runs.run(1, rand)!));
    expect(d[10_000]!).toBeCloseTo(1, 1);
    expect(d[19_800]!).toBeGreaterThan(1.4);
    expect(d[19_800]!).toBeLessThan(1.6);
    expect(d[0]!).toBeGreaterThanOrEqual(0.5); // never under half p50
  });

  it('runs a batch size it has as measured, one it lacks as batch 1 × the size', () => {
    const rand = seeded(2);
    expect(runs.run(4, rand)).toBe(3); // p99 = p50: no spread
    expect(runs.figures(8)).toEqual({ p50Ms: 8, p99Ms: 12 });
    const d = sorted(Array.from({ length: 2_000 }, () => runs.run(2, rand)!));
    expect(d[1_000]!).toBeCloseTo(2, 0);
  });

  it("loads in about the profile's load time", () => {
    const rand = seeded(3);
    const d = Array.from({ length: 2_000 }, () => runs.load(rand));
    const mean = d.reduce((a, b) => a + b, 0) / d.length;
    expect(mean).toBeCloseTo(20, 0);
    expect(Math.min(...d)).toBeGreaterThan(15);
    expect(Math.max(...d)).toBeLessThan(25);
  });

  it('ignores figures that make no sense, and has none without a usable batch', () => {
    expect(EmulatedRuns.of(null)).toBeUndefined();
    expect(EmulatedRuns.of({ loadMs: 5, batches: [] })).toBeUndefined();
    const bad = [{ batch: 0, p50Ms: 1, p99Ms: 1 }, { batch: 2.5, p50Ms: 1, p99Ms: 1 }, { batch: 3, p50Ms: Number.NaN, p99Ms: 1 }, { batch: 5, p50Ms: -1, p99Ms: 1 }];
    expect(EmulatedRuns.of({ loadMs: 5, batches: bad })).toBeUndefined();
    const some = EmulatedRuns.of({ loadMs: Number.POSITIVE_INFINITY, batches: [...bad, { batch: 2, p50Ms: 4, p99Ms: 1 }] })!;
    expect(some.loadMs).toBe(0); // an unusable load time: an instant load
    expect(some.figures(2)).toEqual({ p50Ms: 4, p99Ms: 4 }); // p99 never under p50
    expect(some.figures(1)).toBeUndefined(); // nothing to scale from
    expect(some.run(3, seeded(4))).toBeUndefined();
  });

  it('gaussian draws are standard normal', () => {
    const rand = seeded(5);
    const d = Array.from({ length: 20_000 }, () => gaussian(rand));
    const mean = d.reduce((a, b) => a + b, 0) / d.length;
    const sd = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / d.length);
    expect(mean).toBeCloseTo(0, 1);
    expect(sd).toBeCloseTo(1, 1);
  });
});
