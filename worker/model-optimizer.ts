// Prepares models for fast loads. Most of a session's creation is onnxruntime
// optimizing the graph ('all'), and the optimized graph can be saved as a
// model of its own: a session created from it with optimizations off is ready
// in 0.5–0.75 of the time for det, rec and cls, with bitwise the same outputs (bench/load-time.ts,
// BENCHMARKS.md "Cold starts"). The optimizer does that once per model content
// (SHA-256) for one executor class (device and intra-op threads: at 'all' the
// result is specific to them and to this machine's CPU), in a thread of its
// own, never an executor's: optimizing costs a full session creation and a
// save. The optimized bytes live in a SharedArrayBuffer beside the raw ones,
// for as long as some cached raw bytes with that content do. Any failure
// leaves loads on the raw bytes, logged once per model content.
import type { Device } from '../common/device.js';
import type { Logger } from '../common/log.js';
import { ThreadClient } from './thread-client.js';
import type { ThreadReply } from './thread-protocol.js';

/** What the optimizer needs done off the main thread (a thread in production; tests substitute one). */
export interface OptimizerBackend {
  /** Hex SHA-256 of `bytes`. */
  digest(bytes: Uint8Array): Promise<string>;
  /** `bytes` optimized for the optimizer's executor class, viewing a SharedArrayBuffer. */
  optimize(bytes: Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}

export interface ModelOptimizerOptions {
  device: Device;
  /** Intra-op threads of the sessions the optimized models are for. */
  threads: number;
  /** Problem lines (a failed optimization). */
  log: (line: string) => void;
  /** Where an optimization that succeeded is said (info). @default none */
  logger?: Logger;
  /** @default a thread running the executor thread script (started on the first prepare) */
  backend?: OptimizerBackend;
}

interface Entry {
  sha256: string;
  state: 'optimizing' | 'ready' | 'failed';
  optimized?: Uint8Array;
  /** Settles (never rejects) once the state is no longer 'optimizing'. */
  done: Promise<void>;
}

/** What one cached byte range maps to: its content's entry, once digested. */
interface Slot {
  entry?: Entry;
  preparing: Promise<void>;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The backend used in production: one thread running worker/executor-thread.js, spawned on first use. */
export function threadBackend(opts: { device: Device; threads: number; log: (line: string) => void; script?: URL }): OptimizerBackend {
  // Made on first use: locating the script checks dist/ when running from
  // sources, which an executor that never optimizes must not depend on.
  let client: ThreadClient | undefined;
  let closed = false;
  const thread = (): ThreadClient => {
    if (closed) throw new Error('the model optimizer is closed');
    return (client ??= new ThreadClient({ index: -1, device: opts.device, threads: opts.threads, log: opts.log, label: 'model optimizer thread', script: opts.script }));
  };
  const ok = (r: ThreadReply): Extract<ThreadReply, { ok: true }> => {
    if (!r.ok) throw new Error(r.message);
    return r;
  };
  return {
    digest: async (bytes) => {
      const sha = ok(await thread().request({ type: 'digest', bytes })).sha256;
      if (!sha) throw new Error('the optimizer thread answered a digest without one');
      return sha;
    },
    optimize: async (bytes) => {
      const optimized = ok(await thread().request({ type: 'optimize', bytes })).optimized;
      if (!optimized) throw new Error('the optimizer thread answered without an optimized model');
      return optimized;
    },
    close: async () => {
      closed = true;
      await client?.close();
    },
  };
}

export class ModelOptimizer {
  /** `${device}/${threads}`: what the optimized models are specific to. */
  readonly executorClass: string;
  private readonly backend: OptimizerBackend;
  /** Cached raw bytes (by their buffer, then offset:length) → slot; gone with the bytes. */
  private readonly slots = new WeakMap<ArrayBufferLike, Map<string, Slot>>();
  /** Content → entry, while some slot holds it. */
  private readonly entries = new Map<string, WeakRef<Entry>>();
  private readonly forgotten = new FinalizationRegistry<string>((sha) => {
    if (this.entries.get(sha)?.deref() === undefined) this.entries.delete(sha);
  });
  private closed = false;

  constructor(private readonly opts: ModelOptimizerOptions) {
    this.executorClass = `${opts.device}/${opts.threads}`;
    this.backend = opts.backend ?? threadBackend(opts);
  }

