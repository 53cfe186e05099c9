// Tensors as the V2 REST API carries them in JSON: `data` a flat or nested
// array of the tensor's elements in row-major order (the spec allows both;
// answers are flat, as Triton's), BOOL as true/false, every other datatype
// as numbers. FP16 is taken from and given as numbers too (rounded to the
// nearest half), though Triton takes FP16 only as binary. BYTES is no
// datatype a Punctual model takes (common/dtype.ts), so it is refused by
// name as other unknown datatypes are.
//
// Sizes before allocations: the elements are counted while they are
// flattened, and flattening stops at the first element past the count the
// declared shape needs, so a JSON body can never make more than itself in
// memory; each element's type and range is checked for its datatype. INT64
// and UINT64 numbers must be exact in a double (|n| ≤ 2^53 − 1): JSON.parse
// has already rounded anything larger, so it is refused rather than
// silently changed (send them in binary). Answers: 64-bit integers are
// written digit for digit; NaN and ±Infinity, which JSON cannot hold, as
// null (ask for binary outputs to read them exactly).
import { bytesOf, bytesPerElement, type DType } from '../../common/dtype.js';
import { dims } from '../../common/bounded-text.js';
import { invalidArgument } from '../../common/errors.js';
import { MAX_RANK } from '../../common/tensor.js';
import { v2Datatype } from '../oip/tensors.js';

const INT_RANGE: Partial<Record<DType, readonly [number, number]>> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint8: [0, 255],
  uint16: [0, 65535],
  uint32: [0, 2 ** 32 - 1],
  uint64: [0, Number.MAX_SAFE_INTEGER],
};

/**
 * The elements of `data` (flat or nested arrays) in row-major order, at
 * most `want`: INVALID_ARGUMENT naming `what` when it holds more or fewer,
 * or is nested deeper than a tensor can be.
 */
export function flattenData(what: string, data: unknown, want: number, shape: readonly number[]): unknown[] {
  if (!Array.isArray(data)) throw invalidArgument(`${what}: "data" must be an array of the tensor's elements`);
  const out: unknown[] = [];
  const tooMany = (): never => {
    throw invalidArgument(`${what}: "data" holds more than the ${want} elements shape ${dims(shape)} needs`);
  };
  // Depth-first without recursion: a stack of [array, next index] pairs, at most MAX_RANK deep.
  const stack: [unknown[], number][] = [[data, 0]];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [arr, i] = top;
    if (i >= arr.length) {
      stack.pop();
      continue;
    }
    top[1] = i + 1;
    const v = arr[i];
    if (Array.isArray(v)) {
      if (stack.length >= MAX_RANK) throw invalidArgument(`${what}: "data" is nested deeper than ${MAX_RANK} levels`);
      stack.push([v, 0]);
    } else {
      if (out.length >= want) tooMany();
      out.push(v);
    }
  }
  if (out.length !== want) throw invalidArgument(`${what}: "data" holds ${out.length} elements, shape ${dims(shape)} needs ${want}`);
  return out;
}

/** float32 → IEEE half bits, rounding to nearest even (overflow to ±Infinity). */
export function toHalf(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0]!;
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  let mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rest > mid || (rest === mid && (half & 1) === 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa moves into the exponent, and past the largest half to Infinity.
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half++;
  return sign | half;
}

/** IEEE half bits → number. */
export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant !== 0 ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/**
 * Little-endian bytes of checked JSON elements of `dtype`, for `what`
 * ("model m: input x"): numbers for numeric types (integers within the
 * type's range for integer types), booleans for BOOL.
 */
