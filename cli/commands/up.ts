// `punctual up`: a whole cluster on this machine in one command. Builds the
// default model repository on first run, starts the controller in this
// process and N workers, waits until they are connected, and says how to use
// it. Ctrl-C / SIGTERM stops the workers, then the controller, and exits 0.
//
// The workers run in this process too (cli/in-process-workers.ts), their
// streams to the controller in-process, so tensors reach the executor threads
// without a second socket round trip. --worker-processes starts them as child
// processes instead (this same CLI, `worker`, kept alive by the supervisor):
// a crash in native code then takes down one worker, not the controller, at
// the price of that hop. Child workers carry a token of their own (the
// worker token, else a random one made here), so they always join and nobody
// else joins without a token.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Option, type Command } from 'commander';
import { PunctualClient, type ModelInfo } from '../../client/client.js';
import { SERVER_NODE_FLAGS } from '../../common/node-flags.js';
import { integerIn, parsePort } from '../args.js';
import { clientOptions, globalsOf, interactive, type CliContext, type GlobalOptions } from '../context.js';
import { formatMs, formatShape } from '../format.js';
import { progressBar } from '../progress.js';
import { untilStopped } from '../shutdown.js';
import { WorkerSupervisor } from '../supervisor.js';
import { InProcessWorkers } from '../in-process-workers.js';
import { addWorkerFlags, describeWorker, type WorkerFlags } from './worker.js';
import { addHttpFlags, addSecurityFlags, httpOptions, policyOption, refuseInsecure, securityOptions, type HttpFlags, type SecurityFlags } from './controller.js';
import { checkListenSafety } from '../../controller/listen-guard.js';
import { hostPort } from '../../common/listen-address.js';
import type { Policy } from '../../controller/scheduler/policy.js';
import type { ControllerHandle } from '../../controller/controller.js';
import type { WorkerOptions } from '../../worker/worker.js';
import { CLI_DEFAULTS, CONTROLLER_DEFAULTS } from '../../controller/options.js';

interface UpFlags extends WorkerFlags, SecurityFlags, HttpFlags {
  port: number;
  host: string;
  workers: number;
  repo: string;
  connectTimeout: number;
  metricsPort: number;
  policy: Policy;
  workerProcesses?: boolean;
}

/** What `up` needs of its workers, in this process or in child processes. */
interface LocalWorkers {
  start(): unknown;
  /** Workers that will not be (re)started. */
  gaveUp(): number;
  stop(): Promise<void>;
}

/** The compiled CLI entry, which the workers run. */
const MAIN_JS = fileURLToPath(new URL('../main.js', import.meta.url));

const POLL_MS = 250;

type WaitResult = 'ready' | 'timeout' | 'workers_gave_up' | 'interrupted';

/**
 * Watches the in-process controller until `want` workers have joined (no
 * Admin call: with an infer token only, Admin is closed), then reads the
 * models through `client` as any client would.
 */
