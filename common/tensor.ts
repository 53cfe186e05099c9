// Moving tensors between wire form (bytes + dtype + shape), typed arrays and
// batches: requests are concatenated along axis 0 into one batch and outputs
// split back per request.
import { clipped, dims, quoted, someOf } from './bounded-text.js';
import { bytesPerElement, elementCount, type DType } from './dtype.js';
import { invalidArgument } from './errors.js';
import type { TensorSpec } from './model-config.js';

export interface WireTensor {
  name: string;
  dtype: string;
  shape: number[];
  data: Uint8Array;
}

/** Dimensions a tensor may declare, at most (a model's own rank plus a batch axis is far below). */
export const MAX_RANK = 16;

/**
 * Checks a client-declared shape before anything is sized from it: at most
 * MAX_RANK dimensions, each a whole number from 0 to 2^53 − 1.
 */
export function checkShape(model: string, input: string, shape: readonly number[]): void {
  if (shape.length > MAX_RANK) {
    throw invalidArgument(`model ${model}: input ${quoted(input)} declares ${shape.length} dimensions; at most ${MAX_RANK} are accepted`);
  }
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw invalidArgument(`model ${model}: input ${quoted(input)} has shape ${dims(shape)}: every dimension must be a whole number from 0 to 2^53 - 1`);
    }
  }
}

/** What a request declares of one input: its name, dtype and shape (its bytes aside). */
export interface DeclaredInput {
  name: string;
  dtype: string;
  shape: number[];
}

/**
 * Checks the names, dtypes and shapes a request declares against the model's
 * declared inputs and returns them in declaration order, with the expected
 * byte size of each. Accepts the per-item shape with or without a leading
 * batch axis of 1. Errors name what was expected, and echo what was sent
 * only clipped (names, shapes). The data plane's Admit checks this much;
 * validateInputs also checks the bytes.
 */
export function checkDeclaredInputs<T extends DeclaredInput>(model: string, specs: readonly TensorSpec[], inputs: readonly T[]): { input: T; bytes: number; expectedShape: string }[] {
  const expectedNames = someOf(specs.map((s) => s.name));
  if (inputs.length > specs.length) {
    throw invalidArgument(`model ${model} takes ${specs.length} input(s) (${expectedNames}); the request has ${inputs.length}`);
  }
  const byName = new Map<string, T>();
  for (const t of inputs) {
    if (byName.has(t.name)) throw invalidArgument(`model ${model}: input ${quoted(t.name)} given twice`);
    byName.set(t.name, t);
  }
  for (const t of inputs) {
    if (!specs.some((s) => s.name === t.name)) {
      throw invalidArgument(`model ${model}: unknown input ${quoted(t.name)}; expected inputs: ${expectedNames}`);
    }
  }
  return specs.map((spec) => {
    const t = byName.get(spec.name);
    if (!t) throw invalidArgument(`model ${model}: missing input ${quoted(spec.name)}; expected inputs: ${expectedNames}`);
    if (t.dtype !== spec.dtype) {
      throw invalidArgument(`model ${model}: input ${spec.name} has dtype ${t.dtype ? clipped(t.dtype, 16) : '(none)'}, expected ${spec.dtype}`);
    }
    const item = t.shape.length === spec.shape.length + 1 && t.shape[0] === 1 ? t.shape.slice(1) : t.shape;
    const expectedShape = `[1, ${spec.shape.join(', ')}] or [${spec.shape.join(', ')}]`;
    if (item.length !== spec.shape.length || item.some((d, i) => d !== spec.shape[i])) {
      throw invalidArgument(`model ${model}: input ${spec.name} has shape ${dims(t.shape)}, expected ${expectedShape}`);
    }
    return { input: t, bytes: elementCount(spec.shape) * bytesPerElement(spec.dtype), expectedShape };
  });
}

/**
 * Checks one request's inputs against the model's declared inputs and
 * returns them in declaration order (checkDeclaredInputs, then each one's
 * bytes).
 */
export function validateInputs(model: string, specs: readonly TensorSpec[], inputs: readonly WireTensor[]): WireTensor[] {
  return checkDeclaredInputs(model, specs, inputs).map(({ input: t, bytes: want, expectedShape }, i) => {
    if (t.data.byteLength !== want) {
      throw invalidArgument(
        `model ${model}: input ${specs[i]!.name} carries ${t.data.byteLength} bytes, expected ${want} (${specs[i]!.dtype} ${expectedShape}, little-endian)`,
      );
    }
    return t;
  });
}

/** Concatenates the i-th input of every request along a new batch axis. */
export function concatBatch(specs: readonly TensorSpec[], requests: readonly (readonly WireTensor[])[]): WireTensor[] {
  const only = requests.length === 1 ? requests[0] : undefined;
  if (only) {
    // A batch of one needs no copy: same bytes, shape [1, ...item].
    return specs.map((spec, i) => {
      const t = only[i];
      if (!t) throw new Error(`request 0 lacks input ${spec.name}`);
      return { name: spec.name, dtype: spec.dtype, shape: [1, ...spec.shape], data: t.data };
    });
  }
  return specs.map((spec, i) => {
    const itemBytes = elementCount(spec.shape) * bytesPerElement(spec.dtype);
    const data = new Uint8Array(itemBytes * requests.length);
    requests.forEach((inputs, r) => {
      const t = inputs[i];
      if (!t) throw new Error(`request ${r} lacks input ${spec.name}`);
      data.set(t.data, r * itemBytes);
    });
    return { name: spec.name, dtype: spec.dtype, shape: [requests.length, ...spec.shape], data };
  });
}

/** Splits batched outputs (axis 0 = batch) into one list of tensors per request. */
export function splitBatch(outputs: readonly WireTensor[], batch: number): WireTensor[][] {
  const perRequest: WireTensor[][] = Array.from({ length: batch }, () => []);
  for (const out of outputs) {
    const first = out.shape[0];
    if (first !== batch) throw new Error(`output ${out.name} has batch axis ${String(first)}, expected ${batch}`);
    const itemBytes = out.data.byteLength / batch;
    const itemShape = [1, ...out.shape.slice(1)];
    for (let r = 0; r < batch; r++) {
      perRequest[r]!.push({
        name: out.name,
        dtype: out.dtype,
        shape: itemShape,
        data: out.data.subarray(r * itemBytes, (r + 1) * itemBytes),
      });
    }
  }
  return perRequest;
}

export function specBytes(spec: TensorSpec): number {
  return elementCount(spec.shape) * bytesPerElement(spec.dtype as DType);
}
