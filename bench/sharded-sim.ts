// The simulated scale figure of issue 14: a ring of 1, 2, 4 and 8
// controllers (traces/sharded-simulation.ts: models split by the ring's hash
// as live, workers evenly) over 120 emulated V100 workers and 4,800 models
// (40 per worker, as Clockwork's scalability experiment), an Azure-like trace
// at 1M requests a minute (16,700 r/s), SLO 100 ms. For each ring size: the
// rate each controller must take, and what scheduling it cost, as the wall
// time of its shard's simulation per request (the real Scheduler on one core
// of this machine, no gRPC), beside what one controller sustained through
// real sockets (the controller-throughput bench, BENCHMARKS.md).
import { clockworkV100Set, V100_MEMORY_BYTES } from '../profiles/clockwork-v100.js';
import { simulateSharded, type ShardFigures, type WorkerSplit } from '../traces/sharded-simulation.js';
import { loadSimModels } from '../traces/sim-models.js';
import type { Arrival } from '../traces/trace-arrivals.js';
import { azureLikeWorkload, meanRun1, pct } from './clockwork-experiments.js';
import type { Figure } from './support.js';

/**
 * One controller through real sockets on this machine (BENCHMARKS.md,
 * "Controller throughput through real sockets", two runs): the rates it
 * sustained with every request answered, and its CPU per request there.
 */
export const ONE_CONTROLLER_SOCKETS = { tinyRps: 3000, clsRps: 1000, tinyCpuUs: '177–207', clsCpuUs: '440–600' } as const;

export interface ShardedSimOptions {
  controllers: readonly number[];
  workers: number;
  modelsPerWorker: number;
  /** Offered requests per second over the whole cluster. */
  rps: number;
  /** Seconds of traffic. */
  seconds: number;
  /** Seconds before the traffic: the executors' warm-up loads run first, as in a cluster already up. */
  leadS: number;
  /** CPU per request is timed from this many seconds into the traffic on. */
  steadyFromS: number;
  seed: number;
  workerSplit: WorkerSplit;
}

export const SHARDED_SIM_DEFAULTS: ShardedSimOptions = { controllers: [1, 2, 4, 8], workers: 120, modelsPerWorker: 40, rps: 16_700, seconds: 4, leadS: 3, steadyFromS: 1, seed: 1, workerSplit: 'load' };

const spread = (xs: readonly number[], digits = 0): string => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;

export function runShardedSimBench(o: ShardedSimOptions = SHARDED_SIM_DEFAULTS, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): Figure[] {
  const n = o.workers * o.modelsPerWorker;
  const models = loadSimModels({ sources: clockworkV100Set(), instances: n });
  // The share of each executor's batch-1 capacity that gives o.rps over the cluster.
  const utilisation = (o.rps * meanRun1(models)) / (o.workers * 1000);
  const source = azureLikeWorkload(models, o.workers, { functions: 5 * n, minutes: 1, utilisation, seed: o.seed });
  const endMs = o.seconds * 1000;
  const leadMs = o.leadS * 1000;
  const arrivals = function* (): Generator<Arrival> {
    for (const a of source()) {
      if (a.time >= endMs) return;
      yield { ...a, time: a.time + leadMs };
    }
  };
  const figures: Figure[] = [];
  for (const controllers of o.controllers) {
    log(`sharded-sim: ${controllers} controller(s), ${o.workers} workers (split ${o.workerSplit}), ${n} models, ${o.rps} r/s for ${o.seconds} s after ${o.leadS} s of warm-up`);
    const t0 = performance.now();
    const r = simulateSharded(arrivals(), {
      models,
      workers: o.workers,
      executorsPerWorker: 1,
      memoryBytes: V100_MEMORY_BYTES,
      sloMs: 100,
      seed: o.seed,
      durationMs: endMs, // for rates: the traffic's length (it starts at leadMs)
      controllers,
      steadyFromMs: leadMs + o.steadyFromS * 1000,
      workerSplit: o.workerSplit,
    });
    const wallS = (performance.now() - t0) / 1000;
    const s = r.summary;
    const top = Object.values(s.per_model).reduce((a, b) => Math.max(a, b.requests), 0);
    const busy = r.shards.filter((x) => x.requests > 0);
    const busiest = busy.reduce((a, b) => (b.offered_rps > a.offered_rps ? b : a));
    const rates = busy.map((x) => x.offered_rps);
    const cpu = busy.map((x) => x.cpu_us_per_request);
    const cores = busy.map((x) => x.scheduling_cores);
    const shardLine = (x: ShardFigures): string => `${x.controller} ${x.models} models/${x.workers} workers ${x.offered_rps.toFixed(0)} r/s ${x.cpu_us_per_request.toFixed(0)} µs`;
    for (const x of r.shards) log(`  ${shardLine(x)}, attainment ${pct(x.slo_attainment)}`);
    figures.push(
      {
        name: `sharded sim, ${controllers} controller(s): the busiest controller's rate`,
        value: busiest.offered_rps,
        unit: 'req/s',
        note:
          `each controller ${spread(rates)} r/s of ${s.offered_rps.toFixed(0)} offered, ${spread(busy.map((x) => x.models))} models and ${spread(busy.map((x) => x.workers))} workers each ` +
          `(the most popular model alone ${((top / s.duration_s)).toFixed(0)} r/s); ` +
          `one controller sustained ${ONE_CONTROLLER_SOCKETS.tinyRps} tiny / ${ONE_CONTROLLER_SOCKETS.clsRps} cls r/s through real sockets here (controller-throughput bench)`,
      },
      {
        name: `sharded sim, ${controllers} controller(s): the busiest controller's scheduling CPU per request`,
        value: busiest.cpu_us_per_request,
        unit: 'µs',
        note:
          `per controller ${spread(cpu)} µs of CPU from ${o.steadyFromS} s into the traffic on (the real scheduler, one thread, no gRPC); scheduling alone needs ${spread(cores, 2)} cores per controller at its rate ` +
          `(the busiest ${busiest.scheduling_cores.toFixed(2)}: ${busiest.scheduling_cores <= 1 ? 'keeps up in real time on one core' : 'more than one core, which one controller\'s single-threaded scheduler does not have'}); the socket path measured ${ONE_CONTROLLER_SOCKETS.tinyCpuUs} µs per tiny request and ${ONE_CONTROLLER_SOCKETS.clsCpuUs} per cls request on top at small shards`,
      },
      {
        name: `sharded sim, ${controllers} controller(s): SLO attainment`,
        value: 100 * s.slo_attainment,
        unit: '%',
        note: `accepted ${pct(s.accepted_slo_attainment)}, ${s.requests} requests, ${s.rejected} rejected (${s.rejected_beyond_floor ?? 0} beyond the floor), ${s.late} late; utilisation ${pct(Number(s.config.utilisation), 1)}; simulated in ${wallS.toFixed(1)} s`,
      },
    );
  }
  return figures;
}
