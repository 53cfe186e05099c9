// The worker process: dials the controller, announces its executors and the
// models whose bytes it holds, then does exactly what it is told: caches
// model bytes, answers pings, and routes each action to its executor, which
// runs it inside its window and reports measured timings. It decides nothing.
// Telemetry off in this process's environment before an executor thread loads
// onnxruntime (a thread's process.env is a copy native code does not see).
import '../common/ort-env.js';
import os from 'node:os';
import * as grpc from '@grpc/grpc-js';
import { systemClock, type Clock } from '../common/clock.js';
import { parseDevice, type Device } from '../common/device.js';
import { createLogger, type Logger } from '../common/log.js';
import type { TlsPair } from '../common/metrics-server.js';
import type { Action__Output, ControllerMessage__Output } from '../common/wire.js';
import { ControllerConnection, type ControlClientFactory } from './controller-connection.js';
import { hostPort } from '../common/listen-address.js';
import { DataPort } from './data-port.js';
import { Executor, type ExecutorDataPlane } from './executor.js';
import { Staging } from './staging.js';
import { loadMallocTrim, MemoryTrimmer } from './memory-trim.js';
import { ModelCache } from './model-cache.js';
import { processActivity } from './thread-client.js';
import { WorkerObservability } from './worker-observability.js';


/**
 * Session threads per executor unless told: on CPU (and the emulated device
 * standing in for it) two, so that a load runs beside the inferences instead
 * of in front of them (bench/load-lanes.ts: cls p99 during det loads 1.7–2.2
 * against 38–47 ms on one thread); on CUDA one, as loads there were not
 * measured on two threads.
 */
export function defaultLanes(device: Device): number {
  return device.startsWith('cuda') ? 1 : 2;
}

export interface WorkerOptions {
  /** Controller address, host:port. */
  controller: string;
  /** Executors, each a worker thread running one action at a time. @default 1 */
  executors?: number;
  /** Intra-op threads per session. @default 1 */
  threads?: number;
  /**
   * Session threads per executor. 1: one thread runs every action. n >= 2: n
   * threads, and LOADs / UNLOADs queue apart from INFERs and run beside them,
   * each on the thread the controller names (Action.lane). @default defaultLanes(device): 2 on CPU and emulated, 1 on CUDA
   */
  lanes?: number;
  /** Memory for loaded models, for the whole worker; split evenly across executors. @default 2 GiB */
  memoryBytes?: number;
  /**
   * onnxruntime's CPU memory arena and memory patterns for the sessions on CPU
   * executors (onnxruntime's own defaults). On, each session grows at its
   * first runs by what they allocated, past the memory the controller books
   * for it (a cls session 12.6 MiB after a few runs, against 4.2 MiB off),
   * and runs are 1–10 % faster (det at batch 8 up to 20 %).
   * bench/session-memory.ts measures both. @default false
   */
  memArena?: boolean;
  /**
   * false: the sessions' intra-op threads do not spin-wait for work between
   * runs. onnxruntime's default (they do) suits a machine whose cores are the
   * sessions' alone; where the request path shares them, 2+ intra-op threads
   * spinning took the cores it needed (bench/model-threads.ts). @default true
   */
  spinWait?: boolean;
  /**
   * Handing released sessions' memory back to the system (memory-trim.ts):
   * once a session is released, and while the worker's RSS is over the RSS it
   * started with + memoryBytes + the model bytes it caches + this allowance,
   * glibc's malloc_trim runs (at most once a second, backing off while it gives
   * back little). false: never. @default 128 MiB on CPU and CUDA; off on 'emulated'
   */
  trimAllowanceBytes?: number | false;
  /** @default 'cpu' */
  device?: Device;
  /** @default `${hostname}:${pid}` */
  name?: string;
  clock?: Clock;
  /** Redial the controller with backoff when the stream drops. @default true */
  reconnect?: boolean;
  /** Where the worker's problem lines go. @default `logger`, at warn */
  log?: (line: string) => void;
  /** Structured logs (pino). @default createLogger('worker', logLevel) */
  logger?: Logger;
  /** @default PUNCTUAL_LOG_LEVEL or 'info' */
  logLevel?: string;
  /** Prometheus /metrics port; 0 picks a free one. @default -1 (off; the CLI's default is 9465) */
  metricsPort?: number;
  /** gRPC port serving grpc.health.v1.Health; 0 picks a free one. @default -1 (off; the CLI's default is 9466) */
  healthPort?: number;
  /** Address the metrics and health ports listen on. @default '127.0.0.1' (this machine only) */
  listenHost?: string;
  /** Bearer token /metrics needs (/healthz, /readyz and the health port stay open). @default none */
  metricsToken?: string;
  /** HTTPS for /metrics: PEM certificate chain and private key. @default plain HTTP */
  metricsTls?: TlsPair;
  /** Token for the controller's worker stream (its worker or admin token). */
  token?: string;
  /** TLS to the controller: the CA certificate (PEM) that signed its certificate. @default plaintext */
  tlsCa?: Buffer;
  /**
   * How the worker reaches its controller. `punctual up` passes one that opens
   * the stream inside its own process (ControllerHandle.connectLocalWorker):
   * no socket between the controller and the executors. @default a grpc-js channel to `controller`
   */
  dial?: ControlClientFactory;
  /**
   * An executor thread that dies makes the worker leave the controller and
   * join again as a new one, as a worker process that died and restarted:
   * the controller re-plans what was in flight there and forgets what it held.
   * Off, the thread is replaced in place and the controller learns from the
   * actions that failed. @default false (`punctual up`'s in-process workers: true)
   */
  rejoinWhenThreadDies?: boolean;
  /** The executor thread script (tests substitute one). @default the compiled executor-thread.js */
  threadScript?: URL;
  /**
   * The data plane (issue 13 point 3): a port where clients of our library
   * send the tensors of requests the controller dispatched here, so they do
   * not pass through the controller (worker/data-port.ts). @default off
   */
  dataPort?: DataPortSettings;
}

