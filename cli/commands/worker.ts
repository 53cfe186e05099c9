// `punctual worker`: runs a worker in this process, dialing the controller
// named by the global --controller, until SIGINT or SIGTERM.
import fs from 'node:fs';
import { Option, type Command } from 'commander';
import type { Device } from '../../worker/ort-session.js';
import { integerIn, parseDevice, parseMemorySize } from '../args.js';
import { globalsOf, type CliContext } from '../context.js';
import { formatBytes } from '../format.js';
import { untilStopped } from '../shutdown.js';

export interface WorkerFlags {
  executors: number;
  threads: number;
  memory: number;
  device: Device;
  name?: string;
}

/** The worker flags, shared with `up`, which passes them on to its workers. */
export function addWorkerFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option('--executors <n>', 'executors (one inference at a time each)').argParser(integerIn(1, 256)).default(1))
    .addOption(new Option('--threads <n>', 'intra-op threads per executor').argParser(integerIn(1, 1024)).default(1))
    .addOption(
      new Option('--memory <size>', 'memory for loaded models, whole worker (e.g. 512MiB, 2GiB, bytes)')
        .argParser(parseMemorySize)
        .default(2 * 2 ** 30, '2GiB'),
    )
    .addOption(new Option('--device <device>', 'cpu, cuda:N or emulated').argParser(parseDevice).default('cpu'));
}

export function describeWorker(f: WorkerFlags): string {
  const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;
  return `${plural(f.executors, 'executor')} × ${plural(f.threads, 'thread')}, ${formatBytes(f.memory)}, ${f.device}`;
}

export function registerWorker(program: Command, ctx: CliContext): void {
  addWorkerFlags(program.command('worker').description('run a worker: executors that run what the controller schedules'))
    .option('--name <name>', 'name shown in status (default hostname:pid)')
    .action(async (flags: WorkerFlags, cmd: Command) => {
      const { controller, token, tlsCa } = globalsOf(cmd);
      const { startWorker } = await import('../../worker/worker.js');
      const handle = await startWorker({
        controller,
        executors: flags.executors,
        threads: flags.threads,
        memoryBytes: flags.memory,
        device: flags.device,
        ...(flags.name !== undefined ? { name: flags.name } : {}),
        ...(token ? { token } : {}),
        ...(tlsCa ? { tlsCa: fs.readFileSync(tlsCa) } : {}),
      });
      ctx.io.stderr.write(`punctual worker${flags.name ? ` ${flags.name}` : ''} (${describeWorker(flags)}) serving controller ${controller}; Ctrl-C stops it\n`);
      const sig = await untilStopped(ctx.io.stderr);
      ctx.io.stderr.write(`${sig}: closing the worker\n`);
      await handle.close();
      ctx.exitCode = 0;
    });
}
