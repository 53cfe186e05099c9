// `punctual worker`: runs a worker in this process, dialing the controller
// named by the global --controller, until SIGINT or SIGTERM.
import fs from 'node:fs';
import { Option, type Command } from 'commander';
import type { Device } from '../../common/device.js';
import { readTlsPair } from '../../common/metrics-server.js';
import { integerIn, parseDevice, parseMemorySize, parseMemorySizeOrZero } from '../args.js';
import { globalsOf, type CliContext } from '../context.js';
import { formatBytes } from '../format.js';
import { addMetricsFlags, type MetricsFlags } from '../metrics-flags.js';
import { untilStopped } from '../shutdown.js';

export interface WorkerFlags {
  executors: number;
  threads: number;
  lanes?: number;
  memory: number;
  device: Device;
  name?: string;
}

/** Flags only `punctual worker` itself takes (`up` sets them for its workers). */
interface WorkerOnlyFlags extends WorkerFlags, MetricsFlags {
  metricsPort: number;
  healthPort: number;
  listenHost: string;
  drainTimeout: number;
  logLevel?: string;
  memArena?: boolean;
  trimAllowance?: number | false;
  spinWait: boolean;
  dataPort: number;
  dataHost?: string;
  dataAdvertise?: string;
  stageWaitMs?: number;
  dataTlsCert?: string;
  dataTlsKey?: string;
}

/** A size (0 allowed), or 'off'. */
function sizeOrOff(v: string): number | false {
  return v === 'off' ? false : parseMemorySizeOrZero(v);
}

/** A port, or -1 for off. */
function portOrOff(v: string): number {
  return v === '-1' ? -1 : integerIn(0, 65535)(v);
}

/** The worker flags, shared with `up`, which passes them on to its workers. */
export function addWorkerFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option('--executors <n>', 'executors (one inference at a time each)').argParser(integerIn(1, 256)).default(1))
    .addOption(new Option('--threads <n>', "intra-op threads per session: the default, and the most a model's own count (its profile's bestThreads, its config's threads) gets").argParser(integerIn(1, 1024)).default(1))
    .addOption(new Option('--lanes <n>', 'session threads per executor (2 or more: loads run beside inferences; default 2 on cpu and emulated, 1 on cuda)').argParser(integerIn(1, 8)))
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
  const cmd = addWorkerFlags(program.command('worker').description('run a worker: executors that run what the controller schedules'))
    .option('--name <name>', 'name shown in status (default hostname:pid)')
    .addOption(new Option('--metrics-port <port>', 'Prometheus /metrics port (0 picks a free one, -1 turns it off)').argParser(portOrOff).default(9465))
    .addOption(new Option('--health-port <port>', 'gRPC port serving grpc.health.v1.Health (0 picks a free one, -1 turns it off)').argParser(portOrOff).default(9466))
    .option('--listen-host <host>', 'address the metrics and health ports listen on', '127.0.0.1')
    .option('--mem-arena', "onnxruntime's CPU memory arena and memory patterns on: faster large batches, but sessions grow past the memory the controller books")
    .addOption(
      new Option('--trim-allowance <size>', "hand released sessions' memory back to the system (glibc's malloc_trim) while RSS is over its start + --memory + cached model bytes + this; 'off' never (default 128MiB; off with --device emulated)").argParser(sizeOrOff),
    )
    .option('--no-spin-wait', "onnxruntime's intra-op threads do not spin-wait between runs: with --threads 2 or more on a machine the request path shares")
    .addOption(new Option('--data-port <port>', "the data plane: clients send the tensors of requests dispatched here to this port instead of through the controller (0 picks a free one, -1 turns it off)").argParser(portOrOff).default(-1))
    .option('--data-host <host>', 'address the data port listens on (default: --listen-host)')
    .option('--data-advertise <host:port>', 'address clients are told to send to (default: the data port as it listens; the hostname when on every address)')
    .option('--data-tls-cert <file>', 'TLS certificate chain (PEM) of the data port: clients then connect to it with TLS (what a controller with TLS needs)')
    .option('--data-tls-key <file>', 'TLS private key (PEM) of the data port')
    .addOption(new Option('--stage-wait-ms <ms>', 'how long past its start a batch waits for tensors staged over the data plane, at most (default: its whole start window)').argParser(integerIn(1, 60_000)))
    .addOption(new Option('--drain-timeout <s>', 'on SIGTERM, seconds to wait for actions in flight before leaving').argParser(integerIn(0, 3600)).default(10))
    .addOption(new Option('--log-level <level>', 'trace, debug, info, warn, error or silent (env PUNCTUAL_LOG_LEVEL)').choices(['trace', 'debug', 'info', 'warn', 'error', 'silent']));
  addMetricsFlags(cmd, ctx.io.env)
    .action(async (flags: WorkerOnlyFlags, cmd: Command) => {
      const { controller, token, tlsCa } = globalsOf(cmd);
      const { startWorker } = await import('../../worker/worker.js');
      const metricsTls = readTlsPair(flags.metricsTlsCert, flags.metricsTlsKey);
      const dataTls = readTlsPair(flags.dataTlsCert, flags.dataTlsKey, '--data-tls-cert and --data-tls-key');
      const handle = await startWorker({
        controller,
        executors: flags.executors,
        threads: flags.threads,
        lanes: flags.lanes,
        memoryBytes: flags.memory,
        device: flags.device,
        metricsPort: flags.metricsPort,
        healthPort: flags.healthPort,
        listenHost: flags.listenHost,
        ...(flags.metricsToken ? { metricsToken: flags.metricsToken } : {}),
        ...(metricsTls ? { metricsTls } : {}),
        ...(flags.logLevel ? { logLevel: flags.logLevel } : {}),
        ...(flags.memArena ? { memArena: true } : {}),
        ...(flags.trimAllowance !== undefined ? { trimAllowanceBytes: flags.trimAllowance } : {}),
        ...(flags.spinWait === false ? { spinWait: false } : {}),
        ...(flags.name !== undefined ? { name: flags.name } : {}),
        ...(flags.dataPort >= 0 ? { dataPort: { port: flags.dataPort, host: flags.dataHost ?? flags.listenHost, ...(flags.stageWaitMs !== undefined ? { stageWaitMs: flags.stageWaitMs } : {}), ...(flags.dataAdvertise ? { advertise: flags.dataAdvertise } : {}), ...(dataTls ? { tls: dataTls } : {}) } } : {}),
        ...(token ? { token } : {}),
        ...(tlsCa ? { tlsCa: fs.readFileSync(tlsCa) } : {}),
      });
      ctx.io.stdout.write(JSON.stringify({ event: 'worker_listening', host: flags.listenHost, metricsPort: handle.metricsPort ?? null, healthPort: handle.healthPort ?? null, dataAddress: handle.dataAddress ?? null }) + '\n');
      ctx.io.stderr.write(`punctual worker${flags.name ? ` ${flags.name}` : ''} (${describeWorker(flags)}) serving controller ${controller}; Ctrl-C stops it\n`);
      const sig = await untilStopped(ctx.io.stderr);
      ctx.io.stderr.write(`${sig}: draining the worker (at most ${flags.drainTimeout} s), then closing\n`);
      await handle.drain(flags.drainTimeout * 1000);
      await handle.close();
      ctx.exitCode = 0;
    });
}