export interface DataPortSettings {
  /** 0 picks a free one. */
  port: number;
  /** @default listenHost (this machine only unless told) */
  host?: string;
  /** host:port clients are told to send to. @default host:port (this machine's hostname when listening on every address) */
  advertise?: string;
  /** Bytes of tensors staged ahead of their action, at most. @default 256 MiB */
  maxStagedBytes?: number;
  /** TLS for the data port (PEM certificate chain and key); Hello says so and clients connect with TLS. @default none */
  tls?: { cert: Buffer | string; key: Buffer | string };
  /**
   * How long past its earliest start a batch waits for its staged rows at
   * most (never past its start window), ms: a client that is admitted and
   * never sends its tensors costs its batch at most this. Set it where
   * untrusted clients hold infer tokens; too short, and a client slowed by a
   * loaded machine or link fails (25 ms failed loopback clients here while
   * the machine ran a test suite beside). @default the whole start window
   */
  stageWaitMs?: number;
}

export interface WorkerHandle {
  /** True while the stream to the controller is up and welcomed. */
  connected(): boolean;
  /** The real /metrics and health ports, when on. */
  metricsPort?: number;
  healthPort?: number;
  /** The data port's address as announced (host:port), when on. */
  dataAddress?: string;
  /** Health NOT_SERVING, then waits for actions in flight to finish, at most `timeoutMs` (default 10 s). */
  drain(timeoutMs?: number): Promise<{ drained: boolean; left: number }>;
  /** Leaves the controller and stops every executor thread. */
  close(): Promise<void>;
}

/** WorkerOptions with every default filled in and checked. */
interface CompiledWorkerOptions {
  controller: string;
  executors: number;
  threads: number;
  lanes: number;
  memoryBytes: number;
  memArena: boolean;
  trimAllowanceBytes: number | false;
  device: Device;
  name: string;
  clock: Clock;
  reconnect: boolean;
  log: (line: string) => void;
  logger: Logger;
}

function compileWorkerOptions(o: WorkerOptions): CompiledWorkerOptions {
  const positiveInt = (what: string, v: number): number => {
    if (!Number.isSafeInteger(v) || v < 1) throw new Error(`worker: ${what} must be a positive integer, not ${v}`);
    return v;
  };
  const logger = o.logger ?? createLogger('worker', o.logLevel);
  if (!o.controller) throw new Error('worker: controller address (host:port) is required');
  const device = parseDevice(o.device ?? 'cpu');
  const memoryBytes = o.memoryBytes ?? 2 * 1024 ** 3;
  if (!Number.isSafeInteger(memoryBytes) || memoryBytes < 0) throw new Error(`worker: memoryBytes must be a whole number of bytes, not ${memoryBytes}`);
  return {
    controller: o.controller,
    executors: positiveInt('executors', o.executors ?? 1),
    threads: positiveInt('threads', o.threads ?? 1),
    lanes: positiveInt('lanes', o.lanes ?? defaultLanes(device)),
    memoryBytes,
    memArena: o.memArena ?? false,
    trimAllowanceBytes: trimAllowance(o.trimAllowanceBytes, device),
    device,
    name: o.name ?? `${os.hostname()}:${process.pid}`,
    clock: o.clock ?? systemClock,
    reconnect: o.reconnect ?? true,
    log: o.log ?? ((line) => logger.warn({ event: 'worker_problem' }, line)),
    logger,
  };
}

