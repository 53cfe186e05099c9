// `punctual trace generate`: writes a small Azure Functions-format trace
// (seeded) to a file or stdout, for trying replay and simulate.
import fs from 'node:fs';
import { Option, type Command } from 'commander';
import { generateAzureTrace } from '../../traces/generate-trace.js';
import { integerIn } from '../args.js';
import type { CliContext } from '../context.js';

interface GenerateFlags {
  functions: number;
  minutes: number;
  peak: number;
  variant: 'azure' | 'minute';
  seed: number;
  out?: string;
}

export function registerTrace(program: Command, ctx: CliContext): void {
  const trace = program.command('trace').description('trace utilities');
  trace
    .command('generate')
    .description('write a small trace in the Azure Functions 2019 format')
    .addOption(new Option('--functions <n>', 'rows (functions)').argParser(integerIn(1, 1_000_000)).default(12))
    .addOption(new Option('--minutes <n>', 'minute columns').argParser(integerIn(1, 1440)).default(10))
    .addOption(new Option('--peak <n>', 'mean invocations per minute of the busiest function').argParser(integerIn(0, 10_000_000)).default(600))
    .addOption(new Option('--variant <v>', "header: 'azure' (1..N, Trigger) or 'minute' (minute_1.., no Trigger, reordered)").choices(['azure', 'minute']).default('azure'))
    .addOption(new Option('--seed <n>', 'random seed').argParser(integerIn(0, 2 ** 31 - 1)).default(1))
    .option('--out <file>', 'write here instead of stdout')
    .action((flags: GenerateFlags) => {
      const text = generateAzureTrace({ functions: flags.functions, minutes: flags.minutes, peakPerMinute: flags.peak, variant: flags.variant, seed: flags.seed });
      if (flags.out) fs.writeFileSync(flags.out, text);
      else ctx.io.stdout.write(text);
    });
}