export function jsonToBytes(what: string, dtype: DType, elements: readonly unknown[]): Uint8Array {
  const n = elements.length;
  const bad = (i: number, want: string): never => {
    const v = elements[i];
    const got = v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? 'a string' : typeof v === 'number' ? String(v) : typeof v;
    throw invalidArgument(`${what}: element ${i} of "data" is ${got}; ${v2Datatype(dtype)} takes ${want}`);
  };
  if (dtype === 'bool') {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const v = elements[i];
      if (typeof v !== 'boolean') bad(i, 'true or false');
      out[i] = v ? 1 : 0;
    }
    return out;
  }
  const num = (i: number): number => {
    const v = elements[i];
    return typeof v === 'number' ? v : bad(i, 'numbers');
  };
  switch (dtype) {
    case 'float32':
      return bytesOf(Float32Array.from({ length: n }, (_, i) => num(i)));
    case 'float64':
      return bytesOf(Float64Array.from({ length: n }, (_, i) => num(i)));
    case 'float16':
      return bytesOf(Uint16Array.from({ length: n }, (_, i) => toHalf(num(i))));
    default: {
      const [lo, hi] = INT_RANGE[dtype]!;
      const int = (i: number): number => {
        const v = num(i);
        if (!Number.isInteger(v) || v < lo || v > hi) bad(i, `integers from ${lo} to ${hi}${dtype.endsWith('64') ? ' in JSON (larger ones lose digits in a double: send them in binary)' : ''}`);
        return v;
      };
      switch (dtype) {
        case 'int8':
          return bytesOf(Int8Array.from({ length: n }, (_, i) => int(i)));
        case 'int16':
          return bytesOf(Int16Array.from({ length: n }, (_, i) => int(i)));
        case 'int32':
          return bytesOf(Int32Array.from({ length: n }, (_, i) => int(i)));
        case 'int64':
          return bytesOf(BigInt64Array.from({ length: n }, (_, i) => BigInt(int(i))));
        case 'uint8':
          return Uint8Array.from({ length: n }, (_, i) => int(i));
        case 'uint16':
          return bytesOf(Uint16Array.from({ length: n }, (_, i) => int(i)));
        case 'uint32':
          return bytesOf(Uint32Array.from({ length: n }, (_, i) => int(i)));
        case 'uint64':
          return bytesOf(BigUint64Array.from({ length: n }, (_, i) => BigInt(int(i))));
      }
    }
  }
  throw invalidArgument(`${what}: datatype ${v2Datatype(dtype)} cannot be read from JSON`);
}

/** A finite number as JSON, else null (JSON has no NaN or Infinity). */
const jnum = (v: number): string => (Number.isFinite(v) ? String(v) : 'null');

/** The JSON text of a tensor's elements (little-endian bytes of `dtype`), as one flat array. */
export function bytesToJson(dtype: DType, data: Uint8Array): string {
  const b = new Uint8Array(data); // aligned, owned
  const buf = b.buffer;
  const n = b.byteLength / bytesPerElement(dtype);
  const join = (xs: ArrayLike<number | bigint>, f: (v: never) => string): string => {
    const parts = new Array<string>(xs.length);
    for (let i = 0; i < xs.length; i++) parts[i] = f(xs[i] as never);
    return `[${parts.join(',')}]`;
  };
  switch (dtype) {
    case 'float32':
      return join(new Float32Array(buf, 0, n), jnum);
    case 'float64':
      return join(new Float64Array(buf, 0, n), jnum);
    case 'float16':
      return join(new Uint16Array(buf, 0, n), (h: number) => jnum(fromHalf(h)));
    case 'int8':
      return join(new Int8Array(buf, 0, n), String);
    case 'int16':
      return join(new Int16Array(buf, 0, n), String);
    case 'int32':
      return join(new Int32Array(buf, 0, n), String);
    case 'int64':
      return join(new BigInt64Array(buf, 0, n), String);
    case 'uint8':
      return join(b, String);
    case 'uint16':
      return join(new Uint16Array(buf, 0, n), String);
    case 'uint32':
      return join(new Uint32Array(buf, 0, n), String);
    case 'uint64':
      return join(new BigUint64Array(buf, 0, n), String);
    case 'bool':
      return join(b, (v: number) => (v !== 0 ? 'true' : 'false'));
  }
}
