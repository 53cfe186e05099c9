// The V2 service's answers where Triton's clients expect Triton's, against a
// stand-in serving core (a registry, workers and a submitAll that records
// what it was given): ModelReady of an unknown model, timeout 0, priority,
// typed contents answered raw, ModelConfig and ModelStatistics.
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../common/model-config.js';
import { ecosystemProtos } from '../../common/ecosystem-protos.js';
import { createLogger } from '../../common/log.js';
import type { ModelInferRequest, ModelInferRequest__Output } from '../../protos/generated/inference/ModelInferRequest.js';
import type { ModelInferResponse } from '../../protos/generated/inference/ModelInferResponse.js';
import { ModelRegistry } from '../model-registry.js';
import { ModelStatistics } from '../model-statistics.js';
import type { InferAnswer } from '../request-book.js';
import type { ServingCore } from '../serving-core.js';
import { checkPriorityParam, oipService, timeoutParamMs } from './oip-service.js';
import { AdmittedMethod, type CallCore } from './server-call.js';

const CLS: ModelConfig = {
  name: 'cls',
  version: 1,
  inputs: [{ name: 'x', dtype: 'float32', shape: [3, 2] }],
  outputs: [{ name: 'y', dtype: 'float32', shape: [2] }],
  maxBatch: 8,
  batchSizes: [1, 2, 4, 8],
  defaultSloMs: 250,
};

function stand() {
  const registry = new ModelRegistry();
  registry.add({ key: 'cls@1', config: CLS, dir: '', file: '', size: 1, sha256: 'a'.repeat(64) });
  registry.add({ key: 'cls@2', config: { ...CLS, version: 2 }, dir: '', file: '', size: 1, sha256: 'a'.repeat(64) });
  registry.add({ key: 'det@1', config: { ...CLS, name: 'det', maxBatch: 1, batchSizes: [1] }, dir: '', file: '', size: 1, sha256: 'a'.repeat(64) });
  const submitted: { key: string; items: number; sloMs: number }[] = [];
  const notAdmitted: string[] = [];
  const workers = new Map([
    ['w1', { draining: false, executors: [{ device: 'cpu' }, { device: 'cpu' }, { device: 'cuda:1' }] }],
    ['w2', { draining: false, executors: [{ device: 'cuda:0' }, { device: 'cuda:1' }, { device: 'emulated' }] }],
    ['w3', { draining: true, executors: [{ device: 'cpu' }] }],
  ]);
  const core = {
    registry,
    workers,
    submitAll: (model: { key: string }, items: unknown[], sloMs: number): Promise<InferAnswer>[] => {
      submitted.push({ key: model.key, items: items.length, sloMs });
      // A softmax-ish answer per item: [0.25, 0.75].
      const y = Buffer.from(new Float32Array([0.25, 0.75]).buffer);
      return items.map(() => Promise.resolve({ outputs: [{ name: 'y', dtype: 'float32', shape: [1, 2], data: y }], queueMs: 1, execMs: 1, totalMs: 2, batchSize: 1, worker: 'w1', executor: 0 }));
    },
    beforeAdmission<T>(check: () => T): T {
      try {
        return check();
      } catch (err) {
        notAdmitted.push(String((err as { code?: number }).code));
        throw err;
      }
    },
    noteIntake: () => undefined,
    unexpected: () => undefined,
  };
  const statistics = new ModelStatistics({ wallClock: () => 1_700_000_000_000 });
  let ready = true;
  const svc = oipService({
    core: core as unknown as ServingCore,
    clock: { now: () => 1000 },
    log: createLogger('test', 'silent'),
    ready: () => ready,
    statistics,
  });
  const infer = async (req: ModelInferRequest): Promise<ModelInferResponse> => {
    // Through the wire form, as grpc-js would hand it over (defaults, oneof names).
    const def = ecosystemProtos().oip.inference.GRPCInferenceService.service.ModelInfer;
    const full = def.requestDeserialize(def.requestSerialize(req));
    const call = { metadata: new grpc.Metadata(), getDeadline: () => Infinity } as unknown as grpc.ServerUnaryCall<ModelInferRequest__Output, ModelInferResponse>;
    const m = svc.ModelInfer as AdmittedMethod<ModelInferRequest__Output, ModelInferResponse>;
    return m.handle(full, call, core as unknown as CallCore, { now: () => 1000 });
  };
  return { svc, core, submitted, notAdmitted, statistics, infer, setReady: (r: boolean) => (ready = r) };
}

