// Checks a model's declared inputs (config.json) against what the ONNX file
// itself declares, and fills in its outputs. A mismatch is an error a person
// can act on, naming both sides.
import { isDType } from '../common/dtype.js';
import type { ModelConfig, TensorSpec } from '../common/model-config.js';
import type { ModelSignature } from '../common/model-signature.js';

function show(shape: readonly (number | string)[]): string {
  return `[${shape.map((d) => (typeof d === 'number' && d >= 0 ? d : '?')).join(', ')}]`;
}

export function checkSignature(config: ModelConfig, sig: ModelSignature): string | undefined {
  for (const spec of config.inputs) {
    const actual = sig.inputs.find((i) => i.name === spec.name);
    if (!actual) return `declared input ${spec.name} is not an input of the model (its inputs: ${sig.inputs.map((i) => i.name).join(', ')})`;
    if (actual.dtype !== spec.dtype) return `declared input ${spec.name} has dtype ${spec.dtype} but the model takes ${actual.dtype}`;
    if (actual.shape.length !== spec.shape.length + 1) {
      return `declared input ${spec.name} has per-item shape [${spec.shape.join(', ')}] but the model takes ${show(actual.shape)} (batch axis first)`;
    }
    for (let i = 0; i < spec.shape.length; i++) {
      const d = actual.shape[i + 1];
      if (typeof d === 'number' && d > 0 && d !== spec.shape[i]) {
        return `declared input ${spec.name} has per-item shape [${spec.shape.join(', ')}] but the model takes ${show(actual.shape)}`;
      }
    }
  }
  for (const i of sig.inputs) {
    if (!config.inputs.some((s) => s.name === i.name)) return `the model's input ${i.name} is not declared in config.json`;
  }
  return undefined;
}

/** Output specs from the model's signature (dynamic dims as -1, batch axis removed). */
export function outputsOf(sig: ModelSignature): TensorSpec[] {
  return sig.outputs
    .filter((o) => isDType(o.dtype))
    .map((o) => ({
      name: o.name,
      dtype: o.dtype as TensorSpec['dtype'],
      shape: o.shape.slice(1).map((d) => (typeof d === 'number' && d > 0 ? d : -1)),
    }));
}
