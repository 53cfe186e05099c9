// `punctual compare`: the same workload under the punctual and fifo
// policies, side by side. Simulated by default; --live replays it against a
// local cluster started for each policy in turn (--repo), or against two
// running controllers (--controllers PUNCTUAL,FIFO). --targets replays it
// against several servers over the Open Inference Protocol instead (Punctual
// beside a Triton, KServe or MLServer endpoint), one column each, and with
// --out draws their reports side by side (compare.svg).
import path from 'node:path';
import { Option, type Command } from 'commander';
import { DEFAULT_POLICY, POLICIES, type Policy } from '../../controller/scheduler/policy.js';
import fs from 'node:fs';
import { sideBySideSvg } from '../../traces/compare-svg.js';
import type { ReplaySummary } from '../../traces/replay.js';
import type { Summary } from '../../traces/summary.js';
import { openTarget } from '../../traces/targets/open-target.js';
import { parseNamedTargets, TargetSyntaxError, type TargetSpec } from '../../traces/targets/target-url.js';
import { globalsOf, interactive, type CliContext } from '../context.js';
import { startLocalCluster } from '../local-cluster.js';
import { renderTable } from '../summary-view.js';
import { addV2Flags, renderReplayNotes, runReplay, targetOf, withUsageErrors, type V2Flags } from './replay.js';
import { addSimulateFlags, runSimulation, type SimulateFlags } from './simulate.js';

interface CompareFlags extends SimulateFlags, V2Flags {
  live?: boolean;
  controllers?: string[];
  simVsLive?: boolean;
  targets?: string;
}

export function registerCompare(program: Command, ctx: CliContext): void {
  addV2Flags(addSimulateFlags(program.command('compare').description('run one workload under the punctual and fifo policies and compare (simulated, or --live), or against several V2 servers (--targets)')))
    .option('--live', 'replay against real clusters instead of simulating: one started locally per policy (from --repo), or --controllers')
    .addOption(new Option('--controllers <punctual,fifo>', 'two running controllers, the first with --policy punctual, the second with --policy fifo').argParser((v) => v.split(',')))
    .option('--sim-vs-live', 'instead: the workload simulated and live on a local cluster of the same shape (--workers, --executors, --lanes, --policy), side by side')
    .addOption(new Option('--policy <policy>', 'with --sim-vs-live: the policy of both').choices([...POLICIES]).default(DEFAULT_POLICY))
    .option('--targets <name=url,...>', 'instead: replay against these servers over the Open Inference Protocol (V2), e.g. punctual=grpc://127.0.0.1:7000,triton=grpc://gpu1:8001; "local" (V2 gRPC) or "local-http" (V2 REST) starts a local Punctual cluster (from --repo) for it')
    .action(async (trace: string | undefined, flags: CompareFlags, cmd: Command) => {
      const g = globalsOf(cmd);
      const show = interactive(ctx.io.stderr, g);
      if (flags.targets !== undefined) {
        await withUsageErrors(cmd, () => againstTargets(trace, flags, show, g, ctx));
        return;
      }
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
          summary = await runReplay(trace, { ...flags, out: flags.out && path.join(flags.out, policy) }, g, targetOf({}, g, address), show);
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

/** A local cluster of the flags' shape under `policy`, from --repo (the default repository, built on first use). */
async function localCluster(flags: CompareFlags, policy: Policy, httpPort = -1): Promise<Awaited<ReturnType<typeof startLocalCluster>>> {
  const repo = path.resolve(flags.repo ?? path.join('.punctual', 'repo'));
  const { ensureDefaultRepository } = await import('../../controller/default-repository.js');
  await ensureDefaultRepository(repo);
  return startLocalCluster({ repo, policy, workers: flags.workers, executors: flags.executors, lanes: flags.lanes, memoryBytes: flags.memory, httpPort });
}

async function liveRun(trace: string | undefined, flags: CompareFlags, policy: Policy, show: boolean, g: ReturnType<typeof globalsOf>): Promise<Summary> {
  const cluster = await localCluster(flags, policy);
  try {
    return await runReplay(trace, { ...flags, out: flags.out && path.join(flags.out, policy) }, g, targetOf({}, g, cluster.address), show);
  } finally {
    await cluster.close();
  }
}

/**
 * The same workload against each of --targets in turn, every one over the
 * Open Inference Protocol, so every column is measured the same way (the
 * client's round trip; a V2 answer carries no server timings). The models
 * are --models, else the first target's list, and the same for all, in the
 * same order: the workload maps onto them alike, with the same inputs.
 */
async function againstTargets(trace: string | undefined, flags: CompareFlags, show: boolean, g: ReturnType<typeof globalsOf>, ctx: CliContext): Promise<void> {
  const named = parseNamedTargets(flags.targets ?? '');
  if (flags.live || flags.controllers || flags.simVsLive) throw new TargetSyntaxError('--targets is a mode of its own: drop --live, --controllers and --sim-vs-live');
  const results: { title: string; summary: ReplaySummary }[] = [];
  let models = flags.models && flags.models.length > 0 ? flags.models : undefined;
  for (const { name, target } of named) {
    const local = target === 'local' || target === 'local-http';
    const cluster = local ? await localCluster(flags, DEFAULT_POLICY, target === 'local-http' ? 0 : -1) : undefined;
    try {
      // A local cluster is plaintext whatever --tls-ca says.
      const url = cluster ? (target === 'local-http' ? `http://127.0.0.1:${cluster.httpPort}` : `grpc://${cluster.address}`) : target;
      const spec: TargetSpec = targetOf({ target: url, protocol: 'v2' }, g);
      if (!models) {
        const t = openTarget(spec, { ...(g.token ? { token: g.token } : {}), ...(g.tlsCa ? { ca: fs.readFileSync(g.tlsCa) } : {}) });
        try {
          models = await t.models();
        } finally {
          await t.close();
        }
      }
      const summary = await runReplay(trace, { ...flags, out: flags.out && path.join(flags.out, name) }, g, spec, show, models);
      results.push({ title: name, summary });
      if (!g.json) ctx.io.stderr.write(`${name} (${spec.url}): done\n`);
    } finally {
      await cluster?.close();
    }
  }
  if (flags.out) {
    const panels = results.map((r) => ({ title: r.title, svg: fs.readFileSync(path.join(flags.out!, r.title, 'report.svg'), 'utf8') }));
    fs.writeFileSync(path.join(flags.out, 'compare.svg'), sideBySideSvg(panels));
  }
  if (g.json) {
    ctx.io.stdout.write(JSON.stringify(Object.fromEntries(results.map((r) => [r.title, r.summary]))) + '\n');
    return;
  }
  ctx.io.stdout.write(renderTable(results));
  for (const r of results) ctx.io.stdout.write(`${r.title}:\n${renderReplayNotes(r.summary).replace(/^(?=.)/gm, '  ')}`);
  if (flags.out) ctx.io.stdout.write(`wrote ${flags.out}/compare.svg and, per target, ${flags.out}/NAME/requests.jsonl, summary.json, report.svg\n`);
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
