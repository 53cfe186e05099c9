// STUB: the worker process is being written. The interface below is the contract.
import type { Clock } from '../common/clock.js';
import type { Device } from './ort-session.js';

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
}

export interface WorkerHandle {
  /** True while the stream to the controller is up and welcomed. */
  connected(): boolean;
  /** Leaves the controller and stops every executor thread. */
  close(): Promise<void>;
}

export async function startWorker(_opts: WorkerOptions): Promise<WorkerHandle> {
  throw new Error('not implemented yet');
}
