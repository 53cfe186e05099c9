// The controller's options in one place, after Temporal's worker options: a
// documented public form (`ControllerOptions`, every field optional but the
// repository, each with its @default), one table of those defaults
// (`CONTROLLER_DEFAULTS`), and `compileControllerOptions`, which resolves and
// checks them once. startController compiles what it is given and hands the
// compiled form down; the CLI's flags take their defaults from the same
// table, so `--help` shows the numbers the code uses. The scheduler's own
// defaults stay the scheduler's (SCHEDULER_DEFAULTS: it imports nothing from
// here) and are read from it. This file loads nothing heavy: the CLI imports
// it before it knows which command runs.
import { systemClock, type Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import { checkRing, type RingMember } from '../common/ring-members.js';
import type { TokenOptions } from './auth.js';
import { ESTIMATES_DEFAULTS } from './scheduler/estimates.js';
import { DEFAULT_POLICY, POLICIES, isPolicy, type Policy } from './scheduler/policy.js';
import { SCHEDULER_DEFAULTS } from './scheduler/scheduler.js';

export interface ControllerOptions extends TokenOptions {
  /** Model repository: <repo>/<model>/<version>/{model.onnx,config.json}. */
  repoDir: string;
  /** Port for clients and workers; 0 picks a free one. @default 7000 */
  port?: number;
  /** Address for clients and workers. Not loopback (127.0.0.0/8, ::1, localhost) needs `adminToken` or `insecure`. @default '0.0.0.0' */
  host?: string;
  /** Listen on a non-loopback `host` without an admin token (Admin and the worker stream then open to the network, unless other tokens close them). @default false: refuse to start */
  insecure?: boolean;
  /** The controller's time. @default systemClock */
  clock?: Clock;
  /** Keep executors booked this far ahead, ms. @default 10 */
  scheduleAheadMs?: number;
  /** Timed runs per batch size when a model is profiled (on first sight, on registration, and for ProfileModel without its own count). @default 20 */
  profileIterations?: number;
  /** How often each worker is pinged (clock offset and liveness), ms. @default 250 */
  pingIntervalMs?: number;
  /** A worker heard from by nothing for this long is set aside (no new work, its work in flight re-planned) until it answers again, ms. @default 1000 */
  livenessMs?: number;
  /** An action unanswered this long after its predicted end is taken as lost, ms. @default 1000 */
  lostAfterMs?: number;
  /**
   * Largest gRPC message the controller reads, bytes; a larger one is
   * answered RESOURCE_EXHAUSTED by grpc-js without being buffered whole. It
   * bounds one request's memory: keep it above the largest batch a model
   * takes (det's batch of 8 is 4.8 MB). @default 64 MiB
   */
  maxMessageBytes?: number;
  /** An estimate with no measurement for this long falls back to the model's profile, ms (see Estimates). @default 1000 */
  estimateMaxAgeMs?: number;
  /** Most of an SLO the admission reserve may take, in [0, 1); 0 turns the reserve off. @default 0.3 */
  maxReserveShare?: number;
  /** Scheduling policy: 'fifo' is the baseline (no admission control, no deadline awareness). @default 'punctual' */
  policy?: Policy;
  /** Load models onto a joining executor while they fit. @default true */
  warmOnJoin?: boolean;
  /** @default PUNCTUAL_LOG_LEVEL or 'info' */
  logLevel?: string;
  /** Where the controller logs. @default a logger at `logLevel` on stderr */
  logger?: Logger;
  /** Prometheus /metrics port; 0 picks a free one, -1 turns it off (the CLI's default is CLI_DEFAULTS.metricsPort). @default -1 */
  metricsPort?: number;
  /**
   * A plaintext port with grpc.health.v1.Health only, on metricsHost, for
   * probes that cannot speak TLS or send a token (Kubernetes' gRPC probes,
   * beside a TLS listener); 0 picks a free one, -1 turns it off. @default -1
   */
  healthPort?: number;
  /** Address /metrics (and /healthz, /readyz) listens on. @default '127.0.0.1' */
  metricsHost?: string;
  /** Bearer token /metrics needs (/healthz and /readyz stay open). @default none */
  metricsToken?: string;
  /** HTTPS for /metrics: PEM certificate chain and private key files. @default the listener's TLS files when it has them, else plain HTTP */
  metricsTlsCertFile?: string;
  metricsTlsKeyFile?: string;
  /**
   * V2 REST/JSON (the Open Inference Protocol over HTTP, controller/http/)
   * port; 0 picks a free one, -1 turns it off (the CLI's default is
   * CLI_DEFAULTS.httpPort, Triton's 8000). It carries inference and the
   * repository extension, so it takes the same tokens and TLS files as the
   * gRPC listener. @default -1
   */
  httpPort?: number;
  /** Address the HTTP port listens on; not loopback needs `adminToken` or `insecure`, as `host`. @default `host` */
  httpHost?: string;
  /** Largest model file Admin.RegisterModel accepts, bytes. @default 1 GiB */
  maxModelBytes?: number;
  /** Model uploads (Admin.RegisterModel) received at once; one more is refused with RESOURCE_EXHAUSTED. @default 2 */
  maxConcurrentUploads?: number;
  /** An upload with no message for this long is abandoned (DEADLINE_EXCEEDED) and its temporary file removed, ms. @default 30000 */
  uploadIdleTimeoutMs?: number;
  /** A new version of a served model may take this long to load where the old one is loaded before traffic switches anyway, ms. @default 30000 */
  swapWarmTimeoutMs?: number;
  /** The replaced version's queued and running requests may take this long to finish before it is unloaded anyway, ms. @default 60000 */
  swapDrainTimeoutMs?: number;
  /** How long `drain()` waits for accepted requests when not told, ms. @default 10000 */
  drainTimeoutMs?: number;
  /** TLS for the listener: PEM certificate chain and private key files. @default plaintext */
  tlsCertFile?: string;
  tlsKeyFile?: string;
  /**
   * The ring of controllers this one is a member of (`--ring`,
   * common/ring.ts): each owns the models its name hashes to, and answers
   * any other with its owner. @default one controller, owning every model
   */
  ring?: readonly RingMember[];
  /** This controller's name in `ring` (`--ring-name`; in Kubernetes its pod's name). Needed with a ring. */
  ringName?: string;
}

/** The defaults of ControllerOptions, one entry per defaulted option (see each option's doc). */
export const CONTROLLER_DEFAULTS = {
  port: 7000,
  host: '0.0.0.0',
  insecure: false,
  scheduleAheadMs: SCHEDULER_DEFAULTS.scheduleAheadMs,
  profileIterations: 20,
  pingIntervalMs: 250,
  livenessMs: 1000,
  lostAfterMs: SCHEDULER_DEFAULTS.lostAfterMs,
  maxMessageBytes: 64 * 2 ** 20,
  estimateMaxAgeMs: ESTIMATES_DEFAULTS.maxAgeMs,
  maxReserveShare: SCHEDULER_DEFAULTS.maxReserveShare,
  policy: DEFAULT_POLICY,
  warmOnJoin: true,
  metricsPort: -1,
  healthPort: -1,
  metricsHost: '127.0.0.1',
  httpPort: -1,
  maxModelBytes: 2 ** 30,
  maxConcurrentUploads: 2,
  uploadIdleTimeoutMs: 30_000,
  swapWarmTimeoutMs: 30_000,
  swapDrainTimeoutMs: 60_000,
  drainTimeoutMs: 10_000,
} as const satisfies Required<Omit<ControllerOptions, keyof TokenOptions | 'repoDir' | 'clock' | 'logLevel' | 'logger' | 'httpHost' | 'metricsToken' | 'metricsTlsCertFile' | 'metricsTlsKeyFile' | 'tlsCertFile' | 'tlsKeyFile' | 'ring' | 'ringName'>>;

/**
 * Where the CLI's defaults differ from the library's: a controller started
 * from a shell serves /metrics on the usual port, and `punctual up` listens
 * on this machine only unless told otherwise.
 */
export const CLI_DEFAULTS = {
  /** `--metrics-port` of `punctual controller` and `punctual up`. */
  metricsPort: 9464,
  /** `--http-port` of `punctual controller` and `punctual up` (V2 REST, Triton's port). */
  httpPort: 8000,
  /** `--host` of `punctual up`. */
  upHost: '127.0.0.1',
} as const;

type Defaulted = keyof typeof CONTROLLER_DEFAULTS;

/** ControllerOptions with every default filled in and every value checked: what startController passes down. */
export type CompiledControllerOptions = Readonly<Omit<ControllerOptions, Defaulted | 'clock' | 'httpHost'> & Required<Pick<ControllerOptions, Defaulted | 'clock' | 'httpHost'>>>;

/** A controller option out of its range: thrown by compileControllerOptions before anything starts. */
export class ControllerOptionsError extends Error {
  constructor(
    /** The option, as ControllerOptions names it. */
    readonly option: string,
    message: string,
  ) {
    super(message);
    this.name = 'ControllerOptionsError';
  }
}

export function isControllerOptionsError(err: unknown): err is ControllerOptionsError {
  return err instanceof ControllerOptionsError;
}

function check(ok: boolean, option: string, what: string, got: unknown): void {
  if (!ok) throw new ControllerOptionsError(option, `controller option ${option} must be ${what}, got ${String(got)}`);
}

const isPort = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 65535;
const isPositive = (n: number): boolean => Number.isFinite(n) && n > 0;
const isPositiveInteger = (n: number): boolean => Number.isSafeInteger(n) && n > 0;

/** The options with their defaults filled in, checked (a ControllerOptionsError names the first one out of range). */
export function compileControllerOptions(opts: ControllerOptions): CompiledControllerOptions {
  const d = CONTROLLER_DEFAULTS;
  const c = {
    ...opts,
    clock: opts.clock ?? systemClock,
    port: opts.port ?? d.port,
    host: opts.host ?? d.host,
    insecure: opts.insecure ?? d.insecure,
    scheduleAheadMs: opts.scheduleAheadMs ?? d.scheduleAheadMs,
    profileIterations: opts.profileIterations ?? d.profileIterations,
    pingIntervalMs: opts.pingIntervalMs ?? d.pingIntervalMs,
    livenessMs: opts.livenessMs ?? d.livenessMs,
    lostAfterMs: opts.lostAfterMs ?? d.lostAfterMs,
    maxMessageBytes: opts.maxMessageBytes ?? d.maxMessageBytes,
    estimateMaxAgeMs: opts.estimateMaxAgeMs ?? d.estimateMaxAgeMs,
    maxReserveShare: opts.maxReserveShare ?? d.maxReserveShare,
    policy: opts.policy ?? d.policy,
    warmOnJoin: opts.warmOnJoin ?? d.warmOnJoin,
    metricsPort: opts.metricsPort ?? d.metricsPort,
    healthPort: opts.healthPort ?? d.healthPort,
    metricsHost: opts.metricsHost ?? d.metricsHost,
    httpPort: opts.httpPort ?? d.httpPort,
    httpHost: opts.httpHost ?? opts.host ?? d.host,
    maxModelBytes: opts.maxModelBytes ?? d.maxModelBytes,
    maxConcurrentUploads: opts.maxConcurrentUploads ?? d.maxConcurrentUploads,
    uploadIdleTimeoutMs: opts.uploadIdleTimeoutMs ?? d.uploadIdleTimeoutMs,
    swapWarmTimeoutMs: opts.swapWarmTimeoutMs ?? d.swapWarmTimeoutMs,
    swapDrainTimeoutMs: opts.swapDrainTimeoutMs ?? d.swapDrainTimeoutMs,
    drainTimeoutMs: opts.drainTimeoutMs ?? d.drainTimeoutMs,
  } satisfies CompiledControllerOptions;
  check(typeof c.repoDir === 'string' && c.repoDir !== '', 'repoDir', 'a directory', c.repoDir);
  check(typeof c.host === 'string' && c.host !== '', 'host', 'an address', c.host);
  check(isPort(c.port), 'port', 'a port from 0 to 65535', c.port);
  check(c.metricsPort === -1 || isPort(c.metricsPort), 'metricsPort', 'a port from 0 to 65535, or -1 (off)', c.metricsPort);
  check(c.healthPort === -1 || isPort(c.healthPort), 'healthPort', 'a port from 0 to 65535, or -1 (off)', c.healthPort);
  check(c.httpPort === -1 || isPort(c.httpPort), 'httpPort', 'a port from 0 to 65535, or -1 (off)', c.httpPort);
  check(typeof c.httpHost === 'string' && c.httpHost !== '', 'httpHost', 'an address', c.httpHost);
  for (const k of ['scheduleAheadMs', 'profileIterations', 'pingIntervalMs', 'livenessMs', 'lostAfterMs', 'estimateMaxAgeMs', 'uploadIdleTimeoutMs', 'swapWarmTimeoutMs', 'swapDrainTimeoutMs', 'drainTimeoutMs'] as const) {
    check(isPositive(c[k]), k, 'a positive number', c[k]);
  }
  for (const k of ['maxMessageBytes', 'maxModelBytes', 'maxConcurrentUploads'] as const) check(isPositiveInteger(c[k]), k, 'a positive integer', c[k]);
  check(Number.isFinite(c.maxReserveShare) && c.maxReserveShare >= 0 && c.maxReserveShare < 1, 'maxReserveShare', 'a fraction in [0, 1)', c.maxReserveShare);
  check(isPolicy(c.policy), 'policy', `one of ${POLICIES.join(', ')}`, c.policy);
  if (c.ring) {
    try {
      checkRing(c.ring);
    } catch (err) {
      throw new ControllerOptionsError('ring', `controller option ring: ${(err as Error).message}`);
    }
    check(typeof c.ringName === 'string' && c.ring.some((m) => m.name === c.ringName), 'ringName', `the name of one of the ring's members (${c.ring.map((m) => m.name).join(', ')})`, c.ringName ? JSON.stringify(c.ringName) : 'none');
  }
  return c;
}
