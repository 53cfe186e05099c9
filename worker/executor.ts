// One executor, main-thread side: queues its actions (ActionRunner looks at
// its ActionQueue on arrivals, finishes and its one timer, and decides), runs
// one action at a time on its executor thread (or, on the emulated device, as
// a plain timer of the duration the model's profile gives, emulated-device.ts)
// and turns the outcome into an ActionResult with worker-clock timings. A
// LOAD creates its session from the model optimized for this executor's class
// when the optimizer has it ready (worker/model-optimizer.ts), else from the
// raw bytes, after which it asks for that optimization, in the optimizer's
// thread, for the next load.
//
// With lanes >= 2 (ExecutorInfo.lanes) it has that many session threads and
// two ActionRunners, one for INFERs and one for LOADs and UNLOADs, each one
// action at a time and running beside each other: a load on one thread no
// longer holds up the inferences of the models on another. Each model's work
// goes to the thread holding its session (worker/session-lanes.ts); an action
// whose thread is still busy waits there, and is counted (onLaneWait).
//
// A LOAD may name its session's intra-op threads (Action.threads: the
// model's own count, capped by the controller at this executor's; more is
// refused): its session is created so, from a model optimized for that
// count when the optimizer for it has one (one optimizer per thread count in
// use, shared in the process).
import type { Clock } from '../common/clock.js';
import type { Device } from '../common/device.js';
import { createLogger, type Logger } from '../common/log.js';
import type { WireTensor } from '../common/tensor.js';
import type { Action__Output, ActionResult, ExecutorInfo } from '../common/wire.js';
import { ActionRunner } from './action-runner.js';
import { EmulatedDevice } from './emulated-device.js';
import { EmulatedRuns } from './emulated-runs.js';
import type { ModelCache } from './model-cache.js';
import { leaseSharedOptimizer, type ModelOptimizer, type OptimizerLease } from './model-optimizer.js';
import { SessionLanes } from './session-lanes.js';
import { ThreadClient } from './thread-client.js';
import type { ThreadReply } from './thread-protocol.js';
import { fromProtoTensor, toProtoTensor, transferList } from './wire-tensors.js';
import { StagedRows, type ExecutorDataPlane, type StagedRow } from './staged-batch.js';

export type { ExecutorDataPlane } from './staged-batch.js';

export interface ExecutorOptions {
  index: number;
  device: Device;
  /** Intra-op threads per session: the default, and the most a LOAD may ask for (Action.threads). */
  threads: number;
  /** onnxruntime's CPU memory arena and memory patterns for its sessions (WorkerOptions.memArena). @default false */
  memArena?: boolean;
  /** false: its sessions' intra-op threads do not spin-wait between runs (WorkerOptions.spinWait). @default onnxruntime's */
  spinWait?: boolean;
  /** Memory this executor may fill (announced; the controller enforces it). */
  memoryBytes: number;
  clock: Clock;
  cache: ModelCache;
  /** Called with every result, on the main thread. */
  onResult: (result: ActionResult) => void;
  log: (line: string) => void;
  /** The thread script (tests substitute one). @default executorThreadScript() */
  threadScript?: URL;
  /**
   * Where LOADs at `threads` find optimized models; false: always the raw
   * bytes. A LOAD at another thread count uses the shared optimizer for that
   * count under the default, none when this is given.
   * @default on 'cpu', the optimizer this process shares for the device and
   * thread count (leaseSharedOptimizer); none elsewhere (not measured on CUDA)
   */
  optimizer?: ModelOptimizer | false;
  /** Called on the main thread after every LOAD that created a session. */
  onLoad?: (load: LoadRecord) => void;
  /** A session thread released a session (an UNLOAD, or one the controller did not adopt): its memory may go back to the system (memory-trim.ts). */
  onReleased?: () => void;
  /** Each load at debug. @default createLogger('worker') */
  logger?: Logger;
  /**
   * Session threads. 1: one thread and one queue for every action. n >= 2:
   * n threads, INFERs on one queue and LOADs / UNLOADs on another, in parallel.
   * @default 1
   */
  lanes?: number;
  /** Called when an action starts while its thread is still busy with another (it waits behind it). */
  onLaneWait?: (wait: LaneWait) => void;
  /** Called when one of its threads dies (after the actions it held failed; a new thread is starting). */
  onThreadDied?: (why: string) => void;
  /** The worker's data plane: where staged rows' tensors wait, and how their outputs reach their clients. @default none: every staged row is missing */
  dataPlane?: ExecutorDataPlane;
}


