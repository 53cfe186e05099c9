// Typed arrays to wire tensors and back. Inputs leave as the raw bytes of the
// caller's typed array (no copy); outputs come back as typed arrays viewing
// the received bytes. Typed arrays use the platform's byte order, which is
// little-endian on every platform Node supports in practice, as the wire wants.
import { status as Status } from '@grpc/grpc-js';
import { bytesOf, bytesPerElement, dtypeOf, elementCount, isDType, typedView, type DType, type TypedArray } from '../common/dtype.js';
import type { Tensor, Tensor__Output, TensorSpec__Output } from '../common/wire.js';
import { InvalidInputError, PunctualClientError } from './errors.js';

/** One input with its shape spelled out. `dtype` defaults to the typed array's own (Uint8Array → uint8; say 'bool' explicitly). */
export interface TensorInput {
  data: TypedArray;
  /** Per-item shape, optionally with a leading batch axis of 1. */
  shape: number[];
  dtype?: DType;
}

/**
 * Named inputs. A bare typed array takes the model's declared per-item shape
 * (and its dtype where the array's element size fits it, e.g. Uint8Array for bool).
 */
export type InferInputs = Record<string, TypedArray | TensorInput>;

/** One output tensor, with its data as a typed array of its dtype (float16 arrives as raw Uint16Array bits). */
export interface OutputTensor {
  dtype: DType;
  shape: number[];
  data: TypedArray;
}

function isTensorInput(v: TypedArray | TensorInput): v is TensorInput {
  return !ArrayBuffer.isView(v);
}

function localInvalid(message: string): InvalidInputError {
  return new InvalidInputError(Status.INVALID_ARGUMENT, message, 'invalid_argument');
}

/** The dtype to send for a bare typed array: the declared one when the bytes fit it, else the array's own. */
function bareDType(data: TypedArray, declared: string): DType {
  const own = dtypeOf(data);
  if ((declared === 'bool' && own === 'uint8') || (declared === 'float16' && own === 'uint16')) return declared;
  return own;
}

/**
 * Encodes inputs for an InferRequest. `specs` (the model's declared inputs)
 * is needed only when some input is a bare typed array.
 */
export function encodeInputs(model: string, inputs: InferInputs, specs?: readonly TensorSpec__Output[]): Tensor[] {
  return Object.entries(inputs).map(([name, value]) => {
    if (isTensorInput(value)) {
      const dtype = value.dtype ?? dtypeOf(value.data);
      const want = elementCount(value.shape);
      if (want !== value.data.length) {
        throw localInvalid(`input ${name}: shape [${value.shape.join(', ')}] holds ${want} elements, data has ${value.data.length}`);
      }
      if (bytesPerElement(dtype) !== value.data.BYTES_PER_ELEMENT) {
        throw localInvalid(`input ${name}: dtype ${dtype} does not fit a ${value.data.constructor.name}`);
      }
      return { name, dtype, shape: value.shape, data: bytesOf(value.data) };
    }
    const spec = specs?.find((s) => s.name === name);
    if (!spec) {
      const expected = specs?.map((s) => s.name).join(', ') ?? '(unknown)';
      throw localInvalid(`model ${model}: unknown input ${JSON.stringify(name)}; expected inputs: ${expected}`);
    }
    if (spec.shape.some((d) => d < 0)) {
      throw localInvalid(`model ${model}: input ${name} has a dynamic shape [${spec.shape.join(', ')}]; pass {data, shape}`);
    }
    const want = elementCount(spec.shape);
    if (want !== value.length) {
      throw localInvalid(
        `model ${model}: input ${name} expects ${want} elements (shape [${spec.shape.join(', ')}]), the typed array has ${value.length}`,
      );
    }
    return { name, dtype: bareDType(value, spec.dtype), shape: [1, ...spec.shape], data: bytesOf(value) };
  });
}

/** Decodes the outputs of an InferResponse into typed arrays. */
export function decodeOutputs(outputs: readonly Tensor__Output[]): Record<string, OutputTensor> {
  const result: Record<string, OutputTensor> = {};
  for (const t of outputs) {
    if (!isDType(t.dtype)) {
      throw new PunctualClientError(Status.INTERNAL, `output ${t.name} has unknown dtype ${JSON.stringify(t.dtype)}`);
    }
    if (t.data.byteLength % bytesPerElement(t.dtype) !== 0) {
      throw new PunctualClientError(Status.INTERNAL, `output ${t.name}: ${t.data.byteLength} bytes is not a whole number of ${t.dtype}`);
    }
    result[t.name] = { dtype: t.dtype, shape: t.shape, data: typedView(t.dtype, t.data) };
  }
  return result;
}
