// Runs inside a worker thread: loads one model on a real executor
// configuration and measures load time, memory and execution time per batch
// size, posting progress as it goes. Kept off the controller's main thread
// because session.run blocks the thread it runs on.
import { parentPort, workerData } from 'node:worker_threads';
import type { Device } from '../common/device.js';
import { createSession, describeSession, runSession } from '../worker/ort-session.js';
import { bytesPerElement, elementCount, type DType } from '../common/dtype.js';
import type { TensorSpec } from '../common/model-config.js';
import { summarize, type BatchProfile } from '../common/profile.js';

export interface ProfileJob {
  /** The model file; onnxruntime reads it here, so its bytes never cross threads. */
  file: string;
  /** The file's size, bytes: the memory estimate's floor. */
  size: number;
  inputs: TensorSpec[];
  batchSizes: number[];
  iterations: number;
  warmup: number;
  loads: number;
  threads: number;
  device: Device;
}

export type ProfileMessage =
  | { type: 'signature'; signature: ReturnType<typeof describeSession> }
  | { type: 'progress'; done: number; total: number; batch: number }
  | { type: 'result'; loadMs: number; memoryBytes: number; batches: BatchProfile[] }
  | { type: 'error'; message: string };

function randomInput(spec: TensorSpec, batch: number) {
  const shape = [batch, ...spec.shape];
  const bytes = elementCount(shape) * bytesPerElement(spec.dtype as DType);
  const data = new Uint8Array(bytes);
  if (spec.dtype === 'float32') {
    const f = new Float32Array(data.buffer);
    for (let i = 0; i < f.length; i++) f[i] = Math.random();
  }
  return { name: spec.name, dtype: spec.dtype, shape, data };
}

async function run(job: ProfileJob): Promise<void> {
  const post = (m: ProfileMessage) => parentPort!.postMessage(m);
  let loadMs = 0;
  let memoryBytes = 0;
  let session: Awaited<ReturnType<typeof createSession>> | undefined;
  for (let i = 0; i < job.loads; i++) {
    if (session) await session.release();
    const rss0 = process.memoryUsage().rss;
    const t0 = performance.now();
    session = await createSession(job.file, { device: job.device, threads: job.threads });
    loadMs = Math.max(loadMs, performance.now() - t0);
    memoryBytes = Math.max(memoryBytes, process.memoryUsage().rss - rss0);
  }
  if (!session) throw new Error('no load was asked for');
  post({ type: 'signature', signature: describeSession(session) });
  const total = job.batchSizes.length * (job.iterations + job.warmup);
  let done = 0;
  const batches: BatchProfile[] = [];
  for (const batch of job.batchSizes) {
    const inputs = job.inputs.map((s) => randomInput(s, batch));
    const samples: number[] = [];
    for (let i = 0; i < job.warmup + job.iterations; i++) {
      const t0 = performance.now();
      await runSession(session, inputs);
      const ms = performance.now() - t0;
      if (i >= job.warmup) samples.push(ms);
      done++;
      if (done % 5 === 0 || done === total) post({ type: 'progress', done, total, batch });
    }
    batches.push(summarize(batch, samples));
  }
  // Memory after running includes the arena the runs needed.
  await session.release();
  post({ type: 'result', loadMs, memoryBytes: Math.max(memoryBytes, job.size), batches });
}

run(workerData as ProfileJob).catch((err: unknown) => {
  parentPort!.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) } satisfies ProfileMessage);
});
