// `punctual up`: a whole cluster on this machine in one command. Builds the
// default model repository on first run, starts the controller in this
// process and N workers as child processes (this same CLI, `worker`), waits
// until they are connected, and says how to use it. Ctrl-C / SIGTERM stops
// the workers, then the controller, and exits 0.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Option, type Command } from 'commander';
import { PunctualClient, type ClusterStatus, type ModelInfo } from '../../client/client.js';
import { SERVER_NODE_FLAGS } from '../../common/node-flags.js';
import { integerIn, parsePort } from '../args.js';
import { clientOptions, globalsOf, interactive, type CliContext, type GlobalOptions } from '../context.js';
import { formatMs, formatShape } from '../format.js';
import { progressBar } from '../progress.js';
import { untilStopped } from '../shutdown.js';
import { WorkerSupervisor } from '../supervisor.js';
import { addWorkerFlags, describeWorker, type WorkerFlags } from './worker.js';
import { addSecurityFlags, policyOption, securityOptions, type SecurityFlags } from './controller.js';
import type { Policy } from '../../controller/scheduler/policy.js';

interface UpFlags extends WorkerFlags, SecurityFlags {
  port: number;
  host: string;
  workers: number;
  repo: string;
  connectTimeout: number;
  metricsPort: number;
  policy: Policy;
}

/** The compiled CLI entry, which the workers run. */
const MAIN_JS = fileURLToPath(new URL('../main.js', import.meta.url));

const POLL_MS = 250;

type WaitResult = 'ready' | 'timeout' | 'workers_gave_up' | 'interrupted';

/** Polls ClusterStatus until `want` workers are connected, or it cannot happen. */
async function waitForWorkers(
  client: PunctualClient,
  want: number,
  timeoutMs: number,
  supervisor: WorkerSupervisor,
  interrupted: () => boolean,
  onProgress: (connected: number) => void,
): Promise<{ result: WaitResult; status?: ClusterStatus }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (interrupted()) return { result: 'interrupted' };
    try {
      const status = await client.clusterStatus();
      onProgress(status.workers.length);
      if (status.workers.length >= want) return { result: 'ready', status };
    } catch {
      // the controller is up in this very process; a failed poll is retried
    }
    if (supervisor.gaveUp() === want) return { result: 'workers_gave_up' };
    if (performance.now() > deadline) return { result: 'timeout' };
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function modelLine(m: ModelInfo): string {
  const inputs = m.inputs.map((s) => `${s.name} ${s.dtype}${formatShape(s.shape)}`).join(', ');
  return `${m.name} v${m.version}  ${inputs}  max batch ${m.maxBatch}, default SLO ${formatMs(m.defaultSloMs)}`;
}

function readyText(address: string, repoDir: string, flags: UpFlags, models: readonly ModelInfo[]): string {
  const example = models.find((m) => m.name === 'det')?.name ?? models[0]?.name ?? 'MODEL';
  const lines = [
    'Punctual is up.',
    `  controller  ${address}  (repository ${repoDir})`,
    `  workers     ${flags.workers} × (${describeWorker(flags)})`,
    `  models      ${models.length === 0 ? 'none registered' : modelLine(models[0]!)}`,
    ...models.slice(1).map((m) => `              ${modelLine(m)}`),
    'Try:',
    `  punctual infer ${example} --controller ${address}`,
    `  punctual status --controller ${address}`,
    'Ctrl-C stops everything.',
  ];
  return lines.join('\n') + '\n';
}

function workerArgs(address: string, flags: UpFlags, index: number): string[] {
  return [
    MAIN_JS,
    '--controller',
    address,
    'worker',
    '--executors',
    String(flags.executors),
    '--threads',
    String(flags.threads),
    '--memory',
    String(flags.memory),
    '--device',
    flags.device,
    '--name',
    `local-${index + 1}`,
    // Several workers on one machine: free ports, no clashes (each logs its own).
    '--metrics-port',
    '0',
    '--health-port',
    '0',
  ];
}

