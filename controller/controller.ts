// STUB: the controller is being written. The interface below is the contract.
import type { Clock } from '../common/clock.js';

export interface ControllerOptions {
  /** Port for clients and workers; 0 picks a free one. @default 7000 */
  port?: number;
  /** @default '0.0.0.0' */
  host?: string;
  /** Model repository: <repo>/<model>/<version>/{model.onnx,config.json}. */
  repoDir: string;
  clock?: Clock;
}

export interface ControllerHandle {
  /** The port it listens on (the real one when 0 was asked). */
  port: number;
  close(): Promise<void>;
}

export async function startController(_opts: ControllerOptions): Promise<ControllerHandle> {
  throw new Error('not implemented yet');
}
