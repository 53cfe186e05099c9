// Punctual's own protocol (punctual.v1.Inference through PunctualClient): the
// models and their declared inputs come from Admin.ListModels, each model's
// default SLO with them, and each answer carries the controller's own timings,
// on which "within SLO" is judged (arrival at the controller → answer leaves).
import { PunctualClient, type ModelInfo } from '../../client/client.js';
import { PunctualClientError } from '../../client/errors.js';
import type { PunctualClientOptions } from '../../client/options.js';
import { randomInputs } from '../random-input.js';
import type { Rand } from '../random.js';
import { grpcFailure } from './outcomes.js';
import { INPUTS_PER_MODEL, TargetFailure, type ReplayTarget, type TargetModel } from './target.js';

export class PunctualTarget implements ReplayTarget {
  readonly config: Record<string, unknown>;
  private readonly client: PunctualClient;
  private infos: Promise<ModelInfo[]> | undefined;

  /** @param address the controller, host:port */
  constructor(
    readonly address: string,
    options: PunctualClientOptions = {},
    readonly url = address,
  ) {
    this.client = new PunctualClient(address, options);
    this.config = { controller: address };
  }

  private list(): Promise<ModelInfo[]> {
    return (this.infos ??= this.client.listModels());
  }

  async models(): Promise<string[]> {
    return [...new Set((await this.list()).map((m) => m.name))];
  }

  async prepare(model: string, rand: Rand): Promise<TargetModel> {
    const info = (await this.list()).filter((m) => m.name === model).sort((a, b) => b.version - a.version)[0];
    if (!info) throw new Error(`model ${model} is not registered at ${this.address}`);
    const pool = Array.from({ length: INPUTS_PER_MODEL }, () => randomInputs(info.inputs, rand));
    return {
      defaultSloMs: info.defaultSloMs > 0 ? info.defaultSloMs : 100,
      infer: (id, sloMs, deadlineMs) =>
        this.client.infer(model, pool[id % pool.length]!, { sloMs, deadlineMs }).then(
          (r) => ({
            latencyMs: r.latencyMs,
            serverMs: r.timings.totalMs,
            detail: { queue_ms: r.timings.queueMs, exec_ms: r.timings.execMs, server_ms: r.timings.totalMs, batch: r.batchSize, worker: r.worker },
          }),
          (err: unknown) => {
            if (err instanceof PunctualClientError) throw new TargetFailure(grpcFailure(err.code, err.message, err.reason));
            throw new TargetFailure({ status: 'error', code: 'UNKNOWN', reason: 'unknown', message: String(err) });
          },
        ),
    };
  }

  close(): Promise<void> {
    this.client.close();
    return Promise.resolve();
  }
}
