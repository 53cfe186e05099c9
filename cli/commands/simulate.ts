// `punctual simulate`: the controller's own scheduler against emulated
// executors (durations from stored profiles) in virtual time. No sockets,
// no sleeps; the same seed gives the same result.
import { Option, type Command } from 'commander';
import { DEFAULT_POLICY, isPolicy, POLICIES, type Policy } from '../../controller/scheduler/policy.js';
import { loadSimModels } from '../../traces/sim-models.js';
import { MAX_RING_MEMBERS } from '../../common/ring-members.js';
import { simulateSharded, WORKER_SPLITS, type ShardedSimulationResult, type ShardFigures, type WorkerSplit } from '../../traces/sharded-simulation.js';
import { SIMULATION_DEFAULTS, simulate, type SimulationOptions, type SimulationResult } from '../../traces/simulator.js';
import type { Arrival } from '../../traces/trace-arrivals.js';
import { writeOutputs } from '../../traces/replay.js';
import { compileWorkload } from '../../traces/workload.js';
import { integerIn, parseMemorySize, parseMs } from '../args.js';
import { globalsOf, interactive, type CliContext } from '../context.js';
import { progressBar } from '../progress.js';
import { renderSummary } from '../summary-view.js';
import { addWorkloadFlags, workloadSpec, type WorkloadFlags } from '../workload-flags.js';

export interface SimulateFlags extends WorkloadFlags {
  workers: number;
  executors: number;
  lanes: number;
  modelInstances?: number;
  repo?: string;
  memory: number;
  sloMs?: number;
  policy: Policy;
  noise: number;
  out?: string;
}

export function addSimulateFlags(cmd: Command): Command {
  return addWorkloadFlags(cmd)
    .addOption(new Option('--workers <n>', 'emulated workers').argParser(integerIn(1, 100_000)).default(1))
    .addOption(new Option('--executors <n>', 'executors per worker').argParser(integerIn(1, 1024)).default(1))
    .addOption(new Option('--lanes <n>', "session threads per executor, as a worker's --lanes (1: loads share the executor's timeline)").argParser(integerIn(1, 8)).default(SIMULATION_DEFAULTS.lanes))
    .addOption(new Option('--model-instances <n>', 'model copies cycling over the profiles (default: each profile once)').argParser(integerIn(1, 1_000_000)))
    .option('--repo <dir>', 'take profiles from this model repository (default: the bundled models\' profiles)')
    .addOption(new Option('--memory <bytes>', 'memory budget per executor').argParser(parseMemorySize).default(SIMULATION_DEFAULTS.memoryBytes, '2GiB'))
    .addOption(new Option('--slo-ms <ms>', "SLO of every request (default: each model's default)").argParser(parseMs))
    .addOption(new Option('--noise <f>', "spread of emulated durations, × each profile's own p50→p99 spread").argParser(Number).default(SIMULATION_DEFAULTS.noise))
    .option('--out <dir>', 'also write summary.json and report.svg here');
}

/** The models, workload and options of a simulation from the flags (shared by one controller and a ring). */
async function prepare(trace: string | undefined, flags: SimulateFlags, policy: Policy) {
  const models = loadSimModels({ ...(flags.repo ? { repo: flags.repo } : {}), ...(flags.modelInstances ? { instances: flags.modelInstances } : {}) });
  const names = models.map((m) => m.name);
  const spec = workloadSpec(trace, flags);
  const workload = await compileWorkload(spec, names);
  const byName = new Map(models.map((m) => [m.name, m.key]));
  const arrivals = function* (): Generator<Arrival> {
    for (const a of workload.arrivals()) yield { time: a.time, model: byName.get(a.model)! };
  };
  const options = {
    models: models.filter((m) => workload.models.includes(m.name)),
    workers: flags.workers,
    executorsPerWorker: flags.executors,
    lanes: flags.lanes,
    memoryBytes: flags.memory,
    policy,
    noise: flags.noise,
    seed: flags.seed,
    durationMs: workload.durationMs,
    ...(flags.sloMs !== undefined ? { sloMs: flags.sloMs } : {}),
  };
  return { workload, arrivals, options };
}

/** Runs `run` on the flags' workload with a progress bar, the workload's configuration added to its summary. */
async function withWorkload<R extends { summary: { config: Record<string, unknown> } }>(
  trace: string | undefined,
  flags: SimulateFlags,
  policy: Policy,
  label: string,
  showProgress: boolean,
  run: (arrivals: Iterable<Arrival>, options: SimulationOptions & { durationMs: number }) => R,
): Promise<R> {
  const { workload, arrivals, options } = await prepare(trace, flags, policy);
  const bar = progressBar(label, Math.max(1, Math.round(workload.expected)), showProgress);
  try {
    const r = run(arrivals(), { ...options, onProgress: (n) => bar.update(n) });
    Object.assign(r.summary.config, workload.config);
    return r;
  } finally {
    bar.stop();
  }
}

