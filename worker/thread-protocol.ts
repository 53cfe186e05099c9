// The messages between an executor (main thread) and its executor thread.
// Types only. Each request carries an id and gets exactly one reply with it;
// the thread handles requests one at a time, in the order they were posted.
import type { WireTensor } from '../common/tensor.js';
import type { Device } from '../common/device.js';

/** workerData of an executor thread. */
export interface ThreadConfig {
  index: number;
  device: Device;
  threads: number;
}

export type ThreadRequest =
  /** Create a session. `bytes` views the cache's SharedArrayBuffer: posting it shares, not copies. */
  | { id: number; type: 'load'; modelKey: string; bytes: Uint8Array }
  | { id: number; type: 'unload'; modelKey: string }
  /** Input buffers are transferred to the thread. */
  | { id: number; type: 'infer'; modelKey: string; inputs: WireTensor[] }
  /** Release every session (the worker lost its controller). */
  | { id: number; type: 'release-all' };

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
    }
  | { id: number; ok: false; durationMs: number; message: string };

/** The thread's first message: onnxruntime is imported and it is ready for requests. */
export interface ThreadReady {
  type: 'ready';
}
