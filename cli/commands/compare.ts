// `punctual compare`: the same workload under the punctual and fifo
// policies, side by side. Simulated by default; --live replays it against a
// local cluster started for each policy in turn (--repo), or against two
// running controllers (--controllers PUNCTUAL,FIFO).
import path from 'node:path';
import { Option, type Command } from 'commander';
import { POLICIES, type Policy } from '../../controller/scheduler/policy.js';
import type { Summary } from '../../traces/summary.js';
import { globalsOf, interactive, type CliContext } from '../context.js';
import { startLocalCluster } from '../local-cluster.js';
import { renderTable } from '../summary-view.js';
import { runReplay } from './replay.js';
import { addSimulateFlags, runSimulation, type SimulateFlags } from './simulate.js';

interface CompareFlags extends SimulateFlags {
  live?: boolean;
  controllers?: string[];
}

export function registerCompare(program: Command, ctx: CliContext): void {
  addSimulateFlags(program.command('compare').description('run one workload under the punctual and fifo policies and compare (simulated, or --live)'))
    .option('--live', 'replay against real clusters instead of simulating: one started locally per policy (from --repo), or --controllers')
    .addOption(new Option('--controllers <punctual,fifo>', 'two running controllers, the first with --policy punctual, the second with --policy fifo').argParser((v) => v.split(',')))
    .action(async (trace: string | undefined, flags: CompareFlags, cmd: Command) => {
      const g = globalsOf(cmd);
      const show = interactive(ctx.io.stderr, g);
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
  const cluster = await startLocalCluster({ repo, policy, workers: flags.workers, executors: flags.executors });
  try {
    return await runReplay(trace, { ...flags, out: flags.out && path.join(flags.out, policy) }, g, cluster.address, show);
  } finally {
    await cluster.close();
  }
}
