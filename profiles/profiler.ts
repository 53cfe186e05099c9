// Profiles a model on this machine: exec time distribution per batch size,
// load time and memory, on a real executor configuration, in a worker thread.
import { Worker } from 'node:worker_threads';
import os from 'node:os';
import crypto from 'node:crypto';
import { threadScript } from '../common/thread-script.js';
import type { TensorSpec } from '../common/model-config.js';
import { executorClass, type Device, type ModelSignature } from '../worker/ort-session.js';
import type { ModelProfile } from './profile.js';
import type { ProfileJob, ProfileMessage } from './profile-thread.js';

export interface ProfileOptions {
  /** Timed runs per batch size. @default 20 */
  iterations?: number;
  /** Untimed runs first. @default 2 */
  warmup?: number;
  /** Session creations timed (the slowest is kept). @default 2 */
  loads?: number;
  /** @default 1 */
  threads?: number;
  /** @default 'cpu' */
  device?: Device;
  onProgress?: (done: number, total: number, batch: number) => void;
}

export interface ProfileResult {
  profile: ModelProfile;
  signature: ModelSignature;
}

export function sha256(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

export async function profileModel(
  model: string,
  bytes: Uint8Array,
  inputs: TensorSpec[],
  batchSizes: number[],
  opts: ProfileOptions = {},
): Promise<ProfileResult> {
  const threads = opts.threads ?? 1;
  const device = opts.device ?? 'cpu';
  const job: ProfileJob = {
    bytes,
    inputs,
    batchSizes,
    iterations: opts.iterations ?? 20,
    warmup: opts.warmup ?? 2,
    loads: opts.loads ?? 2,
    threads,
    device,
  };
  const worker = new Worker(threadScript(import.meta.url, 'profile-thread.js'), { workerData: job });
  let signature: ModelSignature | undefined;
  try {
    const result = await new Promise<Extract<ProfileMessage, { type: 'result' }>>((resolve, reject) => {
      worker.on('message', (m: ProfileMessage) => {
        if (m.type === 'signature') signature = m.signature;
        else if (m.type === 'progress') opts.onProgress?.(m.done, m.total, m.batch);
        else if (m.type === 'result') resolve(m);
        else reject(new Error(`profiling ${model} failed: ${m.message}`));
      });
      worker.on('error', reject);
      worker.on('exit', (code) => reject(new Error(`profiling ${model}: thread exited with code ${code}`)));
    });
    const cls = executorClass(device, threads);
    const profile: ModelProfile = {
      model,
      sha256: sha256(bytes),
      measuredAt: new Date().toISOString(),
      host: `${os.hostname()} (${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown cpu'})`,
      memoryBytes: result.memoryBytes,
      classes: { [cls]: { cls, threads, batches: result.batches, loadMs: result.loadMs } },
    };
    if (!signature) throw new Error(`profiling ${model}: no signature`);
    return { profile, signature };
  } finally {
    await worker.terminate();
  }
}
