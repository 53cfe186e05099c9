// Simulator speed: requests simulated per second of wall time — the real
// scheduler and estimates against emulated executors in virtual time.
import { loadSimModels } from '../traces/sim-models.js';
import { simulate } from '../traces/simulator.js';
import { syntheticArrivals } from '../traces/synthetic.js';
import type { Figure } from './support.js';

export function runSimulateBench(requests: number): Figure[] {
  const figures: Figure[] = [];
  const cases = [
    { name: '20 executors (10 workers × 2), 30 model instances, zipf', instances: 30, workers: 10, executors: 2, rate: 2000 },
    { name: '1 executor, det only, 300 % load', instances: undefined, workers: 1, executors: 1, rate: 290 },
  ];
  for (const c of cases) {
    const models = loadSimModels(c.instances ? { instances: c.instances } : {});
    const keys = c.instances ? models.map((m) => m.key) : ['det@1'];
    const durationS = requests / c.rate;
    const t0 = performance.now();
    const r = simulate(syntheticArrivals('zipf', { models: keys, rate: c.rate, durationS, seed: 1 }), {
      models,
      workers: c.workers,
      executorsPerWorker: c.executors,
      memoryBytes: 2 ** 30,
      durationMs: durationS * 1000,
    });
    const s = (performance.now() - t0) / 1000;
    figures.push({
      name: `simulator speed, ${c.name}`,
      value: r.summary.requests / s,
      unit: 'req/s',
      target: '1,000,000 requests in < 60 s',
      note: `${r.summary.requests} requests (${durationS.toFixed(0)} s of virtual time) in ${s.toFixed(1)} s; goodput ${r.summary.goodput_rps.toFixed(0)} req/s, ${r.summary.rejected} rejected`,
    });
  }
  return figures;
}
