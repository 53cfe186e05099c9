// The pieces of bench/clockwork.ts (Clockwork's experiments in simulation):
// the V100 profile set loads as the simulator takes it, the ramp's and the
// tight-SLO protocol's arrivals are what the paper describes, and a tiny ramp
// and a tiny SLO sweep run in well under a second each.
import { describe, expect, it } from 'vitest';
import { rampArrivals, ramp, tightSloArrivals, tightSloSteps, tightSlo, type RampOptions, type TightSloOptions } from '../bench/clockwork.js';
import { clockworkV100Set, RESNET50_V100_MEMORY_BYTES, V100_CLASS, V100_MEMORY_BYTES } from '../profiles/clockwork-v100.js';
import { loadSimModels } from '../traces/sim-models.js';

describe('the V100 profile set', () => {
  it('loads as simulated models: ResNet50 on a V100 at the paper’s figures', () => {
    const models = loadSimModels({ sources: clockworkV100Set(), instances: 3 });
    expect(models.map((m) => m.key)).toEqual(['resnet50-v100-0@1', 'resnet50-v100-1@1', 'resnet50-v100-2@1']);
    const cls = models[0]!.profile.classes[V100_CLASS]!;
    expect(cls.batches.map((b) => [b.batch, b.p50Ms])).toEqual([
      [1, 3.3],
      [2, 5.3],
      [4, 7.5],
      [8, 12.4],
    ]);
    expect(cls.loadMs).toBe(8.4);
    expect(models[0]!.batchSizes).toEqual([1, 2, 4, 8]);
    expect(models[0]!.defaultSloMs).toBe(100);
    expect(models[0]!.profile.memoryBytes).toBe(RESNET50_V100_MEMORY_BYTES);
    expect(Math.floor(V100_MEMORY_BYTES / RESNET50_V100_MEMORY_BYTES)).toBe(285);
    for (const b of cls.batches) expect(b.p99Ms).toBeGreaterThan(b.p50Ms);
  });
});

describe('the many-models ramp', () => {
  const o: RampOptions = { warmupS: 2, majors: 8, minorRate: 200, majorRate: 1000, seed: 3 };
  const keys = Array.from({ length: 9 }, (_, i) => `m${i}`);

  it('has the minor model alone through the warm-up, then one more major active each second', () => {
    const arrivals = [...rampArrivals(keys, o)];
    const minor = arrivals.filter((a) => a.model === 'm0');
    const majors = arrivals.filter((a) => a.model !== 'm0');
    // Poisson counts: 200 r/s for 10 s, 1000 r/s for 8 s (within ~5 standard deviations).
    expect(Math.abs(minor.length - 2000)).toBeLessThan(5 * Math.sqrt(2000));
    expect(Math.abs(majors.length - 8000)).toBeLessThan(5 * Math.sqrt(8000));
    for (let i = 1; i < arrivals.length; i++) expect(arrivals[i]!.time).toBeGreaterThanOrEqual(arrivals[i - 1]!.time);
    for (const a of majors) {
      const k = Number(a.model.slice(1));
      expect(a.time).toBeGreaterThanOrEqual((o.warmupS + k - 1) * 1000);
    }
    // In the last second all 8 majors share 1,000 r/s: each gets about 125.
    const last = majors.filter((a) => a.time >= 9000);
    for (let k = 1; k <= 8; k++) expect(last.filter((a) => a.model === `m${k}`).length).toBeGreaterThan(60);
  });

  it('runs in the simulator: loads once memory is full, every arrival ends once', () => {
    // Room for 4 models: majors 4..8 must evict and load.
    const r = ramp(o, 4 * 112e6);
    const s = r.summary;
    expect(s.requests).toBe([...rampArrivals(Array.from({ length: 9 }, (_, i) => `resnet50-v100-${i}@1`), o)].length);
    expect(s.ok + s.rejected + s.late + s.errors).toBe(s.requests);
    expect(r.result.loads).toBeGreaterThan(5);
    expect(r.loadsPerSecond.reduce((a, b) => a + b, 0)).toBe(r.result.loads);
    // The warm-up (the minor model alone, 200 r/s on a V100) is served within SLO.
    const warm = r.result.builder.buckets.slice(1, o.warmupS);
    expect(warm.reduce((n, b) => n + b.okWithin, 0)).toBe(warm.reduce((n, b) => n + b.offered, 0));
    expect(s.goodput_rps).toBeGreaterThan(100);
  });
});

describe('tight SLOs', () => {
  const o: TightSloOptions = { copies: 4, rate: 200, workers: 2, startMs: 3.3, factor: 1.5, stepS: 2, untilMultiple: 10, seed: 1 };

  it('steps the SLO from one batch-1 run by ×1.5 until it passes the multiple', () => {
    const slos = tightSloSteps(o);
    expect(slos[0]).toBe(3.3);
    expect(slos.at(-1)!).toBeGreaterThan(33);
    expect(slos.at(-2)!).toBeLessThanOrEqual(33);
    const arrivals = [...tightSloArrivals(['a', 'b', 'c', 'd'], o)];
    for (const a of arrivals) expect(a.sloMs).toBeCloseTo(slos[Math.floor(a.time / 2000)]!, 9);
  });

  it('serves nothing at one run’s SLO and nearly everything once the SLO leaves room', () => {
    const r = tightSlo(o);
    const b = r.result.builder.buckets;
    const step = (i: number) => {
      const xs = b.slice(i * o.stepS, (i + 1) * o.stepS);
      return xs.reduce((n, x) => n + x.okWithin, 0) / Math.max(1, xs.reduce((n, x) => n + x.offered, 0));
    };
    // 1×: the SLO equals the median run, below the p99 admission plans with.
    expect(step(0)).toBeLessThan(0.05);
    // The last step (> 10 runs of room) at 200 r/s over 2 executors.
    expect(step(tightSloSteps(o).length - 1)).toBeGreaterThan(0.99);
  });
});