async function up(flags: UpFlags, g: GlobalOptions, ctx: CliContext): Promise<void> {
  const { stdout, stderr } = ctx.io;
  const repoDir = path.resolve(flags.repo);
  const firstRun = !fs.existsSync(repoDir) || fs.readdirSync(repoDir).length === 0;
  if (firstRun) stderr.write(`First run: building the default model repository in ${repoDir} …\n`);
  const { ensureDefaultRepository } = await import('../../controller/default-repository.js');
  if (await ensureDefaultRepository(repoDir)) stderr.write(`Built the default model repository in ${repoDir}.\n`);

  const signal = untilStopped(stderr);
  let interrupted = false;
  if (!g.json) stderr.write('Starting the controller (it profiles models it has not seen before) …\n');
  const { startController } = await import('../../controller/controller.js');
  const controller = await startController({ port: flags.port, host: flags.host, metricsPort: flags.metricsPort, repoDir, policy: flags.policy, ...securityOptions(flags) });
  const dialHost = flags.host === '0.0.0.0' || flags.host === '::' ? '127.0.0.1' : flags.host;
  const address = `${dialHost.includes(':') ? `[${dialHost}]` : dialHost}:${controller.port}`;
  if (g.json) stdout.write(JSON.stringify({ event: 'listening', port: controller.port }) + '\n');
  else stderr.write(`Controller listening on ${address}; starting ${flags.workers} worker(s) …\n`);

  const supervisor = new WorkerSupervisor({
    count: flags.workers,
    // Own process group: a terminal's Ctrl-C reaches only `up`, which stops the
    // workers itself. The IPC channel tells a worker when `up` is gone.
    // The worker's token travels in its environment, not on its command line.
    spawn: (i) =>
      spawn(process.execPath, [...SERVER_NODE_FLAGS, ...workerArgs(address, flags, i)], {
        stdio: ['ignore', 2, 'inherit', 'ipc'],
        detached: true,
        env: { ...process.env, PUNCTUAL_TOKEN: flags.workerToken ?? flags.adminToken ?? '', PUNCTUAL_TLS_CA: g.tlsCa ?? '' },
      }),
    log: (line) => stderr.write(`${line}\n`),
  });
  const client = new PunctualClient(address, { ...clientOptions(g), ...(flags.adminToken ? { token: flags.adminToken } : {}) });
  const shutdown = async (): Promise<void> => {
    // Drain first: accepted requests finish on the workers before they go.
    await controller.drain(10_000);
    await supervisor.stop();
    client.close();
    await controller.close();
  };
  try {
    supervisor.start();
    const bar = progressBar('workers connected', flags.workers, interactive(stderr, g));
    const interruptedNow = signal.then(() => {
      interrupted = true;
      return { result: 'interrupted' as const };
    });
    const waited = await Promise.race([
      waitForWorkers(client, flags.workers, flags.connectTimeout * 1000, supervisor, () => interrupted, (n) => bar.update(n)),
      interruptedNow,
    ]);
    bar.stop();
    if (waited.result === 'interrupted') {
      stderr.write('Interrupted: stopping.\n');
      ctx.exitCode = 0;
      return;
    }
    if (waited.result !== 'ready' || !waited.status) {
      const why =
        waited.result === 'timeout'
          ? `the workers did not all connect within ${flags.connectTimeout} s`
          : 'every worker rejected its arguments';
      stderr.write(`error: ${why} (see the worker messages above); stopping.\n`);
      if (g.json) stdout.write(JSON.stringify({ status: 'UNAVAILABLE', message: why }) + '\n');
      ctx.exitCode = 1;
      return;
    }
    const models = waited.status.models;
    if (g.json) {
      const summary = { event: 'ready', controller: address, workers: waited.status.workers.length, models: models.map((m) => ({ name: m.name, version: m.version })) };
      stdout.write(JSON.stringify(summary) + '\n');
    } else {
      stdout.write(readyText(address, repoDir, flags, models));
    }
    const sig = await signal;
    stderr.write(`${sig}: stopping the workers and the controller …\n`);
    ctx.exitCode = 0;
  } finally {
    await shutdown();
  }
}

export function registerUp(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('up')
    .description('start a controller and local workers in one command (the single-machine default)')
    .addOption(new Option('--port <port>', 'controller port (0 picks a free one)').argParser(parsePort).default(7000))
    .option('--host <host>', 'address the controller listens on', '127.0.0.1')
    .addOption(new Option('--workers <n>', 'local worker processes').argParser(integerIn(1, 64)).default(1))
    .option('--repo <dir>', 'model repository', path.join('.punctual', 'repo'))
    .addOption(new Option('--metrics-port <port>', "the controller's Prometheus /metrics port (0 picks a free one)").argParser(parsePort).default(9464))
    .addOption(new Option('--connect-timeout <s>', 'seconds to wait for the workers to connect').argParser(integerIn(1, 3600)).default(120))
    .addOption(policyOption());
  addSecurityFlags(addWorkerFlags(cmd), ctx.io.env).action(async (flags: UpFlags, c: Command) => up(flags, globalsOf(c), ctx));
}