const codeOf = (f: () => unknown): number | undefined => {
  try {
    f();
  } catch (err) {
    return (err as { code?: number }).code;
  }
  return undefined;
};

const raw = (batch: number): Pick<ModelInferRequest, 'inputs' | 'rawInputContents'> => ({
  inputs: [{ name: 'x', datatype: 'FP32', shape: [batch, 3, 2] }],
  rawInputContents: [Buffer.alloc(batch * 6 * 4)],
});

describe('V2 service: answers as Triton gives them', () => {
  it('ModelReady: ready for a registered model or version, false (not NOT_FOUND) for one that is not, false while the server is not ready', () => {
    const { svc, setReady } = stand();
    const ready = (name: string, version = ''): unknown => (svc.ModelReady as (r: { name: string; version: string }) => unknown)({ name, version });
    expect(ready('cls')).toEqual({ ready: true });
    expect(ready('cls', '2')).toEqual({ ready: true });
    expect(ready('nope')).toEqual({ ready: false });
    expect(ready('cls', '3')).toEqual({ ready: false });
    expect(codeOf(() => ready('cls', 'x'))).toBe(3); // a malformed version is still INVALID_ARGUMENT
    setReady(false);
    expect(ready('cls')).toEqual({ ready: false });
  });

  it('timeout 0 means no timeout (Triton): the model default SLO, as with no timeout at all', async () => {
    expect(timeoutParamMs({})).toBeUndefined();
    expect(timeoutParamMs({ timeout: { parameterChoice: 'int64Param', int64Param: 0 } })).toBeUndefined();
    expect(timeoutParamMs({ timeout: { parameterChoice: 'uint64Param', uint64Param: 0 } })).toBeUndefined();
    expect(timeoutParamMs({ timeout: { parameterChoice: 'int64Param', int64Param: 5000 } })).toBe(5);
    expect(codeOf(() => timeoutParamMs({ timeout: { parameterChoice: 'int64Param', int64Param: -5 } }))).toBe(3);
    expect(codeOf(() => timeoutParamMs({ timeout: { parameterChoice: 'stringParam', stringParam: '5' } }))).toBe(3);
    const { infer, submitted } = stand();
    await infer({ modelName: 'cls', ...raw(1), parameters: { timeout: { int64Param: 0 } } });
    await infer({ modelName: 'cls', ...raw(1) });
    await infer({ modelName: 'cls', ...raw(1), parameters: { timeout: { int64Param: 40_000 } } });
    expect(submitted.map((s) => s.sloMs)).toEqual([250, 250, 40]);
  });

  it('priority: 0 (the default) is accepted; any other level is refused with INVALID_ARGUMENT saying why, counted as not admitted', async () => {
    expect(() => checkPriorityParam({})).not.toThrow();
    expect(() => checkPriorityParam({ priority: { parameterChoice: 'uint64Param', uint64Param: 0 } })).not.toThrow();
    const { infer, submitted, notAdmitted } = stand();
    await infer({ modelName: 'cls', ...raw(1), parameters: { priority: { uint64Param: 0 } } });
    await expect(infer({ modelName: 'cls', ...raw(1), parameters: { priority: { uint64Param: 2 } } })).rejects.toMatchObject({
      code: 3,
      message: expect.stringMatching(/parameter "priority" 2 is not supported: Punctual orders requests by their deadlines.*tighter "timeout"/),
    });
    await expect(infer({ modelName: 'cls', ...raw(1), parameters: { priority: { stringParam: 'high' } } })).rejects.toMatchObject({ code: 3 });
    expect(submitted).toHaveLength(1);
    expect(notAdmitted).toEqual(['3', '3']);
  });

  it('an input without its batch axis is refused with INVALID_ARGUMENT naming the shape expected', async () => {
    const { infer, submitted } = stand();
    await expect(infer({ modelName: 'cls', inputs: [{ name: 'x', datatype: 'FP32', shape: [3, 2] }], rawInputContents: [Buffer.alloc(24)] })).rejects.toMatchObject({
      code: 3,
      message: expect.stringMatching(/input x has shape \[3, 2\], without the batch axis; expected \[n, 3, 2\] with n from 1 to 8/),
    });
    expect(submitted).toHaveLength(0);
  });

  it('typed contents in, raw_output_contents out (as Triton answers gRPC; tritonclient reads nothing else)', async () => {
    const { infer } = stand();
    const res = await infer({ modelName: 'cls', id: 'q', inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 3, 2], contents: { fp32Contents: Array.from({ length: 12 }, () => 0.5) } }] });
    expect(res.id).toBe('q');
    expect(res.outputs).toEqual([{ name: 'y', datatype: 'FP32', shape: [2, 2] }]);
    expect(res.rawOutputContents).toHaveLength(1);
    expect([...new Float32Array(new Uint8Array(res.rawOutputContents![0] as Buffer).buffer)]).toEqual([0.25, 0.75, 0.25, 0.75]);
  });

  it('ServerMetadata lists the extensions served', () => {
    const { svc } = stand();
    expect((svc.ServerMetadata as () => unknown)()).toEqual({ name: 'punctual', version: '0.1.0', extensions: ['model_repository', 'model_configuration', 'statistics'] });
  });
});