/** An action that started while the thread holding its model was still busy. */
export interface LaneWait {
  executor: number;
  lane: number;
  type: ActionKind;
}

/** One session creation, as the executor thread measured it. */
export interface LoadRecord {
  executor: number;
  modelKey: string;
  /** What the session was created from. */
  source: 'optimized' | 'raw';
  /** Intra-op threads the session was created with. */
  threads: number;
  durationMs: number;
  /** Why the optimized model failed to load (the raw bytes were loaded instead). */
  fallback?: string;
}

export type ActionKind = 'LOAD' | 'UNLOAD' | 'INFER';

interface Job {
  id: number;
  type: ActionKind;
  modelKey: string;
  earliestMs: number;
  latestMs: number;
  expectedMs: number;
  /** LOAD: the lane asked for (checked on arrival). */
  lane: number;
  /** LOAD: the session's intra-op threads (checked on arrival); the executor's unless the action names fewer. */
  threads: number;
  inputs: WireTensor[];
  /** INFER: its batch size. */
  batch: number;
  /** INFER: rows whose tensors come over the data plane (`inputs` then holds the other rows). */
  staged: StagedRow[];
  /** INFER with staged rows: their tensors, expected from the moment the action arrives (worker/staged-batch.ts). */
  stagedRows?: StagedRows;
  /** LOAD on the emulated device: the model's figures there (Action.emulated), if it came with usable ones. */
  emulated: EmulatedRuns | undefined;
  receivedMs: number;
  /** The connection this action came on; results of an older one are dropped. */
  epoch: number;
}

/** What the work itself produced. */
interface Outcome {
  ok: boolean;
  message: string;
  durationMs: number;
  memoryBytes: number;
  outputs: WireTensor[];
}

export class Executor {
  /** INFERs' runner; with one lane, everyone's. */
  private readonly execRunner: ActionRunner<Job>;
  /** LOADs' and UNLOADs' runner: its own with several lanes, else the same one. */
  private readonly loadRunner: ActionRunner<Job>;
  private readonly lanes: SessionLanes;
  /** One per lane; none on the emulated device. */
  private readonly threads: ThreadClient[] = [];
  /** The emulated device (worker/emulated-device.ts); undefined on cpu and cuda. */
  private readonly emulated: EmulatedDevice | undefined;
  private readonly optimizer: ModelOptimizer | undefined;
  private readonly lease: OptimizerLease | undefined;
  /** Shared optimizers for LOADs at thread counts other than the executor's (default optimizer only), leased on first use. */
  private readonly otherLeases = new Map<number, OptimizerLease>();
  private readonly logger: Logger;
  private epoch = 0;
  private closed = false;

  private constructor(private readonly opts: ExecutorOptions) {
    this.lanes = new SessionLanes(opts.lanes ?? 1);
    const events = {
      onStart: (job: Job, now: number) => void this.run(job, now),
      onRefuse: (job: Job, now: number) => {
        const message = `could not start by latest ${job.latestMs.toFixed(3)} ms (now ${now.toFixed(3)}, earliest ${job.earliestMs.toFixed(3)})`;
        job.stagedRows?.drop(`its batch could not start in time on executor ${this.index}; the controller plans it again`);
        this.emit({ actionId: job.id, status: 'COULD_NOT_START_IN_TIME', message, receivedMs: job.receivedMs, endMs: now }, job);
      },
    };
    this.execRunner = new ActionRunner<Job>(opts.clock, events);
    this.loadRunner = this.lanes.count > 1 ? new ActionRunner<Job>(opts.clock, events) : this.execRunner;
    this.emulated = opts.device === 'emulated' ? new EmulatedDevice(this.lanes.count, opts.index, (key) => opts.cache.get(key)?.byteLength) : undefined;
    this.logger = opts.logger ?? createLogger('worker');
    if (opts.device !== 'emulated') {
      const { index, device, threads, memArena, spinWait, log, threadScript, onThreadDied } = opts;
      for (let lane = 0; lane < this.lanes.count; lane++) {
        const label = this.lanes.count > 1 ? `executor thread ${index} (lane ${lane})` : undefined;
        // A dead thread's sessions are gone with it: none of them is announced again.
        const onDied = (why: string): void => {
          this.lanes.laneDied(lane);
          onThreadDied?.(why);
        };
        this.threads.push(new ThreadClient({ index, device, threads, memArena, ...(spinWait === false ? { spinWait } : {}), log, script: threadScript, ...(label ? { label } : {}), onDied }));
      }
    }
    if (opts.optimizer !== undefined) {
      this.optimizer = opts.optimizer || undefined;
    } else if (opts.device === 'cpu') {
      this.lease = leaseSharedOptimizer({ device: opts.device, threads: opts.threads, log: opts.log, logger: this.logger });
      this.optimizer = this.lease.optimizer;
    }
  }

