// Several controllers simulated: the models split as the live ring splits
// them, the workers evenly, every arrival simulated once on its owner's
// shard, and the shards' outcomes adding up to the cluster's.
import { describe, expect, it } from 'vitest';
import { ControllerRing } from '../common/ring.js';
import { simulatedRing, simulateSharded, splitWorkers, splitWorkersByLoad, type ShardedSimulationOptions } from './sharded-simulation.js';
import { loadSimModels } from './sim-models.js';
import { simulate } from './simulator.js';
import { SummaryBuilder } from './summary.js';
import { syntheticArrivals } from './synthetic.js';
import type { Arrival } from './trace-arrivals.js';

const models = loadSimModels({ instances: 30 });
const keys = models.map((m) => m.key);
const DURATION_S = 8;
const arrivals = (): Iterable<Arrival> => syntheticArrivals('zipf', { models: keys, rate: 400, durationS: DURATION_S, seed: 3 });
const base: Omit<ShardedSimulationOptions, 'controllers'> = { models, workers: 6, executorsPerWorker: 1, memoryBytes: 600 * 2 ** 20, seed: 3, durationMs: DURATION_S * 1000 };

describe('simulateSharded', () => {
  it('splits workers as evenly as they go', () => {
    expect(splitWorkers(10, 3)).toEqual([4, 3, 3]);
    expect(splitWorkers(8, 8)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    expect(splitWorkers(120, 8).reduce((a, b) => a + b, 0)).toBe(120);
  });

  it('splits workers by offered work, at least one each, by largest remainder', () => {
    expect(splitWorkersByLoad(10, [1, 1, 1])).toEqual([4, 3, 3]);
    expect(splitWorkersByLoad(10, [8, 1, 1])).toEqual([6, 2, 2]);
    expect(splitWorkersByLoad(12, [10, 1, 1])).toEqual([8, 2, 2]);
    expect(splitWorkersByLoad(13, [1, 0, 10])).toEqual([2, 1, 10]);
    expect(splitWorkersByLoad(10, [0, 5, 0])).toEqual([1, 8, 1]);
    expect(splitWorkersByLoad(4, [0, 0, 0, 0])).toEqual([1, 1, 1, 1]);
    expect(() => splitWorkersByLoad(2, [1, 1, 1])).toThrow(/3 controllers need at least 3 workers/);
  });

  it('gives the busier shard more workers with workerSplit load', () => {
    const even = simulateSharded(arrivals(), { ...base, controllers: 3 });
    const byLoad = simulateSharded(arrivals(), { ...base, controllers: 3, workerSplit: 'load' });
    expect(byLoad.shards.reduce((n, s) => n + s.workers, 0)).toBe(6);
    const busiest = even.shards.reduce((a, b) => (b.offered_rps > a.offered_rps ? b : a));
    const idlest = even.shards.reduce((a, b) => (b.offered_rps < a.offered_rps ? b : a));
    const w = (name: string): number => byLoad.shards.find((s) => s.controller === name)!.workers;
    expect(w(busiest.controller)).toBeGreaterThanOrEqual(w(idlest.controller));
    expect(byLoad.summary.config.worker_split).toBe('load');
    expect(byLoad.summary.requests).toBe(even.summary.requests);
  });

  it('places models with the live ring of the same members', () => {
    const live = new ControllerRing(Array.from({ length: 4 }, (_, i) => ({ name: `controller-${i}`, address: `controller-${i}:7000` })));
    const sim = simulatedRing(4);
    expect(sim.version).toBe(live.version);
    for (const m of models) expect(sim.owner(m.name).name).toBe(live.owner(m.name).name);
  });

  it('with one controller, is the plain simulation', () => {
    const one = simulateSharded(arrivals(), { ...base, controllers: 1 });
    const plain = simulate(arrivals(), { ...base }).summary;
    const { config: _a, ...figures } = one.summary;
    const { config: _b, ...plainFigures } = plain;
    expect(figures).toEqual(plainFigures);
    expect(one.shards).toHaveLength(1);
    expect(one.shards[0]).toMatchObject({ controller: 'controller-0', models: 30, workers: 6, requests: plain.requests });
    expect(one.summary.config).toMatchObject({ controllers: 1, workers: 6, model_instances: 30 });
    expect(one.summary.config.utilisation).toBeCloseTo(Number(plain.config.utilisation), 9);
  });

  it('simulates every arrival once, on the shard that owns its model, and the shards add up to the cluster', () => {
    const all = [...arrivals()];
    const r = simulateSharded(arrivals(), { ...base, controllers: 3 });
    expect(r.shards.map((s) => s.workers)).toEqual([2, 2, 2]);
    expect(r.summary.requests).toBe(all.length);
    expect(r.shards.reduce((n, s) => n + s.requests, 0)).toBe(all.length);
    expect(r.shards.reduce((n, s) => n + s.models, 0)).toBe(30);
    const ring = simulatedRing(3);
    // Each shard's request count is its models' arrivals, by the ring.
    for (const s of r.shards) {
      const mine = all.filter((a) => ring.owner(models.find((m) => m.key === a.model)!.name).name === s.controller).length;
      expect(s.requests).toBe(mine);
      expect(s.offered_rps).toBeCloseTo(mine / DURATION_S, 9);
      expect(s.cpu_s).toBeGreaterThan(0);
      expect(s.scheduling_cores).toBeCloseTo((s.offered_rps * s.cpu_us_per_request) / 1e6, 12);
    }
    // More than one shard carries work (30 models over 3 members).
    expect(r.shards.filter((s) => s.requests > 0).length).toBeGreaterThan(1);
    const s = r.summary;
    expect(s.ok + s.rejected + s.late + s.errors).toBe(s.requests);
    expect(s.rejected).toBe(r.shards.reduce((n, x) => n + x.rejected, 0));
    expect(Object.values(s.per_model).reduce((n, m) => n + m.requests, 0)).toBe(s.requests);
    expect(s.config.controllers).toBe(3);
    expect(s.config.ring_version).toBe(ring.version);
  });

  it('gives each shard what simulating it alone gives: shards share nothing', () => {
    const r = simulateSharded(arrivals(), { ...base, controllers: 2 });
    const ring = simulatedRing(2);
    const mine = models.filter((m) => ring.owner(m.name).name === 'controller-1');
    const mineKeys = new Set(mine.map((m) => m.key));
    const alone = simulate([...arrivals()].filter((a) => mineKeys.has(a.model)), { ...base, models: mine, workers: 3 }).summary;
    expect(r.shards[1]).toMatchObject({ requests: alone.requests, rejected: alone.rejected, late: alone.late, slo_attainment: alone.slo_attainment });
    for (const m of mine) expect(r.summary.per_model[m.key]).toEqual(alone.per_model[m.key]);
  });

  it('refuses a ring it cannot build', () => {
    expect(() => simulateSharded(arrivals(), { ...base, controllers: 0 })).toThrow(/from 1 to 64/);
    expect(() => simulateSharded(arrivals(), { ...base, controllers: 65, workers: 100 })).toThrow(/from 1 to 64/);
    expect(() => simulateSharded(arrivals(), { ...base, controllers: 7 })).toThrow(/7 controllers need at least 7 workers/);
  });
});

describe('SummaryBuilder.absorb', () => {
  it('merges as if every request had been added to one builder', () => {
    const one = new SummaryBuilder(1000, true);
    const a = new SummaryBuilder(1000, true);
    const b = new SummaryBuilder(1000, true);
    const adds: [string, number, 'ok' | 'rejected' | 'late', number, boolean, boolean][] = [
      ['x', 10, 'ok', 5, true, false],
      ['y', 1500, 'rejected', 0, false, true],
      ['x', 2500, 'ok', 120, false, false],
      ['y', 30, 'late', 90, false, false],
      ['z', 3100, 'rejected', 0, false, false],
    ];
    adds.forEach((x, i) => {
      one.add(...x);
      (i % 2 === 0 ? a : b).add(...x);
    });
    a.absorb(b);
    expect(a.build(4000, {})).toEqual(one.build(4000, {}));
    expect(a.buckets.map((k) => k.offered)).toEqual(one.buckets.map((k) => k.offered));
    expect(() => a.absorb(new SummaryBuilder(500))).toThrow(/500 ms buckets/);
  });
});