  /**
   * Starts optimizing the model in `bytes` (a view the model cache keeps) unless
   * it was started already for these bytes or the same content. Resolves once
   * it is ready or has failed; never rejects.
   */
  prepare(modelKey: string, bytes: Uint8Array): Promise<void> {
    if (this.closed) return Promise.resolve();
    const existing = this.slotOf(bytes, false);
    if (existing) return existing.preparing;
    const slot: Slot = { preparing: Promise.resolve() };
    this.slotOf(bytes, true, slot);
    slot.preparing = (async () => {
      let sha256: string;
      try {
        sha256 = await this.backend.digest(bytes);
      } catch (err) {
        slot.entry = { sha256: '', state: 'failed', done: Promise.resolve() };
        if (!this.closed) this.opts.log(`cannot digest the bytes of ${modelKey} to optimize it (${errorMessage(err)}); its loads use the raw bytes`);
        return;
      }
      if (this.closed) return;
      slot.entry = this.entries.get(sha256)?.deref() ?? this.optimize(modelKey, sha256, bytes);
      await slot.entry.done;
    })();
    return slot.preparing;
  }

  /** The optimized model for these raw bytes, when it is ready. */
  optimized(bytes: Uint8Array): Uint8Array | undefined {
    const e = this.slotOf(bytes, false)?.entry;
    return e?.state === 'ready' ? e.optimized : undefined;
  }

  /** A session could not be created from the optimized bytes: they are dropped, and loads use the raw ones. Logs once per content. */
  rejected(modelKey: string, bytes: Uint8Array, why: string): void {
    const e = this.slotOf(bytes, false)?.entry;
    if (e?.state !== 'ready') return;
    e.state = 'failed';
    delete e.optimized;
    this.opts.log(`the optimized model of ${modelKey} did not load (${why}); its loads use the raw bytes`);
  }

  /** Bytes of optimized models held (beside the raw bytes of the model cache). */
  heldBytes(): number {
    let n = 0;
    for (const ref of this.entries.values()) n += ref.deref()?.optimized?.byteLength ?? 0;
    return n;
  }

  /** Stops the thread; prepare() does nothing from here on. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.backend.close();
  }

  private optimize(modelKey: string, sha256: string, bytes: Uint8Array): Entry {
    const entry: Entry = { sha256, state: 'optimizing', done: Promise.resolve() };
    this.entries.set(sha256, new WeakRef(entry));
    this.forgotten.register(entry, sha256);
    entry.done = (async () => {
      const t0 = performance.now();
      try {
        entry.optimized = await this.backend.optimize(bytes);
        entry.state = 'ready';
        this.opts.logger?.info(
          { event: 'model_optimized', modelKey, sha256: sha256.slice(0, 12), executorClass: this.executorClass, ms: Math.round(performance.now() - t0), rawBytes: bytes.byteLength, optimizedBytes: entry.optimized.byteLength },
          `optimized ${modelKey} for ${this.executorClass}: its loads use the optimized model`,
        );
      } catch (err) {
        entry.state = 'failed';
        if (!this.closed) this.opts.log(`optimizing ${modelKey} for ${this.executorClass} failed (${errorMessage(err)}); its loads use the raw bytes`);
      }
    })();
    return entry;
  }

  private slotOf(bytes: Uint8Array, create: false): Slot | undefined;
  private slotOf(bytes: Uint8Array, create: true, slot: Slot): Slot;
  private slotOf(bytes: Uint8Array, create: boolean, slot?: Slot): Slot | undefined {
    const key = `${bytes.byteOffset}:${bytes.byteLength}`;
    let byRange = this.slots.get(bytes.buffer);
    if (!create) return byRange?.get(key);
    if (!byRange) {
      byRange = new Map();
      this.slots.set(bytes.buffer, byRange);
    }
    byRange.set(key, slot!);
    return slot;
  }
}

/** A lease on the process's optimizer for one executor class. */
export interface OptimizerLease {
  optimizer: ModelOptimizer;
  /** Idempotent; the last release stops the optimizer's thread. */
  release(): Promise<void>;
}

const sharedOptimizers = new Map<string, { optimizer: ModelOptimizer; users: number }>();

/**
 * The optimizer every executor of this class in this process shares (so that a
 * worker with several executors optimizes each model once), created on the
 * first lease and closed with the last.
 */
export function leaseSharedOptimizer(opts: Omit<ModelOptimizerOptions, 'backend'>): OptimizerLease {
  const key = `${opts.device}/${opts.threads}`;
  let held = sharedOptimizers.get(key);
  if (!held) {
    held = { optimizer: new ModelOptimizer(opts), users: 0 };
    sharedOptimizers.set(key, held);
  }
  held.users++;
  const h = held;
  let released = false;
  return {
    optimizer: h.optimizer,
    release: async () => {
      if (released) return;
      released = true;
      if (--h.users > 0) return;
      if (sharedOptimizers.get(key) === h) sharedOptimizers.delete(key);
      await h.optimizer.close();
    },
  };
}
