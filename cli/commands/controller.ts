// `punctual controller`: runs the controller in this process until SIGINT or
// SIGTERM. Prints {"event":"listening","port":N,"metricsPort":M,"httpPort":H}
// (null for a port turned off) on stdout when ready (tests
// and scripts parse it) and a line for people on stderr. Refuses to listen on
// a non-loopback --host without an admin token unless --insecure (exit 2).
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { integerIn, parseMemorySize, parsePort } from '../args.js';
import type { CliContext } from '../context.js';
import { addMetricsFlags, type MetricsFlags } from '../metrics-flags.js';
import { untilStopped } from '../shutdown.js';
import { isInsecureListenError } from '../../controller/listen-guard.js';
import { CLI_DEFAULTS, CONTROLLER_DEFAULTS as D } from '../../controller/options.js';
import { POLICIES, type Policy } from '../../controller/scheduler/policy.js';
import { parseRing, type RingMember } from '../../common/ring-members.js';

/** --policy, shared with `up`: fifo is the baseline without admission control or deadline awareness. */
export function policyOption(): Option {
  return new Option('--policy <policy>', 'scheduling policy (fifo: the baseline, no admission control or deadlines)').choices([...POLICIES]).default(D.policy);
}

/** The flags addSecurityFlags adds (shared with `up`). */
export interface SecurityFlags extends MetricsFlags {
  adminToken?: string;
  inferToken?: string;
  workerToken?: string;
  maxModelBytes: number;
  maxMessageBytes: number;
  maxConcurrentUploads: number;
  /** Seconds. */
  uploadIdleTimeout: number;
  tlsCert?: string;
  tlsKey?: string;
  insecure: boolean;
  metricsHost: string;
}

interface ControllerFlags extends SecurityFlags, HttpFlags {
  port: number;
  host: string;
  repo: string;
  scheduleAheadMs: number;
  profileIterations: number;
  logLevel?: string;
  metricsPort: number;
  healthPort: number;
  drainTimeout: number;
  policy: Policy;
  maxReserveShare: number;
  ring?: RingMember[];
  ringName?: string;
}