  /** Creates the executor and waits until its threads are ready to run actions. */
  static async start(opts: ExecutorOptions): Promise<Executor> {
    const e = new Executor(opts);
    const started = await Promise.allSettled(e.threads.map((t) => t.start()));
    const failure = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failure) {
      await Promise.all(e.threads.map((t) => t.close()));
      await e.lease?.release();
      throw failure.reason;
    }
    return e;
  }

  get index(): number {
    return this.opts.index;
  }

  /** What Hello announces: the executor, and the sessions it holds. */
  info(): ExecutorInfo {
    const { index, device, threads, memoryBytes } = this.opts;
    return { index, device, threads, memoryBytes, lanes: this.lanes.count, loaded: this.lanes.held() };
  }

  /** Queues an action that arrived at `receivedMs` (worker clock). */
  submit(action: Action__Output, receivedMs: number): void {
    if (this.closed) return;
    const type = action.type;
    if (type !== 'LOAD' && type !== 'UNLOAD' && type !== 'INFER') {
      const message = `unknown action type ${String(type)}`;
      this.emit({ actionId: action.id, status: 'FAILED', message, receivedMs, endMs: this.opts.clock.now() });
      return;
    }
    const lane = type === 'LOAD' ? action.lane : 0;
    const badLane = this.lanes.badLane(lane);
    if (badLane !== undefined) {
      this.emit({ actionId: action.id, status: 'FAILED', message: `LOAD of ${action.modelKey} on executor ${this.index}: ${badLane}`, receivedMs, endMs: this.opts.clock.now() });
      return;
    }
    // 0 (or absent, from a controller before per-model threads): the executor's own.
    const threads = (type === 'LOAD' ? action.threads : 0) || this.opts.threads;
    if (!Number.isSafeInteger(threads) || threads < 1 || threads > this.opts.threads) {
      const message = `LOAD of ${action.modelKey} on executor ${this.index} asks for ${threads} intra-op threads; this executor's sessions may have 1 to ${this.opts.threads} (the worker's --threads)`;
      this.emit({ actionId: action.id, status: 'FAILED', message, receivedMs, endMs: this.opts.clock.now() });
      return;
    }
    // Inputs are copied out of the gRPC message now, so that starting the
    // action later only has to transfer them. The emulated device ignores them.
    const wantsInputs = type === 'INFER' && this.threads.length > 0;
    const job: Job = {
      id: action.id,
      type,
      modelKey: action.modelKey,
      earliestMs: action.earliestMs,
      latestMs: action.latestMs,
      expectedMs: action.expectedMs,
      lane,
      threads,
      inputs: wantsInputs ? action.inputs.map(fromProtoTensor) : [],
      batch: action.batchSize,
      staged: type === 'INFER' ? action.staged.map((r) => ({ row: r.row, ticket: r.ticket })) : [],
      emulated: type === 'LOAD' && this.opts.device === 'emulated' ? EmulatedRuns.of(action.emulated) : undefined,
      receivedMs,
      epoch: this.epoch,
    };
    if (job.staged.length > 0) {
      const specs = action.inputSpecs.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape.map(Number) }));
      job.stagedRows = new StagedRows(this.opts.dataPlane, job.staged, specs, job);
    }
    this.runnerOf(type).submit(job);
  }

  /**
   * The controller went away: drops everything queued (nothing of it is
   * answered) and keeps the sessions, for the next controller to adopt
   * (keepOnly). An action running now finishes; its result is not sent.
   */
  detach(): void {
    if (this.closed) return;
    this.epoch++;
    this.execRunner.clear();
    this.loadRunner.clear();
  }

  /**
   * The controller that welcomed this worker adopted the sessions named in
   * `keys` (all, some or none of those info() announced): every other one is
   * released, on the thread that holds it, before anything the controller
   * sends next runs there (a thread takes its requests in order).
   */
  keepOnly(keys: ReadonlySet<string>): void {
    if (this.closed) return;
    for (const { modelKey, lane } of this.lanes.release(keys)) {
      if (this.emulated) {
        this.emulated.forget(modelKey);
        continue;
      }
      this.release(this.threads[lane], { type: 'unload', modelKey }, modelKey);
    }
  }

  /** Asks `thread` to release sessions; nothing waits for it, a failure is logged. */
  private release(thread: ThreadClient | undefined, request: Parameters<ThreadClient['request']>[0], what: string): void {
    const failed = (why: string): void => this.opts.log(`executor ${this.index}: releasing ${what} failed: ${why}`);
    thread?.request(request).then(
      (r) => {
        if (!r.ok) failed(r.message);
        else this.opts.onReleased?.();
      },
      (err: unknown) => failed(String(err)),
    );
  }

  /** Drops everything queued and stops the thread. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.epoch++;
    this.execRunner.close();
    this.loadRunner.close();
    this.emulated?.close();
    await Promise.all(this.threads.map((t) => t.close()));
    await this.lease?.release();
    await Promise.all([...this.otherLeases.values()].map((l) => l.release()));
    this.otherLeases.clear();
  }

  /** Where a LOAD at `threads` finds optimized models (see ExecutorOptions.optimizer). */
  private optimizerFor(threads: number): ModelOptimizer | undefined {
    if (threads === this.opts.threads) return this.optimizer;
    if (this.opts.optimizer !== undefined || this.opts.device !== 'cpu' || this.closed) return undefined;
    let lease = this.otherLeases.get(threads);
    if (!lease) {
      lease = leaseSharedOptimizer({ device: this.opts.device, threads, log: this.opts.log, logger: this.logger });
      this.otherLeases.set(threads, lease);
    }
    return lease.optimizer;
  }

  private runnerOf(type: ActionKind): ActionRunner<Job> {
    return type === 'INFER' ? this.execRunner : this.loadRunner;
  }

  /** Runs one job to its result; never rejects. */
  private async run(job: Job, startMs: number): Promise<void> {
    let outcome: Outcome;
    // Staged rows: their tensors, waited for until the end of the start window (undefined: missing).
    const staged = job.stagedRows;
    const arrived = staged ? await staged.arrivals : undefined;
    try {
      if (staged && arrived && this.threads.length > 0) job.inputs = staged.inputs(job.batch, job.inputs, arrived);
      outcome = await this.onLane(job);
    } catch (err) {
      outcome = failed(err instanceof Error ? err.message : String(err)); // e.g. the thread died
    }
    const { outputs, missingRows } = staged && arrived ? staged.settle(outcome, job.batch, arrived, `executor ${this.index}`) : { outputs: outcome.outputs, missingRows: [] };
    const endMs = this.opts.clock.now();
    this.runnerOf(job.type).finish(() =>
      this.emit({
        actionId: job.id,
        status: outcome.ok ? 'OK' : 'FAILED',
        message: outcome.message,
        receivedMs: job.receivedMs,
        startMs,
        endMs,
        durationMs: outcome.durationMs,
        memoryBytes: outcome.memoryBytes,
        outputs: outputs.map(toProtoTensor),
        missingRows,
      }, job),
    );
  }


  /** Runs the job on the lane holding its model (a LOAD: the lane it asked for), on its thread or emulated. */
  private async onLane(job: Job): Promise<Outcome> {
    const route = this.lanes.route(job.type, job.modelKey, job.lane);
    if (route === undefined) {
      // Several lanes, and none holds the model: what its thread would answer, without asking one.
      if (job.type === 'INFER') return failed(`model ${job.modelKey} is not loaded on executor ${this.index}`);
      return { ok: true, message: '', durationMs: 0, memoryBytes: 0, outputs: [] };
    }
    const { lane } = route;
    if (this.lanes.enter(lane)) this.opts.onLaneWait?.({ executor: this.index, lane, type: job.type });
    let ok = false;
    try {
      const thread = this.threads[lane];
      const outcome = thread ? await this.onThread(thread, job) : await this.onEmulated(lane, job);
      ok = outcome.ok;
      if (ok && job.type === 'LOAD') this.lanes.loaded(job.modelKey, lane, outcome.memoryBytes);
      return outcome;
    } finally {
      this.lanes.leave(lane);
      // Bookkept whatever the epoch: across a detach the thread holds the session, or not, either way.
      this.lanes.settle(job.type, job.modelKey, route, ok);
      if (job.type === 'UNLOAD') this.lanes.unloaded(job.modelKey);
      if (job.type === 'UNLOAD' && ok && !this.emulated) this.opts.onReleased?.();
    }
  }

  private async onThread(thread: ThreadClient, job: Job): Promise<Outcome> {
    let reply: ThreadReply;
    switch (job.type) {
      case 'LOAD': {
        const bytes = this.opts.cache.get(job.modelKey);
        if (!bytes) return failed(`model bytes for ${job.modelKey} not cached on this worker`);
        const optimizer = this.optimizerFor(job.threads);
        const optimized = optimizer?.optimized(bytes);
        reply = await thread.request({ type: 'load', modelKey: job.modelKey, bytes, threads: job.threads, ...(optimized ? { optimized } : {}) });
        if (reply.ok) this.loaded(job, bytes, reply, optimizer);
        break;
      }
      case 'UNLOAD':
        reply = await thread.request({ type: 'unload', modelKey: job.modelKey });
        break;
      case 'INFER': {
        const inputs = job.inputs;
        job.inputs = []; // their buffers move to the thread
        reply = await thread.request({ type: 'infer', modelKey: job.modelKey, inputs }, transferList(inputs));
        break;
      }
    }
    if (!reply.ok) return { ...failed(reply.message), durationMs: reply.durationMs };
    return { ok: true, message: '', durationMs: reply.durationMs, memoryBytes: reply.memoryBytes ?? 0, outputs: reply.outputs ?? [] };
  }

  /** After a LOAD on the thread: records it, drops optimized bytes that failed, asks for them after a raw load. */
  private loaded(job: Job, bytes: Uint8Array, reply: Extract<ThreadReply, { ok: true }>, optimizer: ModelOptimizer | undefined): void {
    const { modelKey } = job;
    const { source, fallback, durationMs } = reply;
    if (source === undefined) return; // it was loaded already: no session was created
    if (fallback !== undefined) optimizer?.rejected(modelKey, bytes, fallback);
    else if (source === 'raw') void optimizer?.prepare(modelKey, bytes);
    const threads = reply.threads ?? job.threads;
    const record: LoadRecord = { executor: this.index, modelKey, source, threads, durationMs, ...(fallback !== undefined ? { fallback } : {}) };
    this.logger.debug({ event: 'model_load', ...record }, `executor ${this.index} loaded ${modelKey} from the ${source} model (${threads} intra-op threads) in ${durationMs.toFixed(1)} ms`);
    this.opts.onLoad?.(record);
  }

  /** The emulated device runs the job on its lane (worker/emulated-device.ts). */
  private async onEmulated(lane: number, job: Job): Promise<Outcome> {
    const epoch = job.epoch;
    const o = await this.emulated!.run(lane, job, () => epoch === this.epoch);
    return { ...o, outputs: [] };
  }

  /** Hands a result on, unless it belongs to a connection that is gone. */
  private emit(result: ActionResult, job?: Job): void {
    if (job && job.epoch !== this.epoch) return;
    this.opts.onResult(result);
  }
}

function failed(message: string): Outcome {
  return { ok: false, message, durationMs: 0, memoryBytes: 0, outputs: [] };
}
