// `punctual trace generate`: writes a seeded Azure Functions trace (by
// default the published character of the 2019 trace; `--shape zipf-poisson`
// the original simple one; `--format 2021` one row per invocation) to a file
// or stdout. `punctual trace stats FILE`: its statistics beside the
// published figures. Both stream, with a progress bar on a terminal.
import fs from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { checkGenerateOptions, traceLines, type GenerateTraceOptions, type TraceFileFormat, type TraceShape } from '../../traces/generate-trace.js';
import { comparisonRows, traceFileStatistics } from '../../traces/trace-stats.js';
import { integerIn } from '../args.js';
import { globalsOf, interactive, type CliContext } from '../context.js';
import { renderTable } from '../format.js';
import { progressBar, type Progress } from '../progress.js';

interface GenerateFlags {
  shape: TraceShape;
  format: TraceFileFormat;
  functions: number;
  minutes: number;
  totalPerMinute?: number;
  peak?: number;
  variant: 'azure' | 'minute';
  seed: number;
  out?: string;
}

function positiveNumber(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${JSON.stringify(v)} must be a positive number.`);
  return n;
}

/** Writes the lines in ~1 MiB chunks: to a file, or to stdout. */
function writeLines(lines: Iterable<string>, write: (chunk: string) => void): number {
  let chunk = '';
  let n = 0;
  for (const line of lines) {
    chunk += line + '\n';
    n++;
    if (chunk.length >= 1 << 20) {
      write(chunk);
      chunk = '';
    }
  }
  if (chunk !== '') write(chunk);
  return n;
}

export function registerTrace(program: Command, ctx: CliContext): void {
  const trace = program.command('trace').description('trace utilities');
  trace
    .command('generate')
    .description('write a seeded Azure Functions trace (2019 per-minute format, or 2021 per-invocation)')
    .addOption(new Option('--shape <s>', "'azure': the published character of the 2019 trace; 'zipf-poisson': popularity 1/(f+1), Poisson minutes").choices(['azure', 'zipf-poisson']).default('azure'))
    .addOption(new Option('--format <f>', "'2019': a row per function, per-minute counts; '2021': a row per invocation (app,func,end_timestamp,duration)").choices(['2019', '2021']).default('2019'))
    .addOption(new Option('--functions <n>', 'functions (2019: rows, idle ones included)').argParser(integerIn(1, 1_000_000)).default(12))
    .addOption(new Option('--minutes <n>', 'minutes (2019: at most 1440; 2021: at most 20160)').argParser(integerIn(1, 20_160)).default(10))
    .addOption(new Option('--total-per-minute <n>', "--shape azure: scale the rates so the trace averages N invocations a minute (default: the published absolute rates)").argParser(positiveNumber))
    .addOption(new Option('--peak <n>', '--shape zipf-poisson: mean invocations per minute of the busiest function (default 600)').argParser(integerIn(0, 10_000_000)))
    .addOption(new Option('--variant <v>', "2019 header: 'azure' (1..N, Trigger) or 'minute' (minute_1.., no Trigger, reordered)").choices(['azure', 'minute']).default('azure'))
    .addOption(new Option('--seed <n>', 'random seed').argParser(integerIn(0, 2 ** 31 - 1)).default(1))
    .option('--out <file>', 'write here instead of stdout')
    .action((flags: GenerateFlags, cmd: Command) => {
      const g = globalsOf(cmd);
      let bar: Progress | undefined;
      const showProgress = interactive(ctx.io.stderr, g) && (flags.out !== undefined || ctx.io.stdout.isTTY !== true);
      const opts: GenerateTraceOptions = {
        shape: flags.shape,
        format: flags.format,
        functions: flags.functions,
        minutes: flags.minutes,
        ...(flags.totalPerMinute !== undefined ? { totalPerMinute: flags.totalPerMinute } : {}),
        ...(flags.peak !== undefined ? { peakPerMinute: flags.peak } : {}),
        ...(flags.format === '2019' ? { variant: flags.variant } : {}),
        seed: flags.seed,
        onProgress: (done, total) => {
          bar ??= progressBar(flags.format === '2019' ? 'generating (functions)' : 'generating (minutes)', total, showProgress);
          bar.update(done);
        },
      };
      try {
        checkGenerateOptions(opts);
      } catch (err) {
        cmd.error(`error: ${(err as Error).message}`, { exitCode: 2 });
      }
      let lines: number;
      try {
        if (flags.out) {
          const fd = fs.openSync(flags.out, 'w');
          try {
            lines = writeLines(traceLines(opts), (chunk) => fs.writeSync(fd, chunk));
          } finally {
            fs.closeSync(fd);
          }
        } else {
          lines = writeLines(traceLines(opts), (chunk) => ctx.io.stdout.write(chunk));
        }
      } finally {
        bar?.stop();
      }
      if (flags.out && g.json) ctx.io.stdout.write(JSON.stringify({ file: flags.out, shape: flags.shape, format: flags.format, lines }) + '\n');
    });
  trace
    .command('stats')
    .description('statistics of a trace (2019 or 2021 format) beside the figures published for Azure Functions 2019')
    .argument('<file>', 'trace CSV')
    .action(async (file: string, _flags: object, cmd: Command) => {
      const g = globalsOf(cmd);
      if (!fs.existsSync(file)) cmd.error(`error: ${file}: no such file`, { exitCode: 2 });
      const bar = progressBar('reading (MiB)', Math.max(1, Math.ceil(fs.statSync(file).size / 2 ** 20)), interactive(ctx.io.stderr, g));
      let stats: Awaited<ReturnType<typeof traceFileStatistics>>;
      try {
        stats = await traceFileStatistics(file, { onBytes: (b) => bar.update(Math.floor(b / 2 ** 20)) });
      } finally {
        bar.stop();
      }
      if (g.json) {
        ctx.io.stdout.write(JSON.stringify(stats, null, 2) + '\n');
        return;
      }
      ctx.io.stdout.write(
        `${file}: ${stats.format} format, ${stats.functions} functions (${stats.active_functions} active) in ${stats.apps} apps, ` +
          `${stats.minutes} minutes, ${stats.invocations} invocations (${stats.invocations_per_minute.toFixed(1)} a minute), busiest ${stats.busiest_per_minute.toFixed(1)} a minute\n\n`,
      );
      const rows = comparisonRows(stats).map((r) => [r.figure, r.value, r.published]);
      ctx.io.stdout.write(renderTable(['figure', 'this trace', 'published (Shahrad et al., ATC\'20)'], rows) + '\n');
    });
}
