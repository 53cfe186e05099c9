// One connected worker, as the controller sees it: the bidi stream, the
// worker's executors, the measured clock offset, and which model bytes it
// holds. Clock offset and network delay are measured with pings on the
// stream, not assumed: the offset is taken from the sample with the smallest
// round trip among the recent ones.
import fsp from 'node:fs/promises';
import type * as grpc from '@grpc/grpc-js';
import type { Clock } from '../common/clock.js';
import type { ControllerMessage, WorkerMessage__Output, ExecutorInfo__Output } from '../common/wire.js';
import type { ModelFile } from '../profiles/profiler.js';

export type WorkerStream = grpc.ServerDuplexStream<WorkerMessage__Output, ControllerMessage>;

interface ClockSample {
  rtt: number;
  offset: number;
}

/** Bytes per ModelBytes message; also what one transfer holds in memory per message in flight. */
const CHUNK = 1024 * 1024;

export class WorkerConnection {
  readonly executors: ExecutorInfo__Output[];
  readonly connectedAt: number;
  private readonly samples: ClockSample[] = [];
  private nextPing = 1;
  /** Model keys whose bytes the worker holds (acknowledged). */
  readonly cached = new Set<string>();
  private readonly bytesWaiters = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  /** Transfers of model bytes in progress, by model key. */
  private readonly transfers = new Map<string, Promise<void>>();
  closed = false;
  /** The worker said it is shutting down: it gets no new work. */
  draining = false;
  /** It missed its liveness deadline: set aside until it answers again (see Liveness). */
  unresponsive = false;

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

  /**
   * Sends a model's file in chunks unless the worker holds it; resolves on its
   * ack. The file is read chunk by chunk and the stream's 'drain' awaited when
   * it is full, so a large model never sits in memory whole. One transfer per
   * model at a time: a second call joins the first.
   */
  ensureBytes(key: string, m: ModelFile): Promise<void> {
    if (this.cached.has(key)) return Promise.resolve();
    const running = this.transfers.get(key);
    if (running) return running;
    const t = this.transfer(key, m).finally(() => this.transfers.delete(key));
    this.transfers.set(key, t);
    return t;
  }

  private async transfer(key: string, m: ModelFile): Promise<void> {
    if (this.closed) throw new Error(`worker ${this.name} left before taking ${key}`);
    const done = new Promise<void>((resolve, reject) => this.bytesWaiters.set(key, { resolve, reject }));
    done.catch(() => undefined); // awaited below; rejected meanwhile (the worker left) it must not count as unhandled
    let sent = false;
    try {
      const fh = await fsp.open(m.file, 'r').catch((err: unknown) => {
        throw new Error(`cannot read the file of ${key}: ${err instanceof Error ? err.message : String(err)}`);
      });
      try {
        let offset = 0;
        do {
          const len = Math.min(CHUNK, m.size - offset);
          const chunk = Buffer.allocUnsafe(len);
          const { bytesRead } = len > 0 ? await fh.read(chunk, 0, len, offset) : { bytesRead: 0 };
          if (bytesRead !== len) throw new Error(`the file of ${key} (${m.file}) is shorter than its ${m.size} bytes`);
          if (this.closed) await done; // rejects: the worker left
          const last = offset + len >= m.size;
          sent = true;
          const more = this.stream.write({ modelBytes: { modelKey: key, offset, totalSize: m.size, chunk, last, sha256: last ? m.sha256 : '' } });
          offset += len;
          if (!more && !last) await Promise.race([this.drained(), done]);
        } while (offset < m.size);
      } finally {
        await fh.close();
      }
    } catch (err) {
      this.bytesWaiters.delete(key);
      if (sent && !this.closed) this.forget(key); // the worker drops the partial transfer
      throw err;
    }
    await done;
  }

  /** Resolves when the stream can take more (or closed: the caller then finds `closed` or `done` rejected). */
  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const on = (): void => {
        this.stream.off('drain', on);
        this.stream.off('close', on);
        resolve();
      };
      this.stream.on('drain', on);
      this.stream.on('close', on);
    });
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
