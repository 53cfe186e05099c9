// `punctual replay`: drives a live server open-loop from a trace or a
// synthetic workload and writes requests.jsonl, summary.json and report.svg.
// The server is a Punctual controller spoken to in its own protocol (the
// default), or any Open Inference Protocol server (Triton, KServe, MLServer,
// Punctual's own V2 endpoints) over gRPC or HTTP: --protocol v2, --target.
import fs from 'node:fs';
import { Option, type Command } from 'commander';
import { replay, type ReplaySummary } from '../../traces/replay.js';
import { openTarget } from '../../traces/targets/open-target.js';
import { parseTarget, PROTOCOLS, TargetSyntaxError, TRANSPORTS, type Protocol, type TargetSpec, type Transport } from '../../traces/targets/target-url.js';
import { ENCODINGS, SLO_AS, type Encoding, type SloAs } from '../../traces/targets/v2-options.js';
import { compileWorkload } from '../../traces/workload.js';
import { integerIn, parseMs } from '../args.js';
import { globalsOf, interactive, type CliContext, type GlobalOptions } from '../context.js';
import { progressBar } from '../progress.js';
import { renderSummary } from '../summary-view.js';
import { addWorkloadFlags, workloadSpec, type WorkloadFlags } from '../workload-flags.js';

/** How requests travel to a V2 server (addV2Flags). */
export interface V2Flags {
  encoding: Encoding;
  sloAs: SloAs;
  connections: number;
}

export interface ReplayFlags extends WorkloadFlags, V2Flags {
  sloMs?: number;
  out?: string;
  protocol?: Protocol;
  target?: string;
  transport?: Transport;
}

/** How requests travel to a V2 server, for commands that replay against one (replay, compare --targets). */
export function addV2Flags(cmd: Command): Command {
  return cmd
    .addOption(new Option('--encoding <encoding>', 'v2 over HTTP: tensors as the binary-data extension or as JSON').choices([...ENCODINGS]).default('binary'))
    .addOption(new Option('--slo-as <how>', 'v2: the SLO as the `timeout` parameter (µs), the client deadline, both, or none').choices([...SLO_AS]).default('timeout'))
    .addOption(new Option('--connections <n>', 'v2 over HTTP: most keep-alive connections to the server').argParser(integerIn(1, 65536)).default(512));
}

/** Where and how `replay` sends. */
function addTargetFlags(cmd: Command): Command {
  return addV2Flags(
    cmd
      .addOption(new Option('--protocol <protocol>', "punctual (Punctual's own, gRPC) or v2 (Open Inference Protocol: Triton, KServe, MLServer) (default: punctual, v2 with --target)").choices([...PROTOCOLS]))
      .option('--target <url>', 'server to replay against instead of --controller: grpc://HOST:PORT, grpcs://…, http://HOST[:PORT][/PREFIX], https://…')
      .addOption(new Option('--transport <transport>', 'with --protocol v2 and a scheme-less address: grpc or http (default grpc)').choices([...TRANSPORTS])),
  );
}

/** The target the flags name; `controller` stands in for --controller (compare passes a cluster's address). */
export function targetOf(flags: Pick<ReplayFlags, 'protocol' | 'target' | 'transport'>, g: GlobalOptions, controller = g.controller): TargetSpec {
  return parseTarget({
      ...(flags.target !== undefined ? { target: flags.target } : {}),
      ...(flags.protocol !== undefined ? { protocol: flags.protocol } : {}),
      ...(flags.transport !== undefined ? { transport: flags.transport } : {}),
      controller,
      tlsCa: g.tlsCa !== undefined,
    });
}

/** Runs an action whose flags are checked as it goes: a TargetSyntaxError is a usage error (printed, exit 2), as a bad flag is. */
export async function withUsageErrors(cmd: Command, action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (err) {
    if (err instanceof TargetSyntaxError) cmd.error(`error: ${err.message}`);
    throw err;
  }
}

/**
 * One replay against `spec` (shared with `compare`). `models`, when given,
 * overrides --models and the server's list, so that runs against several
 * servers map the workload onto the same models in the same order.
 */