async function waitForWorkers(
  connected: () => number,
  client: PunctualClient,
  want: number,
  timeoutMs: number,
  supervisor: LocalWorkers,
  interrupted: () => boolean,
  onProgress: (connected: number) => void,
): Promise<{ result: WaitResult; workers?: number; models?: ModelInfo[]; problem?: string }> {
  const deadline = performance.now() + timeoutMs;
  let problem: string | undefined;
  for (;;) {
    if (interrupted()) return { result: 'interrupted' };
    const workers = connected();
    onProgress(workers);
    if (workers >= want) {
      try {
        return { result: 'ready', workers, models: await client.listModels() };
      } catch (err) {
        // the controller is up in this very process; a failed read is retried
        problem = err instanceof Error ? err.message : String(err);
      }
    }
    if (supervisor.gaveUp() === want) return { result: 'workers_gave_up' };
    if (performance.now() > deadline) return { result: 'timeout', ...(problem ? { problem } : {}) };
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Which token each surface of this cluster takes, without showing any. */
function tokensText(flags: UpFlags): string | undefined {
  if (!flags.adminToken && !flags.inferToken && !flags.workerToken) return undefined;
  const infer = flags.inferToken ? 'inference needs the infer token' : 'inference is open';
  const admin = flags.adminToken ? 'Admin (status, models) needs the admin token' : 'Admin (status, models) is closed (no --admin-token)';
  return `  tokens      ${infer}; ${admin}; pass one with --token or PUNCTUAL_TOKEN`;
}

function modelLine(m: ModelInfo): string {
  const inputs = m.inputs.map((s) => `${s.name} ${s.dtype}${formatShape(s.shape)}`).join(', ');
  return `${m.name} v${m.version}  ${inputs}  max batch ${m.maxBatch}, default SLO ${formatMs(m.defaultSloMs)}`;
}

function readyText(address: string, repoDir: string, flags: UpFlags, models: readonly ModelInfo[], restUrl: string | undefined): string {
  const example = models.find((m) => m.name === 'det')?.name ?? models[0]?.name ?? 'MODEL';
  const lines = [
    'Punctual is up.',
    `  controller  ${address}  (repository ${repoDir})`,
    ...(restUrl ? [`  REST (V2)   ${restUrl}/v2  (dashboard ${restUrl}/dashboard/)`] : []),
    `  workers     ${flags.workers} × (${describeWorker(flags)})`,
    `  models      ${models.length === 0 ? 'none registered' : modelLine(models[0]!)}`,
    ...models.slice(1).map((m) => `              ${modelLine(m)}`),
    ...(tokensText(flags) ? [tokensText(flags)!] : []),
    'Try:',
    `  punctual infer ${example} --controller ${address}`,
    `  punctual status --controller ${address}`,
    'Ctrl-C stops everything.',
  ];
  return lines.join('\n') + '\n';
}

/** The metrics certificate: its own, else the controller's (as the controller's metrics use it). */
function metricsTlsFiles(flags: UpFlags): { cert: string; key: string } | undefined {
  const cert = flags.metricsTlsCert ?? (flags.metricsTlsKey ? undefined : flags.tlsCert);
  const key = flags.metricsTlsKey ?? (flags.metricsTlsCert ? undefined : flags.tlsKey);
  return cert && key ? { cert: path.resolve(cert), key: path.resolve(key) } : undefined;
}

function workerArgs(address: string, flags: UpFlags, index: number): string[] {
  const tls = metricsTlsFiles(flags);
  return [
    MAIN_JS,
    '--controller',
    address,
    'worker',
    '--executors',
    String(flags.executors),
    '--threads',
    String(flags.threads),
    ...(flags.lanes !== undefined ? ['--lanes', String(flags.lanes)] : []),
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
    // Their metrics listen where the controller's do (loopback unless --metrics-host), guarded the same way.
    '--listen-host',
    flags.metricsHost,
    '--data-port',
    '0',
    '--data-host',
    flags.host,
    ...(tls ? ['--metrics-tls-cert', tls.cert, '--metrics-tls-key', tls.key] : []),
  ];
}

/** A worker's environment: its token (not on its command line), none of the controller's own tokens. */
function workerEnv(flags: UpFlags, g: GlobalOptions, token: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PUNCTUAL_TOKEN: token, PUNCTUAL_TLS_CA: g.tlsCa ?? '' };
  delete env.PUNCTUAL_ADMIN_TOKEN;
  delete env.PUNCTUAL_INFER_TOKEN;
  delete env.PUNCTUAL_WORKER_TOKEN;
  if (flags.metricsToken) env.PUNCTUAL_METRICS_TOKEN = flags.metricsToken;
  else delete env.PUNCTUAL_METRICS_TOKEN;
  return env;
}

/** Worker `index` in this process: the flags a child worker would get, its stream to the controller in-process. */
function inProcessWorker(controller: ControllerHandle, address: string, flags: UpFlags, index: number): WorkerOptions {
  const tls = metricsTlsFiles(flags);
  return {
    controller: `${address} (in this process)`,
    dial: () => ({ Connect: () => controller.connectLocalWorker(), close: () => undefined }),
    rejoinWhenThreadDies: true,
    executors: flags.executors,
    threads: flags.threads,
    ...(flags.lanes !== undefined ? { lanes: flags.lanes } : {}),
    memoryBytes: flags.memory,
    device: flags.device,
    name: `local-${index + 1}`,
    metricsPort: 0,
    healthPort: 0,
    listenHost: flags.metricsHost,
    // The data plane, for clients that ask for it (PunctualClient dataPlane), where the controller listens.
    dataPort: { port: 0, host: flags.host },
    ...(flags.metricsToken ? { metricsToken: flags.metricsToken } : {}),
    ...(tls ? { metricsTls: { cert: fs.readFileSync(tls.cert), key: fs.readFileSync(tls.key) } } : {}),
  };
}

async function up(flags: UpFlags, g: GlobalOptions, ctx: CliContext, cmd: Command): Promise<void> {
  const { stdout, stderr } = ctx.io;
  // Before building anything; startController checks it again, as for every entry point.
  try {
    checkListenSafety(flags.host, securityOptions(flags), flags.insecure);
    if (flags.httpPort >= 0 && flags.httpHost) checkListenSafety(flags.httpHost, securityOptions(flags), flags.insecure);
  } catch (err) {
    refuseInsecure(cmd, err);
  }
  const repoDir = path.resolve(flags.repo);
  const firstRun = !fs.existsSync(repoDir) || fs.readdirSync(repoDir).length === 0;
  if (firstRun) stderr.write(`First run: building the default model repository in ${repoDir} …\n`);
  const { ensureDefaultRepository } = await import('../../controller/default-repository.js');
  if (await ensureDefaultRepository(repoDir)) stderr.write(`Built the default model repository in ${repoDir}.\n`);

  const signal = untilStopped(stderr);
  let interrupted = false;
  if (!g.json) stderr.write('Starting the controller (it profiles models it has not seen before) …\n');
  const { startController } = await import('../../controller/controller.js');
  // The workers' token: the configured worker token, else one made for them alone.
  const localWorkerToken = flags.workerToken ? undefined : crypto.randomBytes(32).toString('base64url');
  const controller = await startController({
    port: flags.port,
    host: flags.host,
    metricsPort: flags.metricsPort,
    repoDir,
    policy: flags.policy,
    ...securityOptions(flags),
    ...httpOptions(flags),
    ...(localWorkerToken ? { localWorkerToken } : {}),
  }).catch((err: unknown) => refuseInsecure(cmd, err));
  const workerToken = flags.workerToken ?? localWorkerToken ?? '';
  const dialHost = flags.host === '0.0.0.0' || flags.host === '::' ? '127.0.0.1' : flags.host;
  const address = hostPort(dialHost, controller.port);
  if (g.json) stdout.write(JSON.stringify({ event: 'listening', port: controller.port, httpPort: controller.httpPort ?? null }) + '\n');
  else stderr.write(`Controller listening on ${address}; starting ${flags.workers} worker(s) …\n`);

  const log = (line: string): void => void stderr.write(`${line}\n`);
  const supervisor: LocalWorkers = flags.workerProcesses
    ? new WorkerSupervisor({
        count: flags.workers,
        // Own process group: a terminal's Ctrl-C reaches only `up`, which stops the
        // workers itself. The IPC channel tells a worker when `up` is gone.
        // The worker's token travels in its environment, not on its command line.
        spawn: (i) =>
          spawn(process.execPath, [...SERVER_NODE_FLAGS, ...workerArgs(address, flags, i)], {
            stdio: ['ignore', 2, 'inherit', 'ipc'],
            detached: true,
            env: workerEnv(flags, g, workerToken),
          }),
        log,
      })
    : new InProcessWorkers({ count: flags.workers, options: (i) => inProcessWorker(controller, address, flags, i), log });
  // Reads the models (ListModels): the admin or the infer token is accepted when set.
  const readToken = flags.adminToken ?? flags.inferToken;
  const client = new PunctualClient(address, { ...clientOptions(g), ...(readToken ? { token: readToken } : {}) });
  const shutdown = async (): Promise<void> => {
    // Drain first: accepted requests finish on the workers before they go.
    await controller.drain();
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
      waitForWorkers(() => controller.core.workers.size, client, flags.workers, flags.connectTimeout * 1000, supervisor, () => interrupted, (n) => bar.update(n)),
      interruptedNow,
    ]);
    bar.stop();
    if (waited.result === 'interrupted') {
      stderr.write('Interrupted: stopping.\n');
      ctx.exitCode = 0;
      return;
    }
    if (waited.result !== 'ready' || !waited.models) {
      const why =
        waited.result === 'timeout'
          ? waited.problem
            ? `the models could not be read within ${flags.connectTimeout} s: ${waited.problem}`
            : `the workers did not all connect within ${flags.connectTimeout} s`
          : flags.workerProcesses
            ? 'every worker rejected its arguments'
            : 'no worker could start';
      stderr.write(`error: ${why} (see the worker messages above); stopping.\n`);
      if (g.json) stdout.write(JSON.stringify({ status: 'UNAVAILABLE', message: why }) + '\n');
      ctx.exitCode = 1;
      return;
    }
    const models = waited.models;
    if (g.json) {
      const summary = { event: 'ready', controller: address, workers: waited.workers ?? 0, models: models.map((m) => ({ name: m.name, version: m.version })) };
      stdout.write(JSON.stringify(summary) + '\n');
    } else {
      const httpHost = flags.httpHost ?? flags.host;
      const restHost = httpHost === '0.0.0.0' || httpHost === '::' ? '127.0.0.1' : httpHost;
      const restUrl = controller.httpPort === undefined ? undefined : `${flags.tlsCert ? 'https' : 'http'}://${hostPort(restHost, controller.httpPort)}`;
      stdout.write(readyText(address, repoDir, flags, models, restUrl));
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
    .addOption(new Option('--port <port>', 'controller port (0 picks a free one)').argParser(parsePort).default(CONTROLLER_DEFAULTS.port))
    .option('--host <host>', 'address the controller listens on', CLI_DEFAULTS.upHost)
    .addOption(new Option('--workers <n>', 'local worker processes').argParser(integerIn(1, 64)).default(1))
    .option('--repo <dir>', 'model repository', path.join('.punctual', 'repo'))
    .addOption(new Option('--metrics-port <port>', "the controller's Prometheus /metrics port (0 picks a free one)").argParser(parsePort).default(CLI_DEFAULTS.metricsPort))
    .addOption(new Option('--connect-timeout <s>', 'seconds to wait for the workers to connect').argParser(integerIn(1, 3600)).default(120))
    .option('--worker-processes', "run each worker as a child process (isolated from the controller) instead of in this process; tensors then cross a second gRPC hop")
    .addOption(policyOption());
  addSecurityFlags(addHttpFlags(addWorkerFlags(cmd)), ctx.io.env).action(async (flags: UpFlags, c: Command) => up(flags, globalsOf(c), ctx, c));
}
