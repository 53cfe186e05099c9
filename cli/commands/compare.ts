// `punctual compare`: the same workload under the punctual and fifo
// policies, side by side. Simulated by default; --live replays it against a
// local cluster started for each policy in turn (--repo), or against two
// running controllers (--controllers PUNCTUAL,FIFO).
import path from 'node:path';
import { Option, type Command } from 'commander';
import { DEFAULT_POLICY, POLICIES, type Policy } from '../../controller/scheduler/policy.js';
import type { Summary } from '../../traces/summary.js';
import { globalsOf, interactive, type CliContext } from '../context.js';
import { startLocalCluster } from '../local-cluster.js';
import { renderTable } from '../summary-view.js';
import { runReplay } from './replay.js';
import { addSimulateFlags, runSimulation, type SimulateFlags } from './simulate.js';

interface CompareFlags extends SimulateFlags {
  live?: boolean;
  controllers?: string[];
  simVsLive?: boolean;
}

export function registerCompare(program: Command, ctx: CliContext): void {
  addSimulateFlags(program.command('compare').description('run one workload under the punctual and fifo policies and compare (simulated, or --live)'))
    .option('--live', 'replay against real clusters instead of simulating: one started locally per policy (from --repo), or --controllers')
    .addOption(new Option('--controllers <punctual,fifo>', 'two running controllers, the first with --policy punctual, the second with --policy fifo').argParser((v) => v.split(',')))
    .option('--sim-vs-live', 'instead: the workload simulated and live on a local cluster of the same shape (--workers, --executors, --lanes, --policy), side by side')
    .addOption(new Option('--policy <policy>', 'with --sim-vs-live: the policy of both').choices([...POLICIES]).default(DEFAULT_POLICY))
    .action(async (trace: string | undefined, flags: CompareFlags, cmd: Command) => {
      const g = globalsOf(cmd);
      const show = interactive(ctx.io.stderr, g);
      if (flags.simVsLive) {
        await simVsLive(trace, flags, show, g, ctx);
        return;
      }
      const results: { title: string; summary: Summary }[] = [];
      for (const [i, policy] of POLICIES.entries()) {
        let summary: Summary;
        if (!flags.live) summary = (await runSimulation(trace, flags, policy, show)).summary;
        else if (flags.controllers) {
          const address = flags.controllers[i];
          if (!address) throw new Error('--controllers needs two addresses: PUNCTUAL,FIFO');
          summary = await runReplay(trace, { ...flags, out: flags.out && path.join(flags.out, policy) }, g, address, show);
        } else {
          summary = await liveRun(trace, flags, policy, show, g);
        }
        results.push({ title: policy, summary });
        if (!g.json) ctx.io.stderr.write(`${policy}: done\n`);
      }
      if (g.json) ctx.io.stdout.write(JSON.stringify(Object.fromEntries(results.map((r) => [r.title, r.summary]))) + '\n');
      else ctx.io.stdout.write(renderTable(results));
    });
}

async function liveRun(trace: string | undefined, flags: CompareFlags, policy: Policy, show: boolean, g: ReturnType<typeof globalsOf>): Promise<Summary> {
  const repo = path.resolve(flags.repo ?? path.join('.punctual', 'repo'));
  const { ensureDefaultRepository } = await import('../../controller/default-repository.js');
  await ensureDefaultRepository(repo);
  const cluster = await startLocalCluster({ repo, policy, workers: flags.workers, executors: flags.executors, lanes: flags.lanes, memoryBytes: flags.memory });
  try {
    return await runReplay(trace, { ...flags, out: flags.out && path.join(flags.out, policy) }, g, cluster.address, show);
  } finally {
    await cluster.close();
  }
}

/**
 * Does the simulator predict the live system? The same workload, mapped onto
 * the same models in the same order (the bundled det, rec and cls unless
 * --models says otherwise), simulated and then replayed against a local
 * cluster of the same shape, under one policy; both summaries side by side
 * and their differences (SLO attainment in points, goodput as a ratio).
 */
async function simVsLive(trace: string | undefined, flags: CompareFlags, show: boolean, g: ReturnType<typeof globalsOf>, ctx: CliContext): Promise<void> {
  if (flags.modelInstances !== undefined) throw new Error('--sim-vs-live runs the bundled models live: --model-instances is for simulation alone');
  const policy = flags.policy;
  // Both runs take the models and their profiles from one repository (the default one, built on first use).
  const repo = path.resolve(flags.repo ?? path.join('.punctual', 'repo'));
  const { ensureDefaultRepository } = await import('../../controller/default-repository.js');
  await ensureDefaultRepository(repo);
  const same: CompareFlags = { ...flags, repo, models: flags.models ?? ['det', 'rec', 'cls'] };
  const simulated = (await runSimulation(trace, same, policy, show)).summary;
  if (!g.json) ctx.io.stderr.write('simulated: done\n');
  const live = await liveRun(trace, same, policy, show, g);
  if (!g.json) ctx.io.stderr.write('live: done\n');
  const difference = {
    slo_attainment_points: 100 * (live.slo_attainment - simulated.slo_attainment),
    accepted_slo_attainment_points: 100 * (live.accepted_slo_attainment - simulated.accepted_slo_attainment),
    goodput_ratio: simulated.goodput_rps > 0 ? live.goodput_rps / simulated.goodput_rps : 0,
  };
  if (g.json) {
    ctx.io.stdout.write(JSON.stringify({ simulated, live, difference }) + '\n');
    return;
  }
  ctx.io.stdout.write(renderTable([
    { title: 'simulated', summary: simulated },
    { title: 'live', summary: live },
  ]));
  ctx.io.stdout.write(
    `live − simulated: SLO attainment ${difference.slo_attainment_points.toFixed(2)} points (of accepted ${difference.accepted_slo_attainment_points.toFixed(2)}), goodput ×${difference.goodput_ratio.toFixed(3)}\n`,
  );
}
