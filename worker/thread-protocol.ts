// The messages between an executor (main thread) and its executor thread, and
// between the model optimizer and its thread (the same script; it only sends
// 'digest' and 'optimize'). Types only. Each request carries an id and gets
// exactly one reply with it; the thread handles requests one at a time, in the
// order they were posted.
import type { WireTensor } from '../common/tensor.js';
import type { Device } from '../common/device.js';

/** workerData of an executor thread. */
export interface ThreadConfig {
  index: number;
  device: Device;
  threads: number;
  /**
   * The process's activity counters (load-memory.ts ProcessActivity), over a
   * SharedArrayBuffer every thread ThreadClient starts in this process shares:
   * RSS is process-wide, so a load's RSS growth is its session's own only if
   * nothing else moved while it was measured. @default counters of this thread's own
   */
  activity?: Int32Array;
  /** onnxruntime's CPU memory arena and memory patterns on (ort-session.ts SessionTuning). @default false */
  memArena?: boolean;
  /** false: the sessions' intra-op threads do not spin-wait between runs (ort-session.ts SessionTuning.spinWait). @default onnxruntime's (they do) */
  spinWait?: boolean;
}

export type ThreadRequest =
  /**
   * Create a session. `bytes` views the cache's SharedArrayBuffer: posting it
   * shares, not copies. `optimized`, when there is one, is the same model as
   * optimized for this thread's device and thread count (also shared): the
   * session is created from it with optimizations off, or from `bytes` if that
   * fails. `threads`: the session's intra-op threads. @default the thread's (ThreadConfig.threads)
   */
  | { id: number; type: 'load'; modelKey: string; bytes: Uint8Array; optimized?: Uint8Array; threads?: number }
  | { id: number; type: 'unload'; modelKey: string }
  /** Input buffers are transferred to the thread. */
  | { id: number; type: 'infer'; modelKey: string; inputs: WireTensor[] }
  /** Release every session (the worker lost its controller). */
  | { id: number; type: 'release-all' }
  /** The hex SHA-256 of `bytes` (shared, as for 'load'). */
  | { id: number; type: 'digest'; bytes: Uint8Array }
  /** The model optimized for this thread's device and thread count, into a new SharedArrayBuffer. */
  | { id: number; type: 'optimize'; bytes: Uint8Array };

export type ThreadReply =
  | {
      id: number;
      ok: true;
      /** Measured in the thread around the work itself (performance.now()). */
      durationMs: number;
      /** load: memory the session took; unload: memory it had taken. */
      memoryBytes?: number;
      /** infer: output buffers are transferred back. */
      outputs?: WireTensor[];
      /** load: what the session was created from. */
      source?: 'optimized' | 'raw';
      /** load: why the optimized bytes it was given failed (the session came from the raw ones). */
      fallback?: string;
      /** load: the intra-op threads the session was created with (onnxruntime's intraOpNumThreads). */
      threads?: number;
      /** digest: hex SHA-256. */
      sha256?: string;
      /** optimize: the optimized model, viewing a SharedArrayBuffer. */
      optimized?: Uint8Array;
    }
  | { id: number; ok: false; durationMs: number; message: string };

/** The thread's first message: onnxruntime is imported and it is ready for requests. */
export interface ThreadReady {
  type: 'ready';
}
