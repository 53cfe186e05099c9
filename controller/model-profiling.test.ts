// Re-profiling reads the model's file from the repository: a file that has
// vanished under a running controller is a clear FAILED_PRECONDITION, not an
// internal error from deep inside onnxruntime.
import { describe, expect, it } from 'vitest';
import { PunctualError, Status } from '../common/errors.js';
import { reprofile } from './model-profiling.js';
import type { ServedModel } from './model-registry.js';

const gone: ServedModel = {
  key: 'm@1',
  config: { name: 'm', version: 1, inputs: [{ name: 'x', dtype: 'float32', shape: [4] }], outputs: [], maxBatch: 1, batchSizes: [1], defaultSloMs: 100 },
  dir: '/nonexistent/m/1',
  file: '/nonexistent/m/1/model.onnx',
  size: 10,
  sha256: '',
  counters: { ok: 0, rejected: 0, failed: 0, late: 0 },
};

describe('reprofile', () => {
  it('refuses a model whose file is gone with FAILED_PRECONDITION naming the file', async () => {
    const err = await reprofile(gone, { batchSizes: [], iterations: 1, maxThreads: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PunctualError);
    expect((err as PunctualError).code).toBe(Status.FAILED_PRECONDITION);
    expect((err as PunctualError).message).toBe('the file of m@1 is gone from the repository (/nonexistent/m/1/model.onnx); register it again');
  });
});
