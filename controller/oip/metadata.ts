// What the Open Inference Protocol says about a model, the same over gRPC
// (services/oip-service.ts) and REST (http/v2-routes.ts): its metadata
// (tensors with a -1 batch axis when it batches) and whether a name and
// version are registered (ModelReady answers false, not NOT_FOUND, for one
// that is not, as Triton does).
import { modelKey } from '../../common/model-config.js';
import type { ModelRegistry, ServedModel } from '../model-registry.js';
import { v2Datatype } from './tensors.js';

export interface V2TensorMetadata {
  name: string;
  datatype: string;
  shape: number[];
}

export interface V2ModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: V2TensorMetadata[];
  outputs: V2TensorMetadata[];
}

/** A model's V2 metadata: every registered version of its name, its tensors with the batch axis as -1. */
export function v2ModelMetadata(registry: ModelRegistry, model: ServedModel): V2ModelMetadata {
  const batched = model.config.maxBatch > 0;
  const meta = (specs: ServedModel['config']['inputs']): V2TensorMetadata[] =>
    specs.map((s) => ({ name: s.name, datatype: v2Datatype(s.dtype), shape: batched ? [-1, ...s.shape] : [...s.shape] }));
  return {
    name: model.config.name,
    versions: registry
      .all()
      .filter((x) => x.config.name === model.config.name)
      .map((x) => String(x.config.version)),
    platform: 'onnxruntime_onnx',
    inputs: meta(model.config.inputs),
    outputs: meta(model.config.outputs),
  };
}

/** Whether a model name (version 0: any version) is registered. */
export function isRegistered(registry: ModelRegistry, name: string, version: number): boolean {
  return version === 0 ? registry.all().some((m) => m.config.name === name) : registry.get(modelKey(name, version)) !== undefined;
}
