// The simulator: the real scheduler against emulated executors in virtual
// time. Deterministic for a seed; every arrival ends exactly once; under
// overload the punctual policy keeps goodput near capacity while the fifo
// baseline collapses.
import { describe, expect, it } from 'vitest';
import { loadSimModels } from './sim-models.js';
import { simulate, type SimulationOptions } from './simulator.js';
import { syntheticArrivals } from './synthetic.js';

const models = loadSimModels({});
const det = models.find((m) => m.key === 'det@1')!;
/** det at batch 1 on this machine's profile: the capacity of one executor, requests/s. */
const capacity = 1000 / det.profile.classes['cpu/t1']!.batches.find((b) => b.batch === 1)!.p50Ms;

function run(rate: number, extra: Partial<SimulationOptions> = {}, seed = 1, durationS = 20) {
  const arrivals = [...syntheticArrivals('constant', { models: ['det@1'], rate, durationS, seed })];
  const r = simulate(arrivals, { models, workers: 1, executorsPerWorker: 1, durationMs: durationS * 1000, seed, ...extra });
  return { arrivals: arrivals.length, ...r };
}

describe('simulator', () => {
  it('loads the bundled profiles and cycles instances over them', () => {
    expect(models.map((m) => m.key).sort()).toEqual(['cls@1', 'det@1', 'rec@1']);
    const copies = loadSimModels({ instances: 7 });
    expect(copies.map((m) => m.name)).toEqual(['det-0', 'rec-1', 'cls-2', 'det-3', 'rec-4', 'cls-5', 'det-6']);
    expect(copies[3]!.profile).toBe(copies[0]!.profile);
  });

  it('is deterministic for a seed, and a different seed gives a different run', () => {
    const opts = { models: loadSimModels({ instances: 12 }), workers: 2, executorsPerWorker: 2, memoryBytes: 200 * 2 ** 20 };
    const keys = opts.models.map((m) => m.key);
    const go = (seed: number) => simulate(syntheticArrivals('zipf', { models: keys, rate: 300, durationS: 10, seed }), { ...opts, seed }).summary;
    const a = go(4);
    const b = go(4);
    expect(a).toEqual(b);
    expect(a.requests).toBeGreaterThan(2500);
    expect(go(5)).not.toEqual(a);
  });

  it('ends every arrival exactly once, under both policies, with loads and evictions', () => {
    for (const policy of ['punctual', 'fifo'] as const) {
      const sims = loadSimModels({ instances: 9 });
      const arrivals = [...syntheticArrivals('zipf', { models: sims.map((m) => m.key), rate: 150, durationS: 10, seed: 2 })];
      // Room for 2 models per executor: the scheduler must load and evict.
      const r = simulate(arrivals, { models: sims, workers: 2, executorsPerWorker: 1, memoryBytes: 100 * 2 ** 20, policy, seed: 2 });
      const s = r.summary;
      expect(s.requests).toBe(arrivals.length);
      expect(s.ok + s.rejected + s.late + s.errors).toBe(s.requests);
      expect(Object.values(s.per_model).reduce((n, m) => n + m.requests, 0)).toBe(s.requests);
      expect(r.loads).toBeGreaterThan(4);
      if (policy === 'fifo') expect(s.rejected + s.late).toBe(0);
    }
  });

  it('under light load both policies meet the SLO', () => {
    for (const policy of ['punctual', 'fifo'] as const) {
      const s = run(capacity * 0.5, { policy }).summary;
      expect(s.accepted_slo_attainment, policy).toBeGreaterThan(0.99);
    }
  });

  it('at 300 % load punctual keeps goodput near capacity while fifo collapses', () => {
    const p = run(capacity * 3, { policy: 'punctual' }).summary;
    const f = run(capacity * 3, { policy: 'fifo' }).summary;
    expect(p.goodput_rps).toBeGreaterThan(0.85 * capacity);
    expect(p.accepted_slo_attainment).toBeGreaterThan(0.999);
    expect(p.rejected).toBeGreaterThan(p.requests / 2);
    expect(f.rejected).toBe(0);
    expect(f.goodput_rps).toBeLessThan(p.goodput_rps / 5);
    expect(f.p99_ms).toBeGreaterThan(10 * p.p99_ms);
  });

  it('reports the floor: requests whose model was resident nowhere and whose load plus one run exceeds the SLO, none of them served in time', () => {
    // det and rec (loads ~80 ms) alternate on one executor with room for one of them, SLO 60 ms:
    // every switch needs a load that cannot fit, so those requests are unservable by any scheduler.
    const pair = models.filter((m) => m.key === 'det@1' || m.key === 'rec@1');
    const arrivals = Array.from({ length: 40 }, (_, i) => ({ time: 500 * i, model: i % 2 === 0 ? 'det@1' : 'rec@1' }));
    const r = simulate(arrivals, { models: pair, workers: 1, executorsPerWorker: 1, memoryBytes: 60 * 2 ** 20, sloMs: 60, seed: 3 });
    const s = r.summary;
    expect(s.floor).toBeGreaterThanOrEqual(20); // at least every rec request: det stays resident
    expect(s.floor).toBeLessThanOrEqual(s.requests);
    // No floor request is served in time, and the rejections beyond the floor are what is left.
    expect(s.ok_within_slo).toBeLessThanOrEqual(s.requests - s.floor!);
    expect(s.rejected_beyond_floor).toBeGreaterThanOrEqual(0);
    expect(s.rejected_beyond_floor).toBeLessThanOrEqual(s.rejected);
    expect(Object.values(s.per_model).reduce((n, m) => n + m.floor!, 0)).toBe(s.floor);

    // With a generous SLO nothing is beyond reach: the floor is empty.
    const easy = simulate(arrivals, { models: pair, workers: 1, executorsPerWorker: 1, memoryBytes: 60 * 2 ** 20, sloMs: 1000, seed: 3 }).summary;
    expect(easy.floor).toBe(0);
    expect(easy.rejected_beyond_floor).toBe(easy.rejected);
  });

  it('reports the offered load as a share of the executors (batch-1 runs over their time)', () => {
    const s = run(capacity * 0.5).summary;
    expect(s.config.utilisation).toBeGreaterThan(0.45);
    expect(s.config.utilisation).toBeLessThan(0.55);
  });
});