export type RunReplayFlags = WorkloadFlags & V2Flags & { sloMs?: number; out?: string };

export async function runReplay(trace: string | undefined, flags: RunReplayFlags, g: GlobalOptions, spec: TargetSpec, showProgress: boolean, models?: readonly string[]): Promise<ReplaySummary> {
  if (spec.transport === 'grpc' && flags.encoding !== 'binary') throw new TargetSyntaxError('--encoding json is for V2 over HTTP; over gRPC the tensors go as raw_input_contents');
  if (spec.protocol === 'punctual' && flags.sloAs !== 'timeout') throw new TargetSyntaxError("--slo-as is for --protocol v2; Punctual's own protocol sends the SLO as slo_ms");
  const target = openTarget(spec, {
    ...(g.token ? { token: g.token } : {}),
    ...(g.tlsCa ? { ca: fs.readFileSync(g.tlsCa) } : {}),
    sloAs: flags.sloAs,
    encoding: flags.encoding,
    connections: flags.connections,
  });
  try {
    // A V2 server need not list its models: names given are checked by their metadata instead.
    const given = models ?? (spec.protocol === 'v2' && flags.models && flags.models.length > 0 ? flags.models : undefined);
    const names = given ? [...given] : await target.models();
    const workload = await compileWorkload(workloadSpec(trace, models ? { ...flags, models: [...models] } : flags), names);
    const totalS = Math.ceil(workload.durationMs / 1000);
    const bar = progressBar('replay (s)', totalS, showProgress);
    try {
      return await replay({
        target,
        workload,
        ...(flags.sloMs !== undefined ? { sloMs: flags.sloMs } : {}),
        ...(flags.out ? { outDir: flags.out } : {}),
        onProgress: (ms) => bar.update(Math.min(totalS, Math.floor(ms / 1000))),
      });
    } finally {
      bar.stop();
    }
  } finally {
    await target.close();
  }
}

/** The lines under a replay's table: reasons, the generator's own lag. */
export function renderReplayNotes(s: ReplaySummary): string {
  let text = '';
  for (const [outcome, byReason] of Object.entries(s.reasons)) {
    const parts = Object.entries(byReason)
      .sort((a, b) => b[1] - a[1])
      .map(([r, n]) => `${r} ${n}`);
    if (parts.length > 0) text += `${outcome} by reason: ${parts.join(', ')}\n`;
  }
  const lag = s.generator;
  text += `generator lag p50 ${lag.lag_p50_ms.toFixed(2)} ms, p99 ${lag.lag_p99_ms.toFixed(2)} ms, max ${lag.lag_max_ms.toFixed(1)} ms (${lag.late_sends_over_5ms} sends more than 5 ms late)`;
  if (lag.transport_waiting_max !== undefined) text += `; at most ${lag.transport_waiting_max} requests waited for a connection`;
  return text + '\n';
}

export function registerReplay(program: Command, ctx: CliContext): void {
  addTargetFlags(addWorkloadFlags(program.command('replay').description('replay a trace or synthetic workload open-loop against a live controller or any V2 (Open Inference Protocol) server')))
    .addOption(new Option('--slo-ms <ms>', "SLO of every request (default: each model's default; 100 ms on a V2 server)").argParser(parseMs))
    .option('--out <dir>', 'write requests.jsonl, summary.json and report.svg here')
    .action((trace: string | undefined, flags: ReplayFlags, cmd: Command) =>
      withUsageErrors(cmd, async () => {
        const g = globalsOf(cmd);
        const spec = targetOf(flags, g);
        const s = await runReplay(trace, flags, g, spec, interactive(ctx.io.stderr, g));
        if (g.json) ctx.io.stdout.write(JSON.stringify(s) + '\n');
        else {
          ctx.io.stdout.write(renderSummary(`replayed against ${spec.url}${spec.protocol === 'v2' ? ' (V2)' : ''}`, s));
          ctx.io.stdout.write(renderReplayNotes(s));
          if (flags.out) ctx.io.stdout.write(`wrote ${flags.out}/requests.jsonl, summary.json, report.svg\n`);
        }
      }),
    );
}