function trimAllowance(v: number | false | undefined, device: Device): number | false {
  if (v === false) return false;
  if (v === undefined) return device === 'emulated' ? false : 128 * 2 ** 20;
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`worker: trimAllowanceBytes must be a whole number of bytes or false, not ${v}`);
  return v;
}

/** Starts the executor threads, then dials the controller (without waiting for it to answer). */
export async function startWorker(options: WorkerOptions): Promise<WorkerHandle> {
  const opts = compileWorkerOptions(options);
  const { clock, log } = opts;
  const cache = new ModelCache();
  const observability = new WorkerObservability({
    log: opts.logger,
    cacheBytes: () => cache.bytes(),
    budgets: () => executors.map((e) => Number(e.info().memoryBytes ?? 0)),
  });
  let executors: Executor[] = [];
  let welcomed = false;
  // The data plane, when on: staged tensors wait in `staging` for the actions naming them.
  const staging = options.dataPort ? new Staging({ clock, maxBytes: options.dataPort.maxStagedBytes ?? 256 * 1024 * 1024 }) : undefined;
  const dataPort = staging && options.dataPort ? await DataPort.listen({ port: options.dataPort.port, host: options.dataPort.host ?? options.listenHost ?? '127.0.0.1', staging, log, ...(options.dataPort.tls ? { tls: options.dataPort.tls } : {}) }) : undefined;
  const dataAddress = dataPort ? (options.dataPort?.advertise ?? hostPort(dataPort.host === '0.0.0.0' || dataPort.host === '::' ? os.hostname() : dataPort.host, dataPort.port)) : '';
  const dataPlane: ExecutorDataPlane | undefined =
    staging && dataPort
      ? {
          staging,
          answer: (ticket, outputs, execMs) => void dataPort.answer(ticket, outputs, execMs),
          refuse: (ticket, code, message) => void dataPort.refuse(ticket, code, message),
          ...(options.dataPort?.stageWaitMs !== undefined ? { stageWaitMs: options.dataPort.stageWaitMs } : {}),
        }
      : undefined;

  const onMessage = (m: ControllerMessage__Output): void => {
    const now = clock.now();
    if (m.welcome) {
      welcomed = true;
      connection.welcomed(m.welcome.takesBatches);
      // The sessions this controller adopted stay; the others are released (all, for a controller that adopts none).
      const adopted = new Map<number, Set<string>>();
      if (m.welcome.adoptsSessions) for (const a of m.welcome.adopted) adopted.set(a.executor, (adopted.get(a.executor) ?? new Set()).add(a.modelKey));
      for (const e of executors) e.keepOnly(adopted.get(e.index) ?? new Set());
      observability.setConnected(true);
    } else if (m.ping) {
      connection.send({ pong: { pingId: m.ping.id, controllerMs: m.ping.controllerMs, workerMs: clock.now() } });
    } else if (m.modelBytes) {
      processActivity(); // the cache's memory grows: not a load's to count
      const b = m.modelBytes;
      // by_content: the controller names bytes this worker may already hold (the copies of one file).
      const outcome = b.byContent
        ? cache.adopt(b.modelKey, b.sha256, b.totalSize)
        : cache.receive({ modelKey: b.modelKey, offset: b.offset, totalSize: b.totalSize, chunk: b.chunk, last: b.last, sha256: b.sha256 });
      if (outcome) {
        if (!outcome.ok && !outcome.contentUnknown) log(`refused the bytes of ${outcome.modelKey}: ${outcome.message}`);
        connection.send({ bytesAck: outcome });
      }
    } else if (m.forgetModel) {
      cache.forget(m.forgetModel.modelKey);
    } else if (m.unstage) {
      // Its client went away after its dispatch: the batch runs without waiting for that row.
      staging?.cancel(m.unstage.ticket, 'its client went away');
    } else if (m.action) {
      takeAction(m.action, now);
    } else if (m.actions) {
      // Actions that waited behind one write on the controller's side, each as if it had come alone.
      for (const a of m.actions.actions) takeAction(a, now);
    }
  };

  const takeAction = (a: Action__Output, now: number): void => {
    const executor = executors[a.executor];
    observability.actionReceived(a);
    if (executor) executor.submit(a, now);
    else {
      const message = `executor ${a.executor} does not exist on this worker (it has ${executors.length})`;
      const result = { actionId: a.id, status: 'FAILED' as const, message, receivedMs: now, endMs: clock.now() };
      observability.actionDone(result);
      connection.send({ result });
    }
  };

  const connection = new ControllerConnection({
    address: opts.controller,
    reconnect: opts.reconnect,
    ...(options.token ? { token: options.token } : {}),
    ...(options.tlsCa ? { credentials: grpc.credentials.createSsl(options.tlsCa) } : {}),
    ...(options.dial ? { createClient: options.dial } : {}),
    log,
    onMessage,
    hello: () => ({
      hello: {
        name: opts.name,
        executors: executors.map((e) => e.info()),
        workerMs: clock.now(),
        cachedModels: cache.keys(),
        dataAddress,
        dataTls: dataPort !== undefined && options.dataPort?.tls !== undefined,
        takesBatches: true,
      },
    }),
    // A reconnected worker is a new worker to the controller: nothing queued is
    // answered. The cached bytes and the loaded sessions stay (Hello announces
    // them): a restarted controller adopts the sessions rather than loading
    // every model again, and the worker releases the ones it does not adopt.
    onLost: () => {
      welcomed = false;
      observability.setConnected(false);
      for (const e of executors) e.detach();
      staging?.clear('the worker lost its controller; nothing staged here will run');
      dataPort?.refuseAll('not_run', 'the worker lost its controller; the request is planned again, or answered, by the controller');
    },
  });

  let trimmer: MemoryTrimmer | undefined;
  const started = await Promise.allSettled(
    Array.from({ length: opts.executors }, (_, index) =>
      Executor.start({
        index,
        device: opts.device,
        threads: opts.threads,
        lanes: opts.lanes,
        memArena: opts.memArena,
        ...(options.spinWait === false ? { spinWait: false } : {}),
        memoryBytes: Math.floor(opts.memoryBytes / opts.executors),
        clock,
        cache,
        log,
        onResult: (result) => {
          observability.actionDone(result);
          connection.send({ result });
        },
        onLaneWait: (wait) => observability.laneWait(wait.executor, wait.type),
        onLoad: (load) => observability.sessionLoaded(load.executor, load.modelKey, load.threads),
        onReleased: () => trimmer?.released(),
        ...(options.threadScript ? { threadScript: options.threadScript } : {}),
        ...(dataPlane ? { dataPlane } : {}),
        ...(options.rejoinWhenThreadDies
          ? {
              onThreadDied: (why: string) => {
                log(`${why}: leaving the controller and joining again as a new worker`);
                connection.rejoin(why);
              },
            }
          : {}),
      }),
    ),
  );
  executors = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failure = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) {
    await connection.close();
    await Promise.all(executors.map((e) => e.close()));
    await dataPort?.close();
    throw failure.reason;
  }
  if (opts.trimAllowanceBytes !== false) {
    const trim = loadMallocTrim();
    if (typeof trim === 'string') opts.logger.info({ event: 'memory_trim_off' }, `released sessions' memory stays with the allocator: ${trim}`);
    else {
      // What the worker holds before any session: its limit is that, its budget, its cached bytes and the allowance.
      const baseline = process.memoryUsage.rss();
      const allowance = opts.trimAllowanceBytes;
      trimmer = new MemoryTrimmer({
        limitBytes: () => baseline + opts.memoryBytes + cache.bytes() + allowance,
        trim,
        clock,
        onTrim: (t) => {
          observability.memoryTrimmed(t.beforeBytes - t.afterBytes, t.ms);
          opts.logger.debug({ event: 'memory_trimmed', beforeBytes: t.beforeBytes, afterBytes: t.afterBytes, ms: t.ms }, 'handed released memory back');
        },
        onError: (err) => log(`malloc_trim failed, not asked again: ${String(err)}`),
      });
    }
  }
  connection.open();
  const ports = await observability.start({
    metricsPort: options.metricsPort ?? -1,
    healthPort: options.healthPort ?? -1,
    host: options.listenHost ?? '127.0.0.1',
    ...(options.metricsToken ? { metricsToken: options.metricsToken } : {}),
    ...(options.metricsTls ? { metricsTls: options.metricsTls } : {}),
  });

  let closing: Promise<void> | undefined;
  return {
    connected: () => welcomed,
    ...ports,
    ...(dataPort ? { dataAddress } : {}),
    drain: (timeoutMs = 10_000) => {
      // Tell the controller first: it stops sending new work here and plans it elsewhere.
      if (welcomed) connection.send({ draining: {} });
      return observability.drain(timeoutMs);
    },
    close: () => {
      closing ??= (async () => {
        welcomed = false;
        trimmer?.close();
        await connection.close();
        await Promise.all(executors.map((e) => e.close()));
        staging?.clear('the worker is closing');
        await dataPort?.close();
        await observability.close();
      })();
      return closing;
    },
  };
}
