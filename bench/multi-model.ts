// Many models on shared executors, simulated (issue 11's targets): an
// Azure-like trace (traces/generate-trace.ts, the 'azure' shape) of 1,000
// functions mapped onto 1,000 instances of det/rec/cls, 3 workers × 1
// executor, SLO 100 ms, at offered loads from 20 % to 80 % of the executors,
// with memory for ~48 models per executor (2 GiB, evictions) and for all of
// them. For each: rejections, rejections beyond the floor (requests no
// scheduler could have served: their model resident nowhere and a cold
// start longer than the SLO), accepted SLO attainment, late drops, and the
// rejection rate of each of det, rec and cls; each with the load lane (2
// session threads per executor, the CPU default) and without (1). Virtual
// time: the figures are the scheduler's, not this machine's speed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateAzureTrace } from '../traces/generate-trace.js';
import { loadSimModels } from '../traces/sim-models.js';
import { simulate, type SimulationResult } from '../traces/simulator.js';
import { compileWorkload } from '../traces/workload.js';
import type { Figure } from './support.js';

/** The trace through the simulator as `punctual simulate TRACE --model-instances 1000 --workers 3 --slo-ms 100` runs it. */
async function run(trace: string, memoryBytes: number, rateScale: number, lanes: number): Promise<SimulationResult> {
  const models = loadSimModels({ instances: 1000 });
  const workload = await compileWorkload({ trace, rateScale, seed: 1 }, models.map((m) => m.name));
  const byName = new Map(models.map((m) => [m.name, m.key]));
  const arrivals = (function* () {
    for (const a of workload.arrivals()) yield { time: a.time, model: byName.get(a.model)! };
  })();
  const used = models.filter((m) => workload.models.includes(m.name));
  return simulate(arrivals, { models: used, workers: 3, executorsPerWorker: 1, lanes, memoryBytes, sloMs: 100, noise: 1, seed: 1, durationMs: workload.durationMs });
}

const TARGET_LOADS = [0.2, 0.4, 0.6, 0.75, 0.8];

export async function runMultiModelBench(minutes = 20): Promise<Figure[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-multi-'));
  const trace = path.join(dir, 'azure.csv');
  fs.writeFileSync(trace, generateAzureTrace({ functions: 1000, minutes, seed: 1 }));
  const figures: Figure[] = [];
  try {
    for (const [memName, memory] of [
      ['2 GiB per executor (evictions)', 2 ** 31],
      ['memory for every model', 2 ** 36],
    ] as const) {
      // The offered load scales with the rate: one run at the published rates sets the scale for each target.
      const probe = await run(trace, memory, 1, 1);
      const unit = Number(probe.summary.config.utilisation);
      for (const target of TARGET_LOADS) {
        for (const lanes of [2, 1]) {
          const r = await run(trace, memory, target / unit, lanes);
          const s = r.summary;
          const load = Number(s.config.utilisation);
          const what = `${memName}, ${lanes === 1 ? 'one lane' : 'load lane'}, ${(100 * load).toFixed(0)} % offered load`;
          const pct = (n: number): number => (100 * n) / Math.max(1, s.requests);
          const byBase = new Map<string, [number, number]>();
          for (const [key, m] of Object.entries(s.per_model)) {
            const b = key.split('-')[0]!;
            const t = byBase.get(b) ?? [0, 0];
            byBase.set(b, [t[0] + m.requests, t[1] + (m.rejected_beyond_floor ?? m.rejected)]);
          }
          const rates = [...byBase.entries()].map(([b, [n, rej]]) => [b, n > 0 ? rej / n : 0] as const);
          const hi = Math.max(...rates.map(([, v]) => v));
          const lo = Math.min(...rates.map(([, v]) => v));
          figures.push(
            { name: `multi-model, ${what}: accepted SLO attainment`, value: 100 * s.accepted_slo_attainment, unit: '%', target: load <= 0.8 ? '≥ 99.99 %' : undefined, note: `${s.late} late of ${s.accepted} accepted; ${s.requests} requests` },
            { name: `multi-model, ${what}: rejected`, value: pct(s.rejected), unit: '% of requests', note: `floor ${s.floor} (${pct(s.floor ?? 0).toFixed(2)} %)` },
            {
              name: `multi-model, ${what}: rejected beyond the floor`,
              value: pct(s.rejected_beyond_floor ?? s.rejected),
              unit: '% of requests',
              target: load <= 0.4 ? '≤ 0.2 %' : load <= 0.75 ? '≤ 1 %' : undefined,
              note: rates.map(([b, v]) => `${b} ${(100 * v).toFixed(2)} %`).join(', ') + (lo > 0 ? `; max/min ${(hi / lo).toFixed(1)}×` : ''),
            },
          );
        }
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}
