// `punctual profile MODEL`: profiles a registered model again on the
// controller's machine (exec time per batch size, load time, memory, and
// 1..T intra-op threads), stores it as the model's profile and prints it.
// The controller streams progress; a bar shows it on a terminal. In a ring
// of controllers, the model's owner profiles it (cli/ring-route.ts).
import { Option, type Command } from 'commander';
import { PunctualAdmin } from '../../client/admin.js';
import { integerIn } from '../args.js';
import { clientOptions, globalsOf, interactive, type CliContext } from '../context.js';
import { renderProfile } from '../models-view.js';
import { progressBar, type Progress } from '../progress.js';
import { learnRoute } from '../ring-route.js';
import { parseIntList } from './models.js';

interface ProfileFlags {
  batchSizes?: number[];
  iterations?: number;
  maxThreads?: number;
  version?: number;
}

export function registerProfile(program: Command, ctx: CliContext): void {
  program
    .command('profile')
    .description("measure a model's exec time per batch size and thread count on the controller's machine, and store it")
    .argument('<model>', 'model name')
    .addOption(new Option('--batch-sizes <list>', "batch sizes, e.g. 1,2,4,8 (default: the model's)").argParser(parseIntList))
    .addOption(new Option('--iterations <n>', 'timed runs per batch size (default 20)').argParser(integerIn(1, 10_000)))
    .addOption(new Option('--max-threads <t>', "measure 1..t intra-op threads (default: the controller's cores)").argParser(integerIn(1, 256)))
    .addOption(new Option('--version <v>', 'model version (default: newest)').argParser(integerIn(1, 999_999_999)))
    .action(async (model: string, flags: ProfileFlags, cmd: Command) => {
      const g = globalsOf(cmd);
      const admin = new PunctualAdmin((await learnRoute(g)).owner(model).address, clientOptions(g));
      // The total is known from the first progress event.
      let bar: Progress | undefined;
      try {
        if (!g.json) ctx.io.stderr.write(`profiling ${model} on the controller's machine …\n`);
        const res = await admin.profile(model, {
          ...(flags.version !== undefined ? { version: flags.version } : {}),
          ...(flags.batchSizes ? { batchSizes: flags.batchSizes } : {}),
          ...(flags.iterations !== undefined ? { iterations: flags.iterations } : {}),
          ...(flags.maxThreads !== undefined ? { maxThreads: flags.maxThreads } : {}),
          onProgress: (p) => {
            bar ??= progressBar(`profiling ${model} (runs)`, p.total, interactive(ctx.io.stderr, g));
            bar.update(p.done);
          },
        });
        bar?.stop();
        bar = undefined;
        ctx.io.stdout.write((g.json ? JSON.stringify(res, null, 2) : `${res.model} v${res.version}\n${renderProfile(res.profile)}`) + '\n');
        ctx.exitCode = 0;
      } finally {
        bar?.stop();
        admin.close();
      }
    });
}
