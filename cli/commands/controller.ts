// `punctual controller`: runs the controller in this process until SIGINT or
// SIGTERM. Prints {"event":"listening","port":N} on stdout when ready (tests
// and scripts parse it) and a line for people on stderr.
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { parsePort } from '../args.js';
import type { CliContext } from '../context.js';
import { untilStopped } from '../shutdown.js';

interface ControllerFlags {
  port: number;
  host: string;
  repo: string;
  scheduleAheadMs: number;
  profileIterations: number;
  logLevel?: string;
}

function positiveNumber(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number`);
    return n;
  };
}

export function registerController(program: Command, ctx: CliContext): void {
  program
    .command('controller')
    .description('run the controller (scheduler, admission control, model registry) in this process')
    .addOption(new Option('--port <port>', 'port for clients and workers (0 picks a free one)').argParser(parsePort).default(7000))
    .option('--host <host>', 'address to listen on', '0.0.0.0')
    .requiredOption('--repo <dir>', 'model repository: <dir>/<model>/<version>/{model.onnx,config.json}')
    .addOption(new Option('--schedule-ahead-ms <ms>', 'keep each executor booked this far ahead').argParser(positiveNumber('--schedule-ahead-ms')).default(10))
    .addOption(
      new Option('--profile-iterations <n>', 'timed runs per batch size when a model is profiled on first sight')
        .argParser(positiveNumber('--profile-iterations'))
        .default(20),
    )
    .addOption(new Option('--log-level <level>', 'trace, debug, info, warn, error or silent (env PUNCTUAL_LOG_LEVEL)').choices(['trace', 'debug', 'info', 'warn', 'error', 'silent']))
    .action(async (flags: ControllerFlags) => {
      const { startController } = await import('../../controller/controller.js');
      const repoDir = path.resolve(flags.repo);
      const handle = await startController({
        port: flags.port,
        host: flags.host,
        repoDir,
        scheduleAheadMs: flags.scheduleAheadMs,
        profileIterations: flags.profileIterations,
        logLevel: flags.logLevel,
      });
      ctx.io.stdout.write(JSON.stringify({ event: 'listening', port: handle.port }) + '\n');
      ctx.io.stderr.write(`punctual controller listening on ${flags.host}:${handle.port} (repository ${repoDir}); Ctrl-C stops it\n`);
      const sig = await untilStopped(ctx.io.stderr);
      ctx.io.stderr.write(`${sig}: closing the controller\n`);
      await handle.close();
      ctx.exitCode = 0;
    });
}
