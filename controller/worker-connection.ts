// One connected worker, as the controller sees it: the bidi stream, the
// worker's executors, the measured clock offset, and which model bytes it
// holds. Clock offset and network delay are measured with pings on the
// stream, not assumed: the offset is taken from the sample with the smallest
// round trip among the recent ones.
//
// Bytes go to a worker once per distinct content: a model whose file has the
// SHA-256 of bytes the worker already holds (the copies of one file) is only
// named (ModelBytes.by_content), and the worker serves it from those bytes.
// A worker from before by_content refuses that without content_unknown; the
// connection then sends every model's bytes as before.
import fsp from 'node:fs/promises';
import type { Clock } from '../common/clock.js';
import { CoalescedWrites, packRuns, tensorBytes } from '../common/coalesced-writes.js';
import { MODEL_CHUNK_BYTES } from '../common/protos.js';
import type { Action, ActionResult__Output, ControllerMessage, WorkerMessage__Output, ExecutorInfo__Output } from '../common/wire.js';
import type { ModelFile } from '../profiles/profiler.js';
import type { ActionOutcome } from './scheduler/types.js';
import type { AdoptedSession } from './worker-membership.js';

/**
 * The part of a worker's stream the controller uses: grpc-js's
 * ServerDuplexStream for a worker that dials, common/local-stream.ts's
 * LocalServerStream for one in this process (`punctual up`).
 */
export interface WorkerStream {
  /** False: wait for 'drain' before writing more. `done` is called once the message has gone (or failed). */
  write(msg: ControllerMessage, done?: (err?: Error | null) => void): boolean;
  end(): void;
  on(event: 'data', listener: (msg: WorkerMessage__Output) => void): unknown;
  on(event: 'end' | 'close' | 'drain', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
}

interface ClockSample {
  rtt: number;
  offset: number;
}


/** A worker's answer to bytes sent or named. */
interface BytesAck {
  ok: boolean;
  message: string;
  contentUnknown: boolean;
}

export class WorkerConnection {
  readonly executors: ExecutorInfo__Output[];
  readonly connectedAt: number;
  private readonly samples: ClockSample[] = [];
  private nextPing = 1;
  /** Model keys whose bytes the worker holds (acknowledged). */
  readonly cached = new Set<string>();
  /** Acks awaited, by model key, with the SHA-256 of the bytes sent or named. */
  private readonly bytesWaiters = new Map<string, { sha256: string; resolve: (ack: BytesAck) => void; reject: (e: Error) => void }>();
  /** Transfers of model bytes in progress, by model key. */
  private readonly transfers = new Map<string, Promise<void>>();
  /** SHA-256 of what the worker holds for each cached key, where known. */
  private readonly contentOf = new Map<string, string>();
  /** How many cached keys the worker serves from each content. */
  private readonly holders = new Map<string, number>();
  /** Transfers of bytes in progress, by their SHA-256: a model with the same content waits for it, then is named. */
  private readonly contentTransfers = new Map<string, Promise<void>>();
  /** Whether to name bytes the worker holds instead of sending them; off once it refuses like a worker that cannot. */
  private byContent = true;
  /** Transfers that sent the bytes themselves, and those that only named them (for tests and the benchmark). */
  readonly bytesSent = { transfers: 0, named: 0 };
  closed = false;
  /** Coalesced writes (common/coalesced-writes.ts) for a worker that takes batches; undefined: each message written as it comes. */
  private readonly out: CoalescedWrites<ControllerMessage> | undefined;
  /** The worker said it is shutting down: it gets no new work. */
  draining = false;
  /** It missed its liveness deadline: set aside until it answers again (see Liveness). */
  unresponsive = false;
  /** Sessions it held as it joined that its Welcome adopted (adoptedSessions). */
  adopted: readonly AdoptedSession[] = [];

  constructor(
    readonly id: string,
    readonly name: string,
    readonly stream: WorkerStream,
    executors: ExecutorInfo__Output[],
    cachedModels: string[],
    private readonly clock: Clock,
    /** host:port of its data port (Hello.data_address); '' when it has none. */
    readonly dataAddress = '',
    /** It reads ActionBatch (Hello.takes_batches): actions that wait behind a write go together in the next. */
    takesBatches = false,
    /** Its data port speaks TLS (Hello.data_tls). */
    readonly dataTls = false,
  ) {
    this.out = takesBatches ? new CoalescedWrites<ControllerMessage>((m, done) => this.writeNow(m, done), packActions) : undefined;
    this.executors = executors;
    this.connectedAt = clock.now();
    for (const k of cachedModels) this.cached.add(k);
  }

  send(msg: ControllerMessage): void {
    if (this.closed) return;
    if (this.out) this.out.send(msg);
    else this.stream.write(msg);
  }

  /** Messages waiting for the write in flight (0 without batching). */
  get unsent(): number {
    return this.out?.waiting ?? 0;
  }

  private writeNow(msg: ControllerMessage, done: () => void): void {
    if (this.closed) done();
    else this.stream.write(msg, () => done());
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
    if (this.cached.has(key)) {
      // Announced in Hello: from now on its content is known to be the model's.
      if (!this.contentOf.has(key)) this.hold(key, m.sha256);
      return Promise.resolve();
    }
    const running = this.transfers.get(key);
    if (running) return running;
    const t = this.place(key, m).finally(() => this.transfers.delete(key));
    this.transfers.set(key, t);
    return t;
  }

