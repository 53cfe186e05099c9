// Tensors between the Open Inference Protocol and Punctual's wire form:
// datatype names (FP32 ↔ float32 …), typed `contents` ↔ little-endian bytes,
// and the batch axis (a V2 request of batch n is split into n items and the
// answers joined back along axis 0).
import { bytesOf, bytesPerElement, elementCount, isDType, type DType, type TypedArray } from '../../common/dtype.js';
import { dims, quoted, someOf } from '../../common/bounded-text.js';
import { invalidArgument } from '../../common/errors.js';
import type { TensorSpec } from '../../common/model-config.js';
import { checkShape, type WireTensor } from '../../common/tensor.js';
import type { InferTensorContents, InferTensorContents__Output } from '../../protos/generated/inference/InferTensorContents.js';

const TO_V2: Record<DType, string> = {
  float32: 'FP32',
  float64: 'FP64',
  float16: 'FP16',
  int8: 'INT8',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  uint8: 'UINT8',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  bool: 'BOOL',
};

const FROM_V2 = new Map<string, DType>(Object.entries(TO_V2).map(([d, v]) => [v, d as DType]));

/** The V2 datatype name of a Punctual dtype ("float32" → "FP32"). */
export function v2Datatype(dtype: string): string {
  return isDType(dtype) ? TO_V2[dtype] : dtype.toUpperCase();
}

/** The Punctual dtype of a V2 datatype name; INVALID_ARGUMENT names the known ones. */
export function punctualDtype(datatype: string): DType {
  const d = FROM_V2.get(datatype);
  if (!d) throw invalidArgument(`unknown datatype ${quoted(datatype, 16)}; expected one of ${[...FROM_V2.keys()].join(', ')}`);
  return d;
}

function fromNumbers(dtype: DType, c: InferTensorContents__Output): TypedArray | undefined {
  switch (dtype) {
    case 'float32':
      return Float32Array.from(c.fp32Contents);
    case 'float64':
      return Float64Array.from(c.fp64Contents);
    case 'int8':
      return Int8Array.from(c.intContents);
    case 'int16':
      return Int16Array.from(c.intContents);
    case 'int32':
      return Int32Array.from(c.intContents);
    case 'int64':
      return BigInt64Array.from(c.int64Contents, (v) => BigInt(v));
    case 'uint8':
      return Uint8Array.from(c.uintContents);
    case 'uint16':
      return Uint16Array.from(c.uintContents);
    case 'uint32':
      return Uint32Array.from(c.uintContents);
    case 'uint64':
      return BigUint64Array.from(c.uint64Contents, (v) => BigInt(v));
    case 'bool':
      return Uint8Array.from(c.boolContents, (b) => (b ? 1 : 0));
    case 'float16':
      return undefined;
  }
}

/** The typed `contents` field each datatype travels in (FP16 has none). */
const CONTENTS_FIELD = {
  float32: 'fp32Contents',
  float64: 'fp64Contents',
  int8: 'intContents',
  int16: 'intContents',
  int32: 'intContents',
  int64: 'int64Contents',
  uint8: 'uintContents',
  uint16: 'uintContents',
  uint32: 'uintContents',
  uint64: 'uint64Contents',
  bool: 'boolContents',
} as const satisfies Record<Exclude<DType, 'float16'>, keyof InferTensorContents__Output>;

/**
 * Little-endian bytes of a typed `contents` field, for `what` ("model m:
 * input x"). The element count must match the shape, and is checked before
 * the elements are converted; FP16 has no typed field and must travel raw
 * (as the spec says).
 */
export function contentsToBytes(what: string, dtype: DType, shape: readonly number[], c: InferTensorContents__Output): Uint8Array {
  if (dtype === 'float16') throw invalidArgument(`${what}: ${v2Datatype(dtype)} has no typed contents field; send it in raw_input_contents`);
  const have = c[CONTENTS_FIELD[dtype]].length;
  const want = elementCount(shape);
  if (have !== want) throw invalidArgument(`${what}: contents hold ${have} ${v2Datatype(dtype)} elements, shape ${dims(shape)} needs ${want}`);
  return bytesOf(fromNumbers(dtype, c)!);
}

/** A typed `contents` field holding the tensor's elements (FP16 cannot: callers send it raw). */
export function bytesToContents(dtype: string, data: Uint8Array): InferTensorContents {
  const copy = new Uint8Array(data); // aligned, owned
  const b = copy.buffer;
  switch (dtype) {
    case 'float32':
      return { fp32Contents: [...new Float32Array(b)] };
    case 'float64':
      return { fp64Contents: [...new Float64Array(b)] };
    case 'int8':
      return { intContents: [...new Int8Array(b)] };
    case 'int16':
      return { intContents: [...new Int16Array(b)] };
    case 'int32':
      return { intContents: [...new Int32Array(b)] };
    case 'int64':
      return { int64Contents: [...new BigInt64Array(b)].map(String) };
    case 'uint8':
      return { uintContents: [...copy] };
    case 'uint16':
      return { uintContents: [...new Uint16Array(b)] };
    case 'uint32':
      return { uintContents: [...new Uint32Array(b)] };
    case 'uint64':
      return { uint64Contents: [...new BigUint64Array(b)].map(String) };
    case 'bool':
      return { boolContents: [...copy].map((v) => v !== 0) };
    default:
      return { bytesContents: [copy] };
  }
}

