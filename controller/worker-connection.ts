// One connected worker, as the controller sees it: the bidi stream, the
// worker's executors, the measured clock offset, and which model bytes it
// holds. Clock offset and network delay are measured with pings on the
// stream, not assumed: the offset is taken from the sample with the smallest
// round trip among the recent ones.
import type * as grpc from '@grpc/grpc-js';
import type { Clock } from '../common/clock.js';
import type { ControllerMessage, WorkerMessage__Output, ExecutorInfo__Output } from '../common/wire.js';
import { sha256 } from '../profiles/profiler.js';

export type WorkerStream = grpc.ServerDuplexStream<WorkerMessage__Output, ControllerMessage>;

interface ClockSample {
  rtt: number;
  offset: number;
}

const CHUNK = 1024 * 1024;

export class WorkerConnection {
  readonly executors: ExecutorInfo__Output[];
  readonly connectedAt: number;
  private readonly samples: ClockSample[] = [];
  private nextPing = 1;
  /** Model keys whose bytes the worker holds (acknowledged). */
  readonly cached = new Set<string>();
  private readonly bytesWaiters = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  closed = false;
  /** The worker said it is shutting down: it gets no new work. */
  draining = false;

  constructor(
    readonly id: string,
    readonly name: string,
    readonly stream: WorkerStream,
    executors: ExecutorInfo__Output[],
    cachedModels: string[],
    private readonly clock: Clock,
  ) {
    this.executors = executors;
    this.connectedAt = clock.now();
    for (const k of cachedModels) this.cached.add(k);
  }

  send(msg: ControllerMessage): void {
    if (!this.closed) this.stream.write(msg);
  }

  ping(): void {
    this.send({ ping: { id: this.nextPing++, controllerMs: this.clock.now() } });
  }

  onPong(controllerMs: number, workerMs: number): void {
    const now = this.clock.now();
    const rtt = now - controllerMs;
    this.samples.push({ rtt, offset: workerMs - (controllerMs + rtt / 2) });
    if (this.samples.length > 16) this.samples.shift();
  }

  /** Worker clock minus controller clock. */
  get offset(): number {
    let best: ClockSample | undefined;
    for (const s of this.samples) if (!best || s.rtt < best.rtt) best = s;
    return best?.offset ?? 0;
  }

  get rtt(): number {
    let best = Infinity;
    for (const s of this.samples) best = Math.min(best, s.rtt);
    return best === Infinity ? 0 : best;
  }

  toWorker(controllerMs: number): number {
    return controllerMs + this.offset;
  }

  toController(workerMs: number): number {
    return workerMs - this.offset;
  }

  /** Sends a model's bytes in chunks unless the worker holds them; resolves on its ack. */
  async ensureBytes(key: string, bytes: Uint8Array, digest?: string): Promise<void> {
    if (this.cached.has(key)) return;
    const done = new Promise<void>((resolve, reject) => this.bytesWaiters.set(key, { resolve, reject }));
    const sum = digest ?? sha256(bytes);
    for (let offset = 0; offset < bytes.byteLength || offset === 0; offset += CHUNK) {
      const end = Math.min(bytes.byteLength, offset + CHUNK);
      const last = end >= bytes.byteLength;
      this.send({
        modelBytes: {
          modelKey: key,
          offset,
          totalSize: bytes.byteLength,
          chunk: bytes.subarray(offset, end),
          last,
          sha256: last ? sum : '',
        },
      });
      if (last) break;
    }
    await done;
  }

  onBytesAck(key: string, ok: boolean, message: string): void {
    const w = this.bytesWaiters.get(key);
    this.bytesWaiters.delete(key);
    if (ok) this.cached.add(key);
    if (!w) return;
    if (ok) w.resolve();
    else w.reject(new Error(`worker ${this.name} could not take the bytes of ${key}: ${message}`));
  }

  /** Tells the worker to drop a model's bytes (the model was removed). */
  forget(key: string): void {
    this.cached.delete(key);
    this.send({ forgetModel: { modelKey: key } });
  }

  close(): void {
    this.closed = true;
    for (const [key, w] of this.bytesWaiters) w.reject(new Error(`worker ${this.name} left before taking ${key}`));
    this.bytesWaiters.clear();
  }
}
