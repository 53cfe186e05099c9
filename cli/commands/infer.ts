// `punctual infer MODEL`: sends random input of the model's declared shape
// and dtype (from ListModels); with --batch B, B single-item requests at once
// so the controller may batch them. Exit status 1 if any request failed.
// In a ring of controllers, every call goes to the model's owner, whichever
// member --controller names (cli/ring-route.ts).
import { status as Status } from '@grpc/grpc-js';
import { Option, type Command } from 'commander';
import { PunctualClient, type InferResult } from '../../client/client.js';
import { ModelNotFoundError } from '../../client/errors.js';
import { randomInputs } from '../../traces/random-input.js';
import { integerIn, parseMs } from '../args.js';
import { clientOptions, globalsOf, interactive, type CliContext } from '../context.js';
import { buildInferReport, inferExitCode, renderInferHuman, type RequestOutcome } from '../infer-report.js';
import { learnRoute } from '../ring-route.js';

interface InferFlags {
  sloMs?: number;
  batch: number;
  version?: number;
}

/**
 * How long past the SLO the CLI waits for an answer. The controller answers
 * or rejects within the SLO; this only bounds the wait on a hung server.
 */
const DEADLINE_MARGIN_MS = 30_000;

export function registerInfer(program: Command, ctx: CliContext): void {
  program
    .command('infer')
    .description("send random input of the model's declared shape and print the outputs")
    .argument('<model>', 'registered model name')
    .addOption(new Option('--slo-ms <ms>', "latency objective (default: the model's default SLO)").argParser(parseMs))
    .addOption(new Option('--batch <n>', 'send n single-item requests at once').argParser(integerIn(1, 4096)).default(1))
    .addOption(new Option('--version <v>', 'pin a model version (default: newest)').argParser(integerIn(1, Number.MAX_SAFE_INTEGER)))
    .action(async (model: string, flags: InferFlags, cmd: Command) => {
      const g = globalsOf(cmd);
      const address = (await learnRoute(g)).owner(model).address;
      const client = new PunctualClient(address, clientOptions(g));
      try {
        const models = await client.listModels();
        const candidates = models.filter((m) => m.name === model && (flags.version === undefined || m.version === flags.version));
        const info = candidates.sort((a, b) => b.version - a.version)[0];
        if (!info) {
          const known = [...new Set(models.map((m) => m.name))].join(', ') || 'none';
          const which = flags.version === undefined ? model : `${model} version ${flags.version}`;
          throw new ModelNotFoundError(Status.NOT_FOUND, `model ${which} is not registered at ${address} (registered: ${known})`);
        }
        const sloMs = flags.sloMs ?? (info.defaultSloMs > 0 ? info.defaultSloMs : undefined);
        const options = {
          version: info.version,
          deadlineMs: (sloMs ?? 0) + DEADLINE_MARGIN_MS,
          ...(sloMs !== undefined ? { sloMs } : {}),
        };
        const inputs = randomInputs(info.inputs);
        const outcomes = await Promise.all(
          Array.from({ length: flags.batch }, async (): Promise<RequestOutcome> => {
            const start = performance.now();
            try {
              const result: InferResult = await client.infer(model, inputs, options);
              return { latencyMs: result.latencyMs, result };
            } catch (error) {
              return { latencyMs: performance.now() - start, error };
            }
          }),
        );
        const report = buildInferReport(model, outcomes, sloMs);
        ctx.io.stdout.write((g.json ? JSON.stringify(report) : renderInferHuman(report, interactive(ctx.io.stdout, g))) + '\n');
        ctx.exitCode = inferExitCode(report);
      } finally {
        client.close();
      }
    });
}
