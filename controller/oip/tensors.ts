// Tensors between the Open Inference Protocol and Punctual's wire form:
// datatype names (FP32 ↔ float32 …), typed `contents` ↔ little-endian bytes,
// and the batch axis (a V2 request of batch n is split into n items and the
// answers joined back along axis 0).
import { bytesOf, elementCount, isDType, type DType, type TypedArray } from '../../common/dtype.js';
import { invalidArgument } from '../../common/errors.js';
import type { WireTensor } from '../../common/tensor.js';
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
  if (!d) throw invalidArgument(`unknown datatype ${JSON.stringify(datatype)}; expected one of ${[...FROM_V2.keys()].join(', ')}`);
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

/**
 * Little-endian bytes of a typed `contents` field. The element count must
 * match the shape; FP16 has no typed field and must travel raw (as the spec says).
 */
export function contentsToBytes(name: string, dtype: DType, shape: readonly number[], c: InferTensorContents__Output): Uint8Array {
  const a = fromNumbers(dtype, c);
  if (!a) throw invalidArgument(`input ${name}: ${v2Datatype(dtype)} has no typed contents field; send it in raw_input_contents`);
  const want = elementCount(shape);
  if (a.length !== want) {
    throw invalidArgument(`input ${name}: contents hold ${a.length} ${v2Datatype(dtype)} elements, shape [${shape.join(', ')}] needs ${want}`);
  }
  return bytesOf(a);
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

/**
 * Splits a batch of n (shape [n, ...item]) into n single items. Every input
 * must carry the same leading n; a tensor without a batch axis is one item.
 */
export function splitItems(inputs: readonly WireTensor[], itemRanks: ReadonlyMap<string, number>): WireTensor[][] {
  let n: number | undefined;
  for (const t of inputs) {
    const rank = itemRanks.get(t.name);
    const batch = rank !== undefined && t.shape.length === rank + 1 ? t.shape[0]! : 1;
    if (n !== undefined && batch !== n) throw invalidArgument(`inputs disagree on the batch axis: ${n} and ${batch} (${t.name})`);
    n = batch;
  }
  const count = n ?? 1;
  if (count < 1) throw invalidArgument(`batch axis must be at least 1, got ${count}`);
  if (count === 1) return [inputs.map((t) => ({ ...t }))];
  return Array.from({ length: count }, (_, i) =>
    inputs.map((t) => {
      const item = t.data.byteLength / count;
      if (!Number.isInteger(item)) throw invalidArgument(`input ${t.name}: ${t.data.byteLength} bytes do not split into ${count} items`);
      return { name: t.name, dtype: t.dtype, shape: t.shape.slice(1), data: t.data.subarray(i * item, (i + 1) * item) };
    }),
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