describe('V2 service: ModelConfig', () => {
  it('a config Triton tools read: ONNX Runtime, max batch, per-item dims, dynamic batching from the batch sizes, instance groups from the executors', () => {
    const { svc } = stand();
    const res = (svc.ModelConfig as (r: { name: string; version: string }) => { config: unknown })({ name: 'cls', version: '' });
    expect(res.config).toEqual({
      name: 'cls',
      platform: 'onnxruntime_onnx',
      backend: 'onnxruntime',
      versionPolicy: { all: {} },
      maxBatchSize: 8,
      input: [{ name: 'x', dataType: 'TYPE_FP32', format: 'FORMAT_NONE', dims: [3, 2] }],
      output: [{ name: 'y', dataType: 'TYPE_FP32', dims: [2] }],
      dynamicBatching: { preferredBatchSize: [1, 2, 4, 8], maxQueueDelayMicroseconds: 0 },
      // The draining worker's executor is left out; emulated counts as CPU; one GPU group per device index.
      instanceGroup: [
        { name: 'cls_0', kind: 'KIND_CPU', count: 3, gpus: [] },
        { name: 'cls_1', kind: 'KIND_GPU', count: 1, gpus: [0] },
        { name: 'cls_2', kind: 'KIND_GPU', count: 2, gpus: [1] },
      ],
      defaultModelFilename: 'model.onnx',
    });
  });

  it('a model of max batch 1 has no dynamic batching; an unknown model is NOT_FOUND', () => {
    const { svc } = stand();
    const config = (name: string, version = ''): { config: Record<string, unknown> } => (svc.ModelConfig as (r: { name: string; version: string }) => { config: Record<string, unknown> })({ name, version });
    expect(config('det').config.dynamicBatching).toBeUndefined();
    expect(config('det').config.maxBatchSize).toBe(1);
    expect(codeOf(() => config('nope'))).toBe(5);
    expect(codeOf(() => config('cls', '9'))).toBe(5);
  });
});

describe('V2 service: ModelStatistics', () => {
  type Stats = { modelStats: { name: string; version: string; inferenceCount: number; inferenceStats: { success: { count: number } } }[] };
  const statsOf = (svc: ReturnType<typeof stand>['svc'], name = '', version = ''): Stats => (svc.ModelStatistics as (r: { name: string; version: string }) => Stats)({ name, version });

  it('every model version for an empty name, one name`s versions, or one version; counts from the accumulator', () => {
    const { svc, statistics } = stand();
    statistics.answered('cls@1', { totalMs: 2, queueMs: 1, execMs: 1 });
    statistics.answered('cls@1', { totalMs: 2, queueMs: 1, execMs: 1 });
    expect(statsOf(svc).modelStats.map((m) => `${m.name}@${m.version}`)).toEqual(['cls@1', 'cls@2', 'det@1']);
    expect(statsOf(svc, 'cls').modelStats.map((m) => m.version)).toEqual(['1', '2']);
    const one = statsOf(svc, 'cls', '1').modelStats;
    expect(one).toHaveLength(1);
    expect(one[0]!.inferenceCount).toBe(2);
    expect(one[0]!.inferenceStats.success.count).toBe(2);
    expect(statsOf(svc, 'cls', '2').modelStats[0]!.inferenceCount).toBe(0);
  });

  it('an unknown model or version is NOT_FOUND; a version without a name is INVALID_ARGUMENT', () => {
    const { svc } = stand();
    expect(codeOf(() => statsOf(svc, 'nope'))).toBe(5);
    expect(codeOf(() => statsOf(svc, 'cls', '7'))).toBe(5);
    expect(codeOf(() => statsOf(svc, '', '1'))).toBe(3);
    expect(codeOf(() => statsOf(svc, 'cls', 'x'))).toBe(3);
  });
});
