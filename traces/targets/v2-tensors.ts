// Tensors for a foreign Open Inference Protocol server: its model metadata
// (ModelMetadata / GET /v2/models/{m}) turned into random inputs of batch 1,
// the inputs spelled as the V2 JSON body wants them, and the checks an
// answer must pass (outputs named and shaped, sizes that add up) before it
// counts as ok.
import { status as Status } from '@grpc/grpc-js';
import { bytesPerElement, DTYPES, elementCount, type DType, type TypedArray } from '../../common/dtype.js';
import { PunctualClientError } from '../../client/errors.js';
import { v2Datatype } from '../../controller/oip/tensors.js';
import { randomTypedArray } from '../random-input.js';
import type { Rand } from '../random.js';

/** A tensor as V2 metadata describes it. */
export interface V2TensorMeta {
  name: string;
  datatype: string;
  shape: readonly number[];
}

/** One input of one request, ready to send. */
export interface V2Input {
  name: string;
  datatype: string;
  shape: number[];
  data: TypedArray;
  dtype: DType;
}

const FROM_V2 = new Map<string, DType>(DTYPES.map((d) => [v2Datatype(d), d]));

function cannot(model: string, why: string): PunctualClientError {
  return new PunctualClientError(Status.UNIMPLEMENTED, `model ${model}: cannot make a random input: ${why}`);
}

/**
 * The shape to send for a metadata shape: a leading -1 (the batch axis of a
 * batching model) becomes 1; any other variable dimension cannot be guessed.
 */
export function requestShape(model: string, t: V2TensorMeta): number[] {
  const shape = t.shape.map((d, i) => (i === 0 && d === -1 ? 1 : d));
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw cannot(model, `input ${t.name} has variable dimensions [${t.shape.join(', ')}] (only a leading batch axis of -1 is filled in, with 1)`);
  }
  return shape;
}

/** Checks what a server's metadata says of a model's inputs, and throws for what replay cannot fill. */
export function checkInputMeta(model: string, inputs: readonly V2TensorMeta[]): void {
  if (inputs.length === 0) throw cannot(model, 'its metadata lists no inputs');
  for (const t of inputs) {
    if (!FROM_V2.has(t.datatype)) throw cannot(model, `input ${t.name} has datatype ${JSON.stringify(t.datatype)} (random data is made for ${[...FROM_V2.keys()].join(', ')})`);
    requestShape(model, t);
  }
}

/** One request's random inputs for `inputs` (checked with checkInputMeta first). */
export function randomV2Inputs(model: string, inputs: readonly V2TensorMeta[], rand: Rand): V2Input[] {
  return inputs.map((t) => {
    const dtype = FROM_V2.get(t.datatype);
    if (!dtype) throw cannot(model, `input ${t.name} has datatype ${t.datatype}`);
    const shape = requestShape(model, t);
    return { name: t.name, datatype: t.datatype, shape, dtype, data: randomTypedArray(dtype, elementCount(shape), rand) };
  });
}

function halfToNumber(bits: number): number {
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  const sign = bits & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** An input's values as the V2 JSON `data` array: numbers (float16 decoded, 64-bit integers as numbers), booleans for BOOL. */
export function jsonData(input: V2Input): (number | boolean)[] {
  const out: (number | boolean)[] = new Array<number | boolean>(input.data.length);
  for (let i = 0; i < input.data.length; i++) {
    const v = input.data[i]!;
    if (input.dtype === 'bool') out[i] = v !== 0;
    else if (input.dtype === 'float16') out[i] = halfToNumber(Number(v));
    else out[i] = Number(v);
  }
  return out;
}

/** The bytes of an input's data (no copy). */
export function rawBytes(data: TypedArray): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** What a valid answer's output has: a name, a datatype and a shape of whole, non-negative numbers. */
export interface CheckedOutput {
  name: string;
  datatype: string;
  shape: number[];
}

/**
 * Checks one output's description; returns the bytes its raw contents must
 * have (undefined for BYTES, whose size varies), or a message saying what
 * is wrong with it.
 */
export function outputBytes(o: CheckedOutput): number | undefined {
  const dtype = FROM_V2.get(o.datatype);
  if (!dtype) return undefined;
  return elementCount(o.shape) * bytesPerElement(dtype);
}

/** `value` as a CheckedOutput, or a message saying what it lacks. */
export function readOutputMeta(value: unknown, i: number): CheckedOutput | string {
  if (typeof value !== 'object' || value === null) return `output ${i} is not an object`;
  const o = value as { name?: unknown; datatype?: unknown; shape?: unknown };
  if (typeof o.name !== 'string') return `output ${i} has no name`;
  if (typeof o.datatype !== 'string') return `output ${o.name} has no datatype`;
  if (!Array.isArray(o.shape) || o.shape.length > 32) return `output ${o.name} has no shape`;
  const shape: number[] = [];
  for (const d of o.shape as unknown[]) {
    const n = typeof d === 'string' ? Number(d) : d; // grpc int64 may arrive as strings
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) return `output ${o.name} has shape [${(o.shape as unknown[]).map(String).join(', ')}]`;
    shape.push(n);
  }
  return { name: o.name, datatype: o.datatype, shape };
}
