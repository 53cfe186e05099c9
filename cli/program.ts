// The `punctual` command line: global options, subcommands, and the exit
// status policy — 0 success, 1 a failed operation (its gRPC status printed),
// 2 a usage error (unknown command or flag, bad value). runCli() never calls
// process.exit, so tests drive it in-process with captured output.
import { Command, CommanderError, Option } from 'commander';
import { parseAddress } from './args.js';
import { readCliConfig } from './config-file.js';
import { registerCompare } from './commands/compare.js';
import { registerController } from './commands/controller.js';
import { registerInfer } from './commands/infer.js';
import { registerModels } from './commands/models.js';
import { registerProfile } from './commands/profile.js';
import { registerReplay } from './commands/replay.js';
import { registerSimulate } from './commands/simulate.js';
import { registerStatus } from './commands/status.js';
import { registerTrace } from './commands/trace.js';
import { registerUp } from './commands/up.js';
import { registerWorker } from './commands/worker.js';
import { processIo, type CliContext, type CliIo } from './context.js';
import { describeError, errorLine, painter } from './format.js';

export const USAGE_ERROR = 2;

export function buildProgram(ctx: CliContext): Command {
  const { io } = ctx;
  const file = readCliConfig(io.cwd ?? process.cwd());
  const program = new Command('punctual')
    .description('Punctual: model serving with predictable latency')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(run punctual --help, or punctual COMMAND --help, for usage)')
    .addOption(
      new Option('--controller <host:port>', 'controller address (env PUNCTUAL_CONTROLLER)')
        .argParser(parseAddress)
        .default(io.env.PUNCTUAL_CONTROLLER || file.controller || '127.0.0.1:7000'),
    )
    .addOption(new Option('--token <token>', 'bearer token (env PUNCTUAL_TOKEN)').default(io.env.PUNCTUAL_TOKEN || file.token, 'env PUNCTUAL_TOKEN'))
    .addOption(new Option('--tls-ca <file>', 'CA certificate (PEM) of a TLS controller (env PUNCTUAL_TLS_CA)').default(io.env.PUNCTUAL_TLS_CA || file.tlsCa))
    .option('--json', 'machine-readable output', false);
  registerUp(program, ctx);
  registerController(program, ctx);
  registerWorker(program, ctx);
  registerStatus(program, ctx);
  registerInfer(program, ctx);
  registerModels(program, ctx);
  registerProfile(program, ctx);
  registerReplay(program, ctx);
  registerSimulate(program, ctx);
  registerCompare(program, ctx);
  registerTrace(program, ctx);
  return program;
}

/** Runs the CLI on `argv` (without node and script) and returns the exit status. */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const ctx: CliContext = { io, exitCode: 0 };
  const json = argv.includes('--json');
  try {
    await buildProgram(ctx).parseAsync([...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return 0; // --help
      if (json) io.stdout.write(JSON.stringify({ status: 'INVALID_ARGUMENT', message: err.message.replace(/^error: /, '') }) + '\n');
      return USAGE_ERROR;
    }
    const report = describeError(err);
    if (json) io.stdout.write(JSON.stringify(report) + '\n');
    else io.stderr.write(errorLine(report, painter(io.stderr.isTTY === true)) + '\n');
    return 1;
  }
}