/** A V2 input tensor as it arrived: declared datatype and shape, and its data (raw bytes or typed contents). */
export interface V2Input {
  name: string;
  datatype: string;
  shape: readonly number[];
  raw?: Uint8Array;
  contents?: InferTensorContents__Output | null;
}

/**
 * A V2 request's inputs as single items, checked against the model before
 * anything is allocated for them: the number of inputs, each name, datatype
 * and shape (rank, every dimension, the item shape), the batch axis (every
 * input agrees, 1 ≤ n ≤ max batch) and the byte or element count the shape
 * implies — so a 28-byte request declaring a batch of 3e7 is refused as
 * it is, never sized. Items are views into the request's bytes (no copy for
 * raw contents). The batch axis is required, as Triton requires it of a
 * model whose max_batch_size is over 0 (every Punctual model's is): an input
 * of the item's shape alone is refused, naming the shape expected.
 */
export function readV2Items(model: string, specs: readonly TensorSpec[], maxBatch: number, inputs: readonly V2Input[]): WireTensor[][] {
  const names = someOf(specs.map((s) => s.name));
  if (inputs.length === 0) throw invalidArgument(`model ${model}: the request has no inputs; expected ${names}`);
  if (inputs.length > specs.length) throw invalidArgument(`model ${model} takes ${specs.length} input(s) (${names}); the request has ${inputs.length}`);
  let n: number | undefined;
  const checked = inputs.map((t) => {
    const spec = specs.find((s) => s.name === t.name);
    if (!spec) throw invalidArgument(`model ${model}: unknown input ${quoted(t.name)}; expected inputs: ${names}`);
    const dtype = punctualDtype(t.datatype);
    if (dtype !== spec.dtype) throw invalidArgument(`model ${model}: input ${spec.name} has datatype ${v2Datatype(dtype)}, expected ${v2Datatype(spec.dtype)}`);
    checkShape(model, t.name, t.shape);
    const expected = `expected [n, ${spec.shape.join(', ')}] with n from 1 to ${maxBatch}`;
    const item = t.shape.slice(1);
    if (t.shape.length === spec.shape.length && t.shape.every((d, i) => d === spec.shape[i])) {
      throw invalidArgument(`model ${model}: input ${spec.name} has shape ${dims(t.shape)}, without the batch axis; ${expected} (the batch axis first, as ModelConfig's max_batch_size ${maxBatch} says)`);
    }
    if (item.length !== spec.shape.length || item.some((d, i) => d !== spec.shape[i])) {
      throw invalidArgument(`model ${model}: input ${spec.name} has shape ${dims(t.shape)}, ${expected}`);
    }
    const batch = t.shape[0]!;
    if (n !== undefined && batch !== n) throw invalidArgument(`inputs disagree on the batch axis: ${n} and ${batch} (${spec.name})`);
    n = batch;
    return { t, spec, dtype };
  });
  const count = n ?? 1;
  if (count < 1) throw invalidArgument(`model ${model}: batch axis must be at least 1, got ${count}`);
  if (count > maxBatch) throw invalidArgument(`model ${model}: batch of ${count} is over its max batch ${maxBatch}`);
  const whole = checked.map(({ t, spec, dtype }) => {
    let data: Uint8Array;
    if (t.raw) {
      const bytes = count * elementCount(spec.shape) * bytesPerElement(dtype);
      if (t.raw.byteLength !== bytes) {
        throw invalidArgument(`model ${model}: input ${spec.name} carries ${t.raw.byteLength} bytes, its shape ${dims(t.shape)} of ${v2Datatype(dtype)} needs ${bytes}`);
      }
      data = t.raw;
    } else if (t.contents) {
      data = contentsToBytes(`model ${model}: input ${spec.name}`, dtype, t.shape, t.contents);
    } else {
      throw invalidArgument(`model ${model}: input ${spec.name} has neither contents nor raw_input_contents`);
    }
    return { name: spec.name, dtype, shape: spec.shape, data, itemBytes: data.byteLength / count };
  });
  return Array.from({ length: count }, (_, i) =>
    whole.map((w) => ({ name: w.name, dtype: w.dtype, shape: [...w.shape], data: count === 1 ? w.data : w.data.subarray(i * w.itemBytes, (i + 1) * w.itemBytes) })),
  );
}

/** Joins per-item outputs ([1, ...] each) back into one tensor per output along axis 0. */
export function joinItems(items: readonly (readonly WireTensor[])[]): WireTensor[] {
  const first = items[0];
  if (!first) return [];
  if (items.length === 1) return [...first];
  return first.map((t, k) => {
    const parts = items.map((outs) => outs[k]!.data);
    const data = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
    let at = 0;
    for (const p of parts) {
      data.set(p, at);
      at += p.byteLength;
    }
    const itemShape = t.shape.length > 0 && t.shape[0] === 1 ? t.shape.slice(1) : t.shape;
    return { name: t.name, dtype: t.dtype, shape: [items.length, ...itemShape], data };
  });
}