/** --ring's argument: name=host:port,… (common/ring-members.ts). */
function ringArg(value: string): RingMember[] {
  try {
    return parseRing(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** A size in exact binary units as --help shows it ("64MiB"); parseMemorySize reads it back. */
function sizeText(bytes: number): string {
  for (const [unit, factor] of [['TiB', 2 ** 40], ['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) {
    if (bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return String(bytes);
}

/** Token, TLS and metrics-guard flags, shared with `up`. Tokens default from the environment, so they need not appear in ps. */
export function addSecurityFlags(cmd: Command, env: Record<string, string | undefined>): Command {
  return addMetricsFlags(cmd, env)
    .addOption(new Option('--admin-token <token>', 'token Admin calls must carry (env PUNCTUAL_ADMIN_TOKEN)').default(env.PUNCTUAL_ADMIN_TOKEN || undefined, 'env'))
    .addOption(new Option('--infer-token <token>', 'token inference must carry; unset: open (env PUNCTUAL_INFER_TOKEN)').default(env.PUNCTUAL_INFER_TOKEN || undefined, 'env'))
    .addOption(new Option('--worker-token <token>', 'token workers must carry; the admin token works too (env PUNCTUAL_WORKER_TOKEN)').default(env.PUNCTUAL_WORKER_TOKEN || undefined, 'env'))
    .addOption(new Option('--max-model-bytes <size>', 'largest model file a registration may upload').argParser(parseMemorySize).default(D.maxModelBytes, sizeText(D.maxModelBytes)))
    .addOption(
      new Option('--max-message-bytes <size>', 'largest gRPC message the controller reads; a larger one is RESOURCE_EXHAUSTED unread')
        .argParser(parseMemorySize)
        .default(D.maxMessageBytes, sizeText(D.maxMessageBytes)),
    )
    .addOption(new Option('--max-concurrent-uploads <n>', 'model uploads received at once; one more is refused (RESOURCE_EXHAUSTED)').argParser(integerIn(1, 1000)).default(D.maxConcurrentUploads))
    .addOption(
      new Option('--upload-idle-timeout <s>', 'seconds an upload may send nothing before it is abandoned (DEADLINE_EXCEEDED)').argParser(positiveNumber('--upload-idle-timeout')).default(D.uploadIdleTimeoutMs / 1000),
    )
    .option('--tls-cert <file>', 'TLS certificate chain (PEM) for the listener')
    .option('--tls-key <file>', 'TLS private key (PEM) for the listener')
    .option('--insecure', 'listen on a non-loopback --host without an admin token (refused otherwise)', D.insecure)
    .option('--metrics-host <host>', 'address /metrics, /healthz and /readyz listen on', D.metricsHost);
}

/** The ControllerOptions the security flags map onto. */
export function securityOptions(f: SecurityFlags) {
  return {
    ...(f.adminToken ? { adminToken: f.adminToken } : {}),
    ...(f.inferToken ? { inferToken: f.inferToken } : {}),
    ...(f.workerToken ? { workerToken: f.workerToken } : {}),
    maxModelBytes: f.maxModelBytes,
    maxMessageBytes: f.maxMessageBytes,
    maxConcurrentUploads: f.maxConcurrentUploads,
    uploadIdleTimeoutMs: f.uploadIdleTimeout * 1000,
    ...(f.tlsCert ? { tlsCertFile: path.resolve(f.tlsCert) } : {}),
    ...(f.tlsKey ? { tlsKeyFile: path.resolve(f.tlsKey) } : {}),
    insecure: f.insecure,
    metricsHost: f.metricsHost,
    ...(f.metricsToken ? { metricsToken: f.metricsToken } : {}),
    ...(f.metricsTlsCert ? { metricsTlsCertFile: path.resolve(f.metricsTlsCert) } : {}),
    ...(f.metricsTlsKey ? { metricsTlsKeyFile: path.resolve(f.metricsTlsKey) } : {}),
  };
}

/**
 * A controller that refused to listen where anyone could take it over
 * (controller/listen-guard.ts) is a usage error: exit status 2 with the
 * message, like a bad flag. Anything else is rethrown (status 1).
 */
export function refuseInsecure(cmd: Command, err: unknown): never {
  if (isInsecureListenError(err)) cmd.error(`error: ${err.message}`, { exitCode: 2, code: 'punctual.insecureListen' });
  throw err;
}

/** A port, or -1 for off. */
function parseMetricsPort(v: string): number {
  return v === '-1' ? -1 : parsePort(v);
}

/** The flags addHttpFlags adds (shared with `up`). */
export interface HttpFlags {
  httpPort: number;
  httpHost?: string;
}

/** --http-port and --http-host (V2 REST, controller/http/), shared with `up`. */
export function addHttpFlags(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--http-port <port>', 'V2 REST (Open Inference Protocol over HTTP) and dashboard port (0 picks a free one, -1 turns it off)').argParser(parseMetricsPort).default(CLI_DEFAULTS.httpPort),
    )
    .option('--http-host <host>', 'address the HTTP port listens on (default: --host; not loopback needs --admin-token or --insecure, as --host)');
}

/** The ControllerOptions the HTTP flags map onto. */
export function httpOptions(f: HttpFlags): { httpPort: number; httpHost?: string } {
  return { httpPort: f.httpPort, ...(f.httpHost ? { httpHost: f.httpHost } : {}) };
}

function positiveNumber(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number`);
    return n;
  };
}

function fraction(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n >= 1) throw new InvalidArgumentError(`${name} must be a fraction in [0, 1), got ${v}`);
    return n;
  };
}

export function registerController(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('controller')
    .description('run the controller (scheduler, admission control, model registry) in this process')
    .addOption(new Option('--port <port>', 'port for clients and workers (0 picks a free one)').argParser(parsePort).default(D.port))
    .option('--host <host>', 'address to listen on', D.host)
    .requiredOption('--repo <dir>', 'model repository: <dir>/<model>/<version>/{model.onnx,config.json}')
    .addOption(new Option('--schedule-ahead-ms <ms>', 'keep each executor booked this far ahead').argParser(positiveNumber('--schedule-ahead-ms')).default(D.scheduleAheadMs))
    .addOption(
      new Option('--profile-iterations <n>', 'timed runs per batch size when a model is profiled on first sight')
        .argParser(positiveNumber('--profile-iterations'))
        .default(D.profileIterations),
    )
    .addOption(new Option('--metrics-port <port>', 'Prometheus /metrics port (0 picks a free one, -1 turns it off)').argParser(parseMetricsPort).default(CLI_DEFAULTS.metricsPort))
    .addOption(
      new Option('--health-port <port>', 'plaintext gRPC port with grpc.health.v1.Health only, on --metrics-host, for probes that cannot speak TLS (0 picks a free one, -1 turns it off)')
        .argParser(parseMetricsPort)
        .default(D.healthPort),
    )
    .addOption(new Option('--drain-timeout <s>', 'on SIGTERM, seconds to wait for accepted requests before exiting').argParser(positiveNumber('--drain-timeout')).default(D.drainTimeoutMs / 1000))
    .addOption(new Option('--log-level <level>', 'trace, debug, info, warn, error or silent (env PUNCTUAL_LOG_LEVEL)').choices(['trace', 'debug', 'info', 'warn', 'error', 'silent']))
    .addOption(policyOption())
    .addOption(
      new Option('--max-reserve-share <fraction>', 'most of an SLO admission may set aside for recent prediction errors (0 turns it off)')
        .argParser(fraction('--max-reserve-share'))
        .default(D.maxReserveShare),
    )
    .addOption(
      new Option('--ring <members>', 'the ring of controllers this one belongs to, name=host:port,… (each owns the models its name hashes to, and answers others with their owner)').argParser(ringArg),
    )
    .option('--ring-name <name>', "this controller's name in --ring (in Kubernetes, its pod's name)");
  addSecurityFlags(addHttpFlags(cmd), ctx.io.env)
    .action(async (flags: ControllerFlags, c: Command) => {
      const { startController } = await import('../../controller/controller.js');
      const repoDir = path.resolve(flags.repo);
      const handle = await startController({
        port: flags.port,
        host: flags.host,
        repoDir,
        scheduleAheadMs: flags.scheduleAheadMs,
        profileIterations: flags.profileIterations,
        logLevel: flags.logLevel,
        metricsPort: flags.metricsPort,
        healthPort: flags.healthPort,
        policy: flags.policy,
        maxReserveShare: flags.maxReserveShare,
        ...(flags.ring ? { ring: flags.ring, ringName: flags.ringName ?? '' } : {}),
        ...securityOptions(flags),
        ...httpOptions(flags),
      }).catch((err: unknown) => refuseInsecure(c, err));
      ctx.io.stdout.write(JSON.stringify({ event: 'listening', port: handle.port, metricsPort: handle.metricsPort ?? null, httpPort: handle.httpPort ?? null, healthPort: handle.healthPort ?? null }) + '\n');
      ctx.io.stderr.write(`punctual controller listening on ${flags.host}:${handle.port} (repository ${repoDir}); Ctrl-C stops it\n`);
      const sig = await untilStopped(ctx.io.stderr);
      ctx.io.stderr.write(`${sig}: draining the controller (at most ${flags.drainTimeout} s), then closing\n`);
      await handle.drain(flags.drainTimeout * 1000);
      await handle.close();
      ctx.exitCode = 0;
    });
}