/** Runs one simulation from the flags (shared with `compare`). */
export function runSimulation(trace: string | undefined, flags: SimulateFlags, policy: Policy, showProgress: boolean): Promise<SimulationResult> {
  return withWorkload(trace, flags, policy, `simulate ${policy}`, showProgress, (arrivals, options) => simulate(arrivals, options));
}

/** Runs the flags' workload on a ring of `controllers` controllers, each shard on its own workers. */
export function runShardedSimulation(
  trace: string | undefined,
  flags: SimulateFlags,
  ring: { controllers: number; workerSplit: WorkerSplit },
  policy: Policy,
  showProgress: boolean,
): Promise<ShardedSimulationResult> {
  return withWorkload(trace, flags, policy, `simulate ${ring.controllers} controllers`, showProgress, (arrivals, options) => simulateSharded(arrivals, { ...options, ...ring }));
}

/** What each controller of a simulated ring takes and what scheduling it cost. */
export function renderShards(shards: readonly ShardFigures[]): string {
  const head = ['controller', 'models', 'workers', 'requests', 'req/s', 'attainment', 'rejected', 'late', 'sched µs/req', 'sched cores'];
  const rows = shards.map((s) => [
    s.controller,
    String(s.models),
    String(s.workers),
    String(s.requests),
    s.offered_rps.toFixed(0),
    `${(100 * s.slo_attainment).toFixed(2)} %`,
    String(s.rejected),
    String(s.late),
    s.cpu_us_per_request.toFixed(1),
    s.scheduling_cores.toFixed(2),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), ...rows.map(line)].join('\n') + '\n' +
    'sched µs/req: CPU time of the shard\'s simulation per request, the scheduler\'s CPU on one core (no gRPC); sched cores: req/s × that\n';
}

export function registerSimulate(program: Command, ctx: CliContext): void {
  addSimulateFlags(program.command('simulate').description('simulate a workload on the real scheduler in virtual time, with emulated executors'))
    .addOption(new Option('--policy <policy>', 'scheduling policy').choices([...POLICIES]).default(DEFAULT_POLICY))
    .addOption(
      new Option('--controllers <n>', 'a ring of n controllers: models split by the ring\'s hash as live, workers evenly, each shard simulated on its own')
        .argParser(integerIn(1, MAX_RING_MEMBERS)),
    )
    .addOption(new Option('--split-workers <how>', 'with --controllers: workers evenly, or by each shard\'s offered work (as a per-shard autoscaler settles)').choices([...WORKER_SPLITS]).default('even'))
    .action(async (trace: string | undefined, flags: SimulateFlags & { controllers?: number; splitWorkers: WorkerSplit }, cmd: Command) => {
      const g = globalsOf(cmd);
      const policy = isPolicy(flags.policy) ? flags.policy : DEFAULT_POLICY;
      const t0 = performance.now();
      const show = interactive(ctx.io.stderr, g);
      if (flags.controllers !== undefined && flags.controllers > flags.workers) {
        cmd.error(`error: --controllers ${flags.controllers} needs at least as many --workers (each controller serves its shard on workers of its own), not ${flags.workers}`, { exitCode: 2 });
      }
      const ring = flags.controllers !== undefined ? await runShardedSimulation(trace, flags, { controllers: flags.controllers, workerSplit: flags.splitWorkers }, policy, show) : undefined;
      const r = ring ?? (await runSimulation(trace, flags, policy, show));
      const wallS = (performance.now() - t0) / 1000;
      r.summary.config.wall_s = wallS;
      if (flags.out) writeOutputs(flags.out, r.summary, r.builder, flags.sloMs !== undefined ? [flags.sloMs] : []);
      if (g.json) ctx.io.stdout.write(JSON.stringify(ring ? { ...r.summary, controllers: ring.shards } : r.summary) + '\n');
      else {
        ctx.io.stdout.write(renderSummary(`simulated, policy ${policy}${ring ? `, ${ring.shards.length} controllers` : ''}`, r.summary));
        if (ring) ctx.io.stdout.write(renderShards(ring.shards));
        ctx.io.stdout.write(`${r.summary.requests} requests simulated in ${wallS.toFixed(1)} s (${Math.round(r.summary.requests / wallS)} req/s)${flags.out ? `; wrote ${flags.out}/summary.json and report.svg` : ''}\n`);
      }
    });
}