  /** Names the bytes when the worker holds (or is being sent) the same content, else sends them. */
  private async place(key: string, m: ModelFile): Promise<void> {
    if (this.byContent) {
      const pending = this.contentTransfers.get(m.sha256);
      if (pending) await pending.catch(() => undefined);
      if ((this.holders.get(m.sha256) ?? 0) > 0 && (await this.nameBytes(key, m))) return;
    }
    const t = this.transfer(key, m);
    if (!this.contentTransfers.has(m.sha256)) {
      this.contentTransfers.set(m.sha256, t);
      void t.catch(() => undefined).finally(() => {
        if (this.contentTransfers.get(m.sha256) === t) this.contentTransfers.delete(m.sha256);
      });
    }
    await t;
  }

  /** Asks the worker to serve `key` from bytes it holds with m's SHA-256. False: they must be sent. */
  private async nameBytes(key: string, m: ModelFile): Promise<boolean> {
    const ack = await this.ask(key, m.sha256, () => {
      this.send({ modelBytes: { modelKey: key, offset: 0, totalSize: m.size, chunk: Buffer.alloc(0), last: true, sha256: m.sha256, byContent: true } });
    });
    if (ack.ok) {
      this.bytesSent.named++;
      return true;
    }
    // Our record was stale (the worker knows by_content), or it is a worker that does not.
    if (ack.contentUnknown) this.dropContent(m.sha256);
    else this.byContent = false;
    return false;
  }

  /** Sends, then waits for the worker's ack of `key` (rejects if the worker leaves). */
  private async ask(key: string, sha256: string, send: () => void): Promise<BytesAck> {
    if (this.closed) throw new Error(`worker ${this.name} left before taking ${key}`);
    const done = new Promise<BytesAck>((resolve, reject) => this.bytesWaiters.set(key, { sha256, resolve, reject }));
    send();
    return done;
  }

  private async transfer(key: string, m: ModelFile): Promise<void> {
    if (this.closed) throw new Error(`worker ${this.name} left before taking ${key}`);
    const done = new Promise<BytesAck>((resolve, reject) => this.bytesWaiters.set(key, { sha256: m.sha256, resolve, reject }));
    done.catch(() => undefined); // awaited below; rejected meanwhile (the worker left) it must not count as unhandled
    let sent = false;
    try {
      const fh = await fsp.open(m.file, 'r').catch((err: unknown) => {
        throw new Error(`cannot read the file of ${key}: ${err instanceof Error ? err.message : String(err)}`);
      });
      try {
        let offset = 0;
        do {
          const len = Math.min(MODEL_CHUNK_BYTES, m.size - offset);
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
    const ack = await done;
    if (!ack.ok) throw new Error(`worker ${this.name} could not take the bytes of ${key}: ${ack.message}`);
    this.bytesSent.transfers++;
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

  /** The worker's answer for `key`; `contentUnknown`: it holds no bytes it was asked to serve `key` from. */
  onBytesAck(key: string, ok: boolean, message: string, contentUnknown = false): void {
    const w = this.bytesWaiters.get(key);
    this.bytesWaiters.delete(key);
    if (ok) {
      this.cached.add(key);
      if (w) this.hold(key, w.sha256);
    }
    w?.resolve({ ok, message, contentUnknown });
  }

  /** Records that the worker serves `key` from bytes with this SHA-256. */
  private hold(key: string, sha256: string): void {
    this.release(key);
    this.contentOf.set(key, sha256);
    this.holders.set(sha256, (this.holders.get(sha256) ?? 0) + 1);
  }

  private release(key: string): void {
    const sha = this.contentOf.get(key);
    if (sha === undefined) return;
    this.contentOf.delete(key);
    const n = (this.holders.get(sha) ?? 1) - 1;
    if (n > 0) this.holders.set(sha, n);
    else this.holders.delete(sha);
  }

  private dropContent(sha256: string): void {
    for (const [key, sha] of this.contentOf) if (sha === sha256) this.release(key);
  }

  /** Tells the worker to drop a model's bytes (the model was removed). */
  forget(key: string): void {
    this.cached.delete(key);
    this.release(key);
    this.send({ forgetModel: { modelKey: key } });
  }

  close(): void {
    this.closed = true;
    for (const [key, w] of this.bytesWaiters) w.reject(new Error(`worker ${this.name} left before taking ${key}`));
    this.bytesWaiters.clear();
  }
}

/** Runs of actions become ActionBatch messages (common/coalesced-writes.ts); everything else keeps its place. */
const packActions = packRuns<ControllerMessage, Action>(
  (m) => m.action ?? undefined,
  (actions) => ({ actions: { actions } }),
  (a) => tensorBytes(a.inputs),
);

/** A worker's result as the scheduler reads it: its times on the controller's clock (conn.toController). */
export function outcomeOf(conn: Pick<WorkerConnection, 'toController'>, r: ActionResult__Output): ActionOutcome {
  if (r.status === 'OK') {
    const received = r.receivedMs > 0 ? { received: conn.toController(r.receivedMs) } : {};
    return { status: 'ok', start: conn.toController(r.startMs), end: conn.toController(r.endMs), duration: r.durationMs, memory: r.memoryBytes, ...received };
  }
  if (r.status === 'COULD_NOT_START_IN_TIME') return { status: 'refused', message: r.message };
  return { status: 'failed', message: r.message || 'action failed' };
}
