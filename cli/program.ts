// The `punctual` command line: global options, subcommands, and the exit
// status policy — 0 success, 1 a failed operation (its gRPC status printed),
// 2 a usage error (unknown command or flag, bad value, a controller option
// out of range: controller/options.ts). runCli() never calls
// process.exit, so tests drive it in-process with captured output.
//
// Each subcommand's module is imported only when it is run: `punctual status`
// loads the client and nothing of the controller, the worker, onnxruntime or
// the simulator (issue 11: start-up was most of a `status` call's time). A run
// that names no command, asks for help, or puts anything but global options
// before its command loads every command, so commander answers it as before.
import { Command, CommanderError, Option } from 'commander';
import { parseAddress } from './args.js';
import { readCliConfig } from './config-file.js';
import { processIo, type CliContext, type CliIo } from './context.js';
import { describeError, errorLine, painter } from './format.js';

export const USAGE_ERROR = 2;

/** What a command module exports: adds its command (and subcommands) to the program. */
export type RegisterCommand = (program: Command, ctx: CliContext) => void;

/** Every command, in the order `punctual --help` lists them, with the import of the module that registers it. */
export const COMMANDS: ReadonlyArray<readonly [name: string, load: () => Promise<RegisterCommand>]> = [
  ['up', async () => (await import('./commands/up.js')).registerUp],
  ['controller', async () => (await import('./commands/controller.js')).registerController],
  ['worker', async () => (await import('./commands/worker.js')).registerWorker],
  ['status', async () => (await import('./commands/status.js')).registerStatus],
  ['infer', async () => (await import('./commands/infer.js')).registerInfer],
  ['models', async () => (await import('./commands/models.js')).registerModels],
  ['profile', async () => (await import('./commands/profile.js')).registerProfile],
  ['replay', async () => (await import('./commands/replay.js')).registerReplay],
  ['simulate', async () => (await import('./commands/simulate.js')).registerSimulate],
  ['compare', async () => (await import('./commands/compare.js')).registerCompare],
  ['trace', async () => (await import('./commands/trace.js')).registerTrace],
  ['ring', async () => (await import('./commands/ring.js')).registerRing],
];

/**
 * Whether `err` is a controller's option refused before it started
 * (ControllerOptionsError, controller/options.ts), a usage error like a bad
 * flag. Told by its name first, so that any other failure loads nothing of
 * the controller (a failed `punctual status` stays a client).
 */
async function isControllerOptionsError(err: unknown): Promise<boolean> {
  if (!(err instanceof Error) || err.name !== 'ControllerOptionsError') return false;
  return (await import('../controller/options.js')).isControllerOptionsError(err);
}

/** The program with its global options and no command yet. */
function rootProgram(io: CliIo): Command {
  const file = readCliConfig(io.cwd ?? process.cwd());
  return new Command('punctual')
    .description('Punctual: model serving with predictable latency')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(run punctual --help, or punctual COMMAND --help, for usage)')
    .addOption(
      new Option('--controller <host:port>', 'controller address; in a ring of controllers, any member (env PUNCTUAL_CONTROLLER)')
        .argParser(parseAddress)
        .default(io.env.PUNCTUAL_CONTROLLER || file.controller || '127.0.0.1:7000'),
    )
    .addOption(new Option('--token <token>', 'bearer token (env PUNCTUAL_TOKEN)').default(io.env.PUNCTUAL_TOKEN || file.token, 'env PUNCTUAL_TOKEN'))
    .addOption(new Option('--tls-ca <file>', 'CA certificate (PEM) of a TLS controller (env PUNCTUAL_TLS_CA)').default(io.env.PUNCTUAL_TLS_CA || file.tlsCa))
    .option('--json', 'machine-readable output', false);
}

/**
 * The command `argv` runs, when only the program's own options (and their
 * values) come before it; undefined for anything else — no command, a help
 * flag or `help`, an option the program does not know, `--`, a name that is
 * no command — for which every command is loaded.
 */
export function commandRun(program: Command, argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.length < 2 || !arg.startsWith('-')) return COMMANDS.some(([name]) => name === arg) ? arg : undefined;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const option = program.options.find((o) => o.long === flag || o.short === flag);
    if (!option || option.optional || option.negate) return undefined;
    if (option.required && eq < 0) i++; // its value is the next argument, whatever it looks like
  }
  return undefined;
}

/**
 * The program with the commands `argv` may run: the one it names (see
 * commandRun), or every command when argv is not given or names none.
 */
export async function buildProgram(ctx: CliContext, argv?: readonly string[]): Promise<Command> {
  const program = rootProgram(ctx.io);
  const only = argv ? commandRun(program, argv) : undefined;
  const registers = await Promise.all(COMMANDS.filter(([name]) => only === undefined || name === only).map(([, load]) => load()));
  for (const register of registers) register(program, ctx);
  return program;
}

/** Runs the CLI on `argv` (without node and script) and returns the exit status. */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const ctx: CliContext = { io, exitCode: 0 };
  const json = argv.includes('--json');
  try {
    const program = await buildProgram(ctx, argv);
    await program.parseAsync([...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return 0; // --help
      if (json) io.stdout.write(JSON.stringify({ status: 'INVALID_ARGUMENT', message: err.message.replace(/^error: /, '') }) + '\n');
      return USAGE_ERROR;
    }
    if (await isControllerOptionsError(err)) {
      const message = (err as Error).message;
      if (json) io.stdout.write(JSON.stringify({ status: 'INVALID_ARGUMENT', message }) + '\n');
      else io.stderr.write(`${painter(io.stderr.isTTY === true)('red', 'error')}: ${message}\n`);
      return USAGE_ERROR;
    }
    const report = describeError(err);
    if (json) io.stdout.write(JSON.stringify(report) + '\n');
    else io.stderr.write(errorLine(report, painter(io.stderr.isTTY === true)) + '\n');
    return 1;
  }
}
