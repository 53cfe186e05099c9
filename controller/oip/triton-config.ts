// A registered model as Triton's model configuration (ModelConfig, Triton's
// model_config.proto): what perf_analyzer and Model Analyzer read before they
// start. Built from the model's config.json and the executors connected now,
// nothing stored:
//   platform/backend  onnxruntime_onnx / onnxruntime (every Punctual model is ONNX)
//   max_batch_size    the model's maxBatch; inputs' and outputs' dims are per
//                     item, without the batch axis, as Triton's are then
//   dynamic_batching  preferred_batch_size: the batch sizes the scheduler forms
//                     (config.json batchSizes); max_queue_delay_microseconds 0:
//                     Punctual never holds a request back to fill a batch — an
//                     executor that comes free takes the largest batch of what
//                     is queued that still meets the earliest deadline in it
//   instance_group    one group per kind of executor connected: KIND_CPU
//                     (cpu and emulated executors), KIND_GPU per CUDA device
//                     index; count is how many executors of that kind could
//                     run the model (any executor loads any model on demand)
//   version_policy    all: every registered version answers requests that pin it
import { isDType, type DType } from '../../common/dtype.js';
import { deviceOf } from '../../common/device.js';
import type { TensorSpec } from '../../common/model-config.js';
import type { DataType__Output } from '../../protos/generated/inference/DataType.js';
import type { ModelConfig } from '../../protos/generated/inference/ModelConfig.js';
import type { ModelInstanceGroup } from '../../protos/generated/inference/ModelInstanceGroup.js';
import type { ServedModel } from '../model-registry.js';

/** Triton's DataType name of each Punctual dtype. */
const TRITON_TYPE: Record<DType, DataType__Output> = {
  bool: 'TYPE_BOOL',
  uint8: 'TYPE_UINT8',
  uint16: 'TYPE_UINT16',
  uint32: 'TYPE_UINT32',
  uint64: 'TYPE_UINT64',
  int8: 'TYPE_INT8',
  int16: 'TYPE_INT16',
  int32: 'TYPE_INT32',
  int64: 'TYPE_INT64',
  float16: 'TYPE_FP16',
  float32: 'TYPE_FP32',
  float64: 'TYPE_FP64',
};

/** Triton's DataType name of a Punctual dtype ("float32" → "TYPE_FP32"); TYPE_INVALID for one it does not know. */
export function tritonDataType(dtype: string): DataType__Output {
  return isDType(dtype) ? TRITON_TYPE[dtype] : 'TYPE_INVALID';
}

/** An executor as ModelConfig needs it: the device it runs on ("cpu", "emulated", "cuda:N"). */
export interface ExecutorDevice {
  device: string;
}

/** Instance groups from the executors connected: KIND_CPU for cpu and emulated ones, KIND_GPU per CUDA device index. */
export function instanceGroups(model: string, executors: Iterable<ExecutorDevice>): ModelInstanceGroup[] {
  let cpu = 0;
  const gpus = new Map<number, number>();
  for (const e of executors) {
    const d = deviceOf(e.device);
    if (d === undefined) continue;
    if (d.startsWith('cuda:')) {
      const index = Number(d.slice('cuda:'.length));
      gpus.set(index, (gpus.get(index) ?? 0) + 1);
    } else cpu++;
  }
  const groups: ModelInstanceGroup[] = [];
  if (cpu > 0) groups.push({ kind: 'KIND_CPU', count: cpu, gpus: [] });
  for (const [index, count] of [...gpus].sort((a, b) => a[0] - b[0])) groups.push({ kind: 'KIND_GPU', count, gpus: [index] });
  // Triton's default names: <model name>_<group number>.
  return groups.map((g, i) => ({ name: `${model}_${i}`, ...g }));
}

function tensors(specs: readonly TensorSpec[]): { name: string; dataType: DataType__Output; dims: number[] }[] {
  return specs.map((s) => ({ name: s.name, dataType: tritonDataType(s.dtype), dims: [...s.shape] }));
}

/** The ModelConfig Triton's tools read for a registered model, with the executors connected now. */
export function tritonModelConfig(m: Pick<ServedModel, 'config'>, executors: Iterable<ExecutorDevice>): ModelConfig {
  const c = m.config;
  return {
    name: c.name,
    platform: 'onnxruntime_onnx',
    backend: 'onnxruntime',
    versionPolicy: { all: {} },
    maxBatchSize: c.maxBatch,
    input: tensors(c.inputs).map((t) => ({ ...t, format: 'FORMAT_NONE' })),
    output: tensors(c.outputs),
    // Triton has dynamic batching only with a batch axis to batch along.
    ...(c.maxBatch > 1 ? { dynamicBatching: { preferredBatchSize: [...c.batchSizes], maxQueueDelayMicroseconds: 0 } } : {}),
    instanceGroup: instanceGroups(c.name, executors),
    defaultModelFilename: 'model.onnx',
  };
}
