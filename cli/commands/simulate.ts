// `punctual simulate`: the controller's own scheduler against emulated
// executors (durations from stored profiles) in virtual time. No sockets,
// no sleeps; the same seed gives the same result.
import { Option, type Command } from 'commander';
import { DEFAULT_POLICY, isPolicy, POLICIES, type Policy } from '../../controller/scheduler/policy.js';
import { loadSimModels } from '../../traces/sim-models.js';
import { SIMULATION_DEFAULTS, simulate, type SimulationResult } from '../../traces/simulator.js';
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

/** Runs one simulation from the flags (shared with `compare`). */
export async function runSimulation(trace: string | undefined, flags: SimulateFlags, policy: Policy, showProgress: boolean): Promise<SimulationResult> {
  const models = loadSimModels({ ...(flags.repo ? { repo: flags.repo } : {}), ...(flags.modelInstances ? { instances: flags.modelInstances } : {}) });
  const names = models.map((m) => m.name);
  const spec = workloadSpec(trace, flags);
  const workload = await compileWorkload(spec, names);
  const byName = new Map(models.map((m) => [m.name, m.key]));
  const arrivals = (function* () {
    for (const a of workload.arrivals()) yield { time: a.time, model: byName.get(a.model)! };
  })();
  const bar = progressBar(`simulate ${policy}`, Math.max(1, Math.round(workload.expected)), showProgress);
  try {
    const r = simulate(arrivals, {
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
      onProgress: (n) => bar.update(n),
    });
    Object.assign(r.summary.config, workload.config);
    return r;
  } finally {
    bar.stop();
  }
}

export function registerSimulate(program: Command, ctx: CliContext): void {
  addSimulateFlags(program.command('simulate').description('simulate a workload on the real scheduler in virtual time, with emulated executors'))
    .addOption(new Option('--policy <policy>', 'scheduling policy').choices([...POLICIES]).default(DEFAULT_POLICY))
    .action(async (trace: string | undefined, flags: SimulateFlags, cmd: Command) => {
      const g = globalsOf(cmd);
      const policy = isPolicy(flags.policy) ? flags.policy : DEFAULT_POLICY;
      const t0 = performance.now();
      const r = await runSimulation(trace, flags, policy, interactive(ctx.io.stderr, g));
      const wallS = (performance.now() - t0) / 1000;
      r.summary.config.wall_s = wallS;
      if (flags.out) writeOutputs(flags.out, r.summary, r.builder, flags.sloMs !== undefined ? [flags.sloMs] : []);
      if (g.json) ctx.io.stdout.write(JSON.stringify(r.summary) + '\n');
      else {
        ctx.io.stdout.write(renderSummary(`simulated, policy ${policy}`, r.summary));
        ctx.io.stdout.write(`${r.summary.requests} requests simulated in ${wallS.toFixed(1)} s (${Math.round(r.summary.requests / wallS)} req/s)${flags.out ? `; wrote ${flags.out}/summary.json and report.svg` : ''}\n`);
      }
    });
}
