// The worker process: dials the controller, announces its executors and the
// models whose bytes it holds, then does exactly what it is told: caches
// model bytes, answers pings, and routes each action to its executor, which
// runs it inside its window and reports measured timings. It decides nothing.
import os from 'node:os';
import * as grpc from '@grpc/grpc-js';
import { systemClock, type Clock } from '../common/clock.js';
import type { ControllerMessage__Output } from '../common/wire.js';
import { ControllerConnection } from './controller-connection.js';
import { Executor } from './executor.js';
import { ModelCache } from './model-cache.js';
import { parseDevice, type Device } from './ort-session.js';

export interface WorkerOptions {
  /** Controller address, host:port. */
  controller: string;
  /** Executors, each a worker thread running one action at a time. @default 1 */
  executors?: number;
  /** Intra-op threads per session. @default 1 */
  threads?: number;
  /** Memory for loaded models, for the whole worker; split evenly across executors. @default 2 GiB */
  memoryBytes?: number;
  /** @default 'cpu' */
  device?: Device;
  /** @default `${hostname}:${pid}` */
  name?: string;
  clock?: Clock;
  /** Redial the controller with backoff when the stream drops. @default true */
  reconnect?: boolean;
  /** Where the worker's few log lines go. @default one line each to stderr */
  log?: (line: string) => void;
  /** Token for the controller's worker stream (its worker or admin token). */
  token?: string;
  /** TLS to the controller: the CA certificate (PEM) that signed its certificate. @default plaintext */
  tlsCa?: Buffer;
}

export interface WorkerHandle {
  /** True while the stream to the controller is up and welcomed. */
  connected(): boolean;
  /** Leaves the controller and stops every executor thread. */
  close(): Promise<void>;
}

/** WorkerOptions with every default filled in and checked. */
interface CompiledWorkerOptions {
  controller: string;
  executors: number;
  threads: number;
  memoryBytes: number;
  device: Device;
  name: string;
  clock: Clock;
  reconnect: boolean;
  log: (line: string) => void;
}

function compileWorkerOptions(o: WorkerOptions): CompiledWorkerOptions {
  const positiveInt = (what: string, v: number): number => {
    if (!Number.isSafeInteger(v) || v < 1) throw new Error(`worker: ${what} must be a positive integer, not ${v}`);
    return v;
  };
  if (!o.controller) throw new Error('worker: controller address (host:port) is required');
  const memoryBytes = o.memoryBytes ?? 2 * 1024 ** 3;
  if (!Number.isSafeInteger(memoryBytes) || memoryBytes < 0) throw new Error(`worker: memoryBytes must be a whole number of bytes, not ${memoryBytes}`);
  return {
    controller: o.controller,
    executors: positiveInt('executors', o.executors ?? 1),
    threads: positiveInt('threads', o.threads ?? 1),
    memoryBytes,
    device: parseDevice(o.device ?? 'cpu'),
    name: o.name ?? `${os.hostname()}:${process.pid}`,
    clock: o.clock ?? systemClock,
    reconnect: o.reconnect ?? true,
    log: o.log ?? ((line) => process.stderr.write(`punctual worker: ${line}\n`)),
  };
}

/** Starts the executor threads, then dials the controller (without waiting for it to answer). */
export async function startWorker(options: WorkerOptions): Promise<WorkerHandle> {
  const opts = compileWorkerOptions(options);
  const { clock, log } = opts;
  const cache = new ModelCache();
  let executors: Executor[] = [];
  let welcomed = false;

  const onMessage = (m: ControllerMessage__Output): void => {
    const now = clock.now();
    if (m.welcome) {
      welcomed = true;
      connection.welcomed();
    } else if (m.ping) {
      connection.send({ pong: { pingId: m.ping.id, controllerMs: m.ping.controllerMs, workerMs: clock.now() } });
    } else if (m.modelBytes) {
      const b = m.modelBytes;
      const outcome = cache.receive({ modelKey: b.modelKey, offset: b.offset, totalSize: b.totalSize, chunk: b.chunk, last: b.last, sha256: b.sha256 });
      if (outcome) {
        if (!outcome.ok) log(`refused the bytes of ${outcome.modelKey}: ${outcome.message}`);
        connection.send({ bytesAck: outcome });
      }
    } else if (m.forgetModel) {
      cache.forget(m.forgetModel.modelKey);
    } else if (m.action) {
      const a = m.action;
      const executor = executors[a.executor];
      if (executor) executor.submit(a, now);
      else {
        const message = `executor ${a.executor} does not exist on this worker (it has ${executors.length})`;
        connection.send({ result: { actionId: a.id, status: 'FAILED', message, receivedMs: now, endMs: clock.now() } });
      }
    }
  };

  const connection = new ControllerConnection({
    address: opts.controller,
    reconnect: opts.reconnect,
    ...(options.token ? { token: options.token } : {}),
    ...(options.tlsCa ? { credentials: grpc.credentials.createSsl(options.tlsCa) } : {}),
    log,
    onMessage,
    hello: () => ({
      hello: {
        name: opts.name,
        executors: executors.map((e) => e.info()),
        workerMs: clock.now(),
        cachedModels: cache.keys(),
      },
    }),
    // The controller treats a reconnected worker as new: nothing stays loaded,
    // nothing queued is answered. The cached bytes stay (Hello announces them).
    onLost: () => {
      welcomed = false;
      for (const e of executors) e.reset();
    },
  });

  const started = await Promise.allSettled(
    Array.from({ length: opts.executors }, (_, index) =>
      Executor.start({
        index,
        device: opts.device,
        threads: opts.threads,
        memoryBytes: Math.floor(opts.memoryBytes / opts.executors),
        clock,
        cache,
        log,
        onResult: (result) => connection.send({ result }),
      }),
    ),
  );
  executors = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failure = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) {
    await connection.close();
    await Promise.all(executors.map((e) => e.close()));
    throw failure.reason;
  }
  connection.open();

  let closing: Promise<void> | undefined;
  return {
    connected: () => welcomed,
    close: () => {
      closing ??= (async () => {
        welcomed = false;
        await connection.close();
        await Promise.all(executors.map((e) => e.close()));
      })();
      return closing;
    },
  };
}
