// Tensor element types as they travel on the wire (lower-case names) and
// their typed-array counterparts. Bytes are little-endian.

export const DTYPES = [
  'float32',
  'float64',
  'float16',
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'bool',
] as const;

export type DType = (typeof DTYPES)[number];

export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

const BYTES: Record<DType, number> = {
  float32: 4,
  float64: 8,
  float16: 2,
  int8: 1,
  int16: 2,
  int32: 4,
  int64: 8,
  uint8: 1,
  uint16: 2,
  uint32: 4,
  uint64: 8,
  bool: 1,
};

export function isDType(s: string): s is DType {
  return (DTYPES as readonly string[]).includes(s);
}

export function bytesPerElement(dtype: DType): number {
  return BYTES[dtype];
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A typed array viewing (not copying) `bytes` as `dtype`; copies only when unaligned. */
export function typedView(dtype: DType, bytes: Uint8Array): TypedArray {
  const size = BYTES[dtype];
  let b = bytes;
  if (b.byteOffset % size !== 0) b = new Uint8Array(b); // copy to an aligned buffer
  const n = b.byteLength / size;
  switch (dtype) {
    case 'float32':
      return new Float32Array(b.buffer, b.byteOffset, n);
    case 'float64':
      return new Float64Array(b.buffer, b.byteOffset, n);
    case 'int8':
      return new Int8Array(b.buffer, b.byteOffset, n);
    case 'int16':
      return new Int16Array(b.buffer, b.byteOffset, n);
    case 'int32':
      return new Int32Array(b.buffer, b.byteOffset, n);
    case 'int64':
      return new BigInt64Array(b.buffer, b.byteOffset, n);
    case 'uint16':
    case 'float16':
      return new Uint16Array(b.buffer, b.byteOffset, n);
    case 'uint32':
      return new Uint32Array(b.buffer, b.byteOffset, n);
    case 'uint64':
      return new BigUint64Array(b.buffer, b.byteOffset, n);
    case 'uint8':
    case 'bool':
      return new Uint8Array(b.buffer, b.byteOffset, n);
  }
}

/** The dtype a typed array carries on the wire (Uint8Array is uint8; say 'bool' explicitly). */
export function dtypeOf(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof Uint16Array) return 'uint16';
  if (a instanceof Uint32Array) return 'uint32';
  if (a instanceof BigUint64Array) return 'uint64';
  return 'uint8';
}

/** The bytes of a typed array, without copying. */
export function bytesOf(a: TypedArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
