// `punctual replay`: drives a live cluster open-loop from a trace or a
// synthetic workload and writes requests.jsonl, summary.json and report.svg.
import { Option, type Command } from 'commander';
import { PunctualClient } from '../../client/client.js';
import { replay, type ReplaySummary } from '../../traces/replay.js';
import { compileWorkload } from '../../traces/workload.js';
import { parseMs } from '../args.js';
import { clientOptions, globalsOf, interactive, type CliContext, type GlobalOptions } from '../context.js';
import { progressBar } from '../progress.js';
import { renderSummary } from '../summary-view.js';
import { addWorkloadFlags, workloadSpec, type WorkloadFlags } from '../workload-flags.js';

export interface ReplayFlags extends WorkloadFlags {
  sloMs?: number;
  out?: string;
}

/** One replay against `controller` (shared with `compare`). */
export async function runReplay(trace: string | undefined, flags: ReplayFlags, g: GlobalOptions, controller: string, showProgress: boolean): Promise<ReplaySummary> {
  const client = new PunctualClient(controller, clientOptions(g));
  let names: string[];
  try {
    names = [...new Set((await client.listModels()).map((m) => m.name))];
  } finally {
    client.close();
  }
  const workload = await compileWorkload(workloadSpec(trace, flags), names);
  const totalS = Math.ceil(workload.durationMs / 1000);
  const bar = progressBar('replay (s)', totalS, showProgress);
  try {
    return await replay({
      controller,
      client: clientOptions(g),
      workload,
      ...(flags.sloMs !== undefined ? { sloMs: flags.sloMs } : {}),
      ...(flags.out ? { outDir: flags.out } : {}),
      onProgress: (ms) => bar.update(Math.min(totalS, Math.floor(ms / 1000))),
    });
  } finally {
    bar.stop();
  }
}

export function registerReplay(program: Command, ctx: CliContext): void {
  addWorkloadFlags(program.command('replay').description('replay a trace or synthetic workload open-loop against a live controller'))
    .addOption(new Option('--slo-ms <ms>', "SLO of every request (default: each model's default)").argParser(parseMs))
    .option('--out <dir>', 'write requests.jsonl, summary.json and report.svg here')
    .action(async (trace: string | undefined, flags: ReplayFlags, cmd: Command) => {
      const g = globalsOf(cmd);
      const s = await runReplay(trace, flags, g, g.controller, interactive(ctx.io.stderr, g));
      if (g.json) ctx.io.stdout.write(JSON.stringify(s) + '\n');
      else {
        ctx.io.stdout.write(renderSummary(`replayed against ${g.controller}`, s));
        const lag = s.generator;
        ctx.io.stdout.write(`generator lag p50 ${lag.lag_p50_ms.toFixed(2)} ms, p99 ${lag.lag_p99_ms.toFixed(2)} ms, max ${lag.lag_max_ms.toFixed(1)} ms (${lag.late_sends_over_5ms} sends more than 5 ms late)\n`);
        if (flags.out) ctx.io.stdout.write(`wrote ${flags.out}/requests.jsonl, summary.json, report.svg\n`);
      }
    });
}
