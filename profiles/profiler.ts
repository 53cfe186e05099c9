// Profiles a model on this machine: exec time distribution per batch size,
// load time and memory, on a real executor configuration, in a worker thread.
// Telemetry off in this process's environment before a profile thread loads
// onnxruntime (a thread's process.env is a copy native code does not see).
import '../common/ort-env.js';
import { Worker } from 'node:worker_threads';
import os from 'node:os';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { executorClass, type Device } from '../common/device.js';
import type { TensorSpec } from '../common/model-config.js';
import type { ModelSignature } from '../common/model-signature.js';
import { threadScript } from '../common/thread-script.js';
import type { ModelProfile } from '../common/profile.js';
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

/** A model file on disk: where it is, how large, and its SHA-256 (hex). The bytes stay on disk. */
export interface ModelFile {
  file: string;
  size: number;
  sha256: string;
}

/** Size and SHA-256 of a file, read as a stream (a large model never sits in memory whole). */
export async function describeFile(file: string): Promise<ModelFile> {
  const { size } = await fsp.stat(file);
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return { file, size, sha256: hash.digest('hex') };
}

/** Profiles the model in `m.file`; the profile thread opens the file itself. */
export async function profileModel(
  model: string,
  m: ModelFile,
  inputs: TensorSpec[],
  batchSizes: number[],
  opts: ProfileOptions = {},
): Promise<ProfileResult> {
  const threads = opts.threads ?? 1;
  const device = opts.device ?? 'cpu';
  const job: ProfileJob = {
    file: m.file,
    size: m.size,
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
      sha256: m.sha256,
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
