// Live replay on this machine: one real worker (1 executor, 1 thread), the
// det model, a constant Poisson workload at 50/90/150/300 % of the measured
// capacity, under both policies (a fresh cluster per policy). Capacity is
// measured first: det requests kept 2 in flight for a few seconds.
import { PunctualClient } from '../client/client.js';
import { randomInputs } from '../traces/random-input.js';
import { startLocalCluster } from '../cli/local-cluster.js';
import { POLICIES, type Policy } from '../controller/scheduler/policy.js';
import { replay } from '../traces/replay.js';
import { compileWorkload } from '../traces/workload.js';
import { tempRepo, type Figure } from './support.js';

/** det requests per second one cluster serves, closed loop with 2 in flight. */
export async function measureCapacity(address: string, seconds: number): Promise<number> {
  const client = new PunctualClient(address);
  const info = (await client.listModels()).find((m) => m.name === 'det')!;
  const input = randomInputs(info.inputs);
  let done = 0;
  const end = performance.now() + seconds * 1000;
  const loop = async (): Promise<void> => {
    while (performance.now() < end) {
      await client.infer('det', input, { sloMs: 10_000 });
      done++;
    }
  };
  const t0 = performance.now();
  await Promise.all([loop(), loop()]);
  const rate = done / ((performance.now() - t0) / 1000);
  client.close();
  return rate;
}

export async function runReplayBench(seconds: number, loads: readonly number[] = [0.5, 0.9, 1.5, 3], policies: readonly Policy[] = POLICIES): Promise<Figure[]> {
  const { dir, cleanup } = await tempRepo(['det']);
  const figures: Figure[] = [];
  try {
    let capacity = 0;
    for (const policy of policies) {
      const cluster = await startLocalCluster({ repo: dir, policy });
      try {
        if (capacity === 0) {
          await measureCapacity(cluster.address, 2); // warm up
          capacity = await measureCapacity(cluster.address, 6);
          figures.push({ name: 'det capacity, 1 worker, 1 executor (closed loop, 2 in flight)', value: capacity, unit: 'req/s' });
        }
        for (const load of loads) {
          const workload = await compileWorkload({ workload: 'constant', rate: capacity * load, durationS: seconds, models: ['det'], seed: 1 }, ['det']);
          const s = await replay({ controller: cluster.address, workload, sloMs: 100 });
          const tag = `${policy} @ ${Math.round(load * 100)} %`;
          figures.push({
            name: `replay ${tag}: goodput`,
            value: s.goodput_rps,
            unit: 'req/s',
            note: `${(100 * s.goodput_rps / capacity).toFixed(0)} % of capacity; slo_attainment ${(100 * s.slo_attainment).toFixed(2)} %, accepted_slo_attainment ${(100 * s.accepted_slo_attainment).toFixed(2)} %, e2e ${(100 * s.e2e_slo_attainment).toFixed(2)} %, p99 ${s.p99_ms.toFixed(1)} ms, rejected ${s.rejected}, late ${s.late}, generator lag p99 ${s.generator.lag_p99_ms.toFixed(1)} ms`,
          });
        }
      } finally {
        await cluster.close();
      }
    }
  } finally {
    cleanup();
  }
  return figures;
}
