// Random inputs of a model's declared shape and dtype, for `punctual infer`,
// trace replay and the benchmarks.
// Values stay in ranges any model accepts: floats in [0, 1), small
// non-negative integers (ids, indices), full-range bytes for uint8 images.
import { status as Status } from '@grpc/grpc-js';
import { elementCount, isDType, type DType, type TypedArray } from '../common/dtype.js';
import { PunctualClientError } from '../client/errors.js';
import type { TensorInput } from '../client/tensors.js';
import type { TensorSpec__Output } from '../common/wire.js';

export function randomTypedArray(dtype: DType, n: number, rand: () => number = Math.random): TypedArray {
  const small = (): number => Math.floor(rand() * 10);
  switch (dtype) {
    case 'float32':
      return Float32Array.from({ length: n }, rand);
    case 'float64':
      return Float64Array.from({ length: n }, rand);
    case 'float16': // raw half bits, exponent 1..14: values in [2^-14, 1)
      return Uint16Array.from({ length: n }, () => ((1 + Math.floor(rand() * 14)) << 10) | Math.floor(rand() * 1024));
    case 'int8':
      return Int8Array.from({ length: n }, small);
    case 'int16':
      return Int16Array.from({ length: n }, small);
    case 'int32':
      return Int32Array.from({ length: n }, small);
    case 'int64':
      return BigInt64Array.from({ length: n }, () => BigInt(small()));
    case 'uint8':
      return Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
    case 'uint16':
      return Uint16Array.from({ length: n }, small);
    case 'uint32':
      return Uint32Array.from({ length: n }, small);
    case 'uint64':
      return BigUint64Array.from({ length: n }, () => BigInt(small()));
    case 'bool':
      return Uint8Array.from({ length: n }, () => (rand() < 0.5 ? 0 : 1));
  }
}

/** One random request for `inputs` (per-item shapes), each with a leading batch axis of 1. */
export function randomInputs(inputs: readonly TensorSpec__Output[], rand?: () => number): Record<string, TensorInput> {
  const result: Record<string, TensorInput> = {};
  const cannot = (why: string): PunctualClientError => new PunctualClientError(Status.UNIMPLEMENTED, `cannot make a random input: ${why}`);
  for (const spec of inputs) {
    if (!isDType(spec.dtype)) throw cannot(`input ${spec.name} has unknown dtype ${JSON.stringify(spec.dtype)}`);
    if (spec.shape.some((d) => d < 0)) throw cannot(`input ${spec.name} has a dynamic shape [${spec.shape.join(', ')}]`);
    result[spec.name] = { data: randomTypedArray(spec.dtype, elementCount(spec.shape), rand), shape: [1, ...spec.shape], dtype: spec.dtype };
  }
  return result;
}
