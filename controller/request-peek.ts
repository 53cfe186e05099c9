// What the first bytes of an inference request say, before its tensor has
// arrived. A det request is 602 KB, but its model name, version, `timeout`
// parameter and input shape sit in its first few dozen bytes: protobuf
// writers emit fields in field-number order, and these fields come before
// the tensor bytes in both protocols. Reading them lets admission decide
// from the first DATA frame (controller/early-admission.ts), so a request
// that is going to be rejected costs the controller almost nothing.
//
// Pure and defensive: it reads a prefix of a gRPC message frame (the 5-byte
// prefix, then protobuf) and answers `need-more`, what it found, or
// `unknown` when the bytes are not what it expects (compressed, malformed,
// fields out of order); the caller then leaves the request to the normal
// path, which checks everything.

/** What a request's prefix says. */
export interface PeekedRequest {
  model: string;
  /** punctual.v1: the numeric version (0 = newest); V2: the version string ('' = newest). */
  version: string;
  /** V2: the `timeout` parameter in µs, when one was seen before the inputs. */
  timeoutUs?: number;
  /** The first input's declared shape, when its prefix was complete. */
  firstShape?: number[];
}

export type Peek = { type: 'need-more'; bytes: number } | { type: 'unknown' } | ({ type: 'request' } & PeekedRequest);

/** Longest model name or version string read. */
const MAX_NAME = 256;
/** Most dimensions read from a shape. */
const MAX_DIMS = 16;

class Truncated extends Error {}
class Unexpected extends Error {}

/** A cursor over a protobuf prefix. Reading past its end throws Truncated. */
class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  varint(): number {
    let result = 0;
    let shift = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new Truncated();
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * shift;
      if ((b & 0x80) === 0) return result;
      shift *= 128;
    }
    throw new Unexpected();
  }

  /** A length-delimited field's bounds (it may run past what has arrived). */
  lengthDelimited(): { start: number; end: number } {
    const len = this.varint();
    const start = this.pos;
    if (start + len > this.end) throw new Unexpected();
    this.pos = start + len;
    return { start, end: start + len };
  }

  string(max: number): string {
    const { start, end } = this.lengthDelimited();
    if (end - start > max) throw new Unexpected();
    if (end > this.buf.length) throw new Truncated();
    return Buffer.from(this.buf.buffer, this.buf.byteOffset + start, end - start).toString('utf8');
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.lengthDelimited();
    else if (wireType === 5) this.pos += 4;
    else throw new Unexpected();
    if (this.pos > this.buf.length && this.pos <= this.end) throw new Truncated();
  }
}

/**
 * A tensor's name and shape from its prefix: punctual.v1 Tensor and V2
 * InferInputTensor both start name = 1, dtype/datatype = 2, shape = 3.
 */
function readTensorShape(buf: Uint8Array, start: number, end: number): number[] | undefined {
  const r = new Reader(buf, start, end);
  const shape: number[] = [];
  while (!r.done) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (field === 3) {
      if (wire === 0) shape.push(r.varint());
      else if (wire === 2) {
        const run = r.lengthDelimited();
        if (run.end > buf.length) throw new Truncated();
        const inner = new Reader(buf, run.start, run.end);
        while (!inner.done) {
          shape.push(inner.varint());
          if (shape.length > MAX_DIMS) throw new Unexpected();
        }
      } else throw new Unexpected();
      if (shape.length > MAX_DIMS) throw new Unexpected();
      continue;
    }
    if (field > 3) return shape;
    r.skip(wire);
  }
  return shape;
}

/** A V2 parameters map entry's key and integer value (key = 1, value = 2: InferParameter, int64_param = 2 or uint64_param = 5; undefined for another kind). */
function readParamEntry(buf: Uint8Array, start: number, end: number): { key: string; value: number | undefined } {
  if (end > buf.length) throw new Truncated();
  const r = new Reader(buf, start, end);
  let key = '';
  let value: number | undefined;
  while (!r.done) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (field === 1 && wire === 2) key = r.string(64);
    else if (field === 2 && wire === 2) {
      const v = r.lengthDelimited();
      const inner = new Reader(buf, v.start, v.end);
      while (!inner.done) {
        const t = inner.varint();
        if (Math.floor(t / 8) === 2 && t % 8 === 0) value = inner.varint();
        else if (Math.floor(t / 8) === 5 && t % 8 === 0) value = inner.varint();
        else inner.skip(t % 8);
      }
    } else r.skip(wire);
  }
  return { key, value };
}

/**
 * Reads what it can from the first bytes of a gRPC request frame of
 * `protocol`: 'v2' (inference.ModelInferRequest) or 'v1' (punctual.v1.InferRequest).
 */
export function peekRequest(protocol: 'v1' | 'v2', bytes: Uint8Array, want = 16 * 1024): Peek {
  if (bytes.length < 5) return { type: 'need-more', bytes: 5 };
  if (bytes[0] !== 0) return { type: 'unknown' }; // compressed
  const length = ((bytes[1]! << 24) >>> 0) + (bytes[2]! << 16) + (bytes[3]! << 8) + bytes[4]!;
  const end = 5 + length;
  const r = new Reader(bytes, 5, end);
  let model: string | undefined;
  let version = '';
  let timeoutUs: number | undefined;
  try {
    while (!r.done) {
      const tag = r.varint();
      const field = Math.floor(tag / 8);
      const wire = tag % 8;
      if (field === 1 && wire === 2) model = r.string(MAX_NAME);
      else if (field === 2 && protocol === 'v2' && wire === 2) version = r.string(MAX_NAME);
      else if (field === 2 && protocol === 'v1' && wire === 0) version = String(r.varint());
      else if (field === 4 && protocol === 'v2' && wire === 2) {
        const entry = r.lengthDelimited();
        const p = readParamEntry(bytes, entry.start, entry.end);
        if (p.key === 'timeout' && p.value !== undefined) timeoutUs = p.value;
        // A priority level other than the default is refused by the handler (INVALID_ARGUMENT), not by admission.
        if (p.key === 'priority' && p.value !== 0) return { type: 'unknown' };
      } else if ((protocol === 'v2' && field === 5) || (protocol === 'v1' && field === 3)) {
        if (wire !== 2 || model === undefined) return { type: 'unknown' };
        const len = r.varint();
        const start = r.pos;
        const firstShape = readTensorShape(bytes, start, Math.min(start + len, end));
        return { type: 'request', model, version, ...(timeoutUs !== undefined ? { timeoutUs } : {}), ...(firstShape ? { firstShape } : {}) };
      } else if (field === 0) {
        return { type: 'unknown' };
      } else if ((protocol === 'v2' && field > 5) || (protocol === 'v1' && field > 3)) {
        // Past the inputs without seeing them: not the canonical order this reads.
        return { type: 'unknown' };
      } else r.skip(wire);
    }
  } catch (err) {
    if (err instanceof Truncated) {
      const need = Math.min(end, bytes.length + 1024);
      return bytes.length >= want || need <= bytes.length ? { type: 'unknown' } : { type: 'need-more', bytes: need };
    }
    if (err instanceof Unexpected) return { type: 'unknown' };
    throw err;
  }
  if (model === undefined) return { type: 'unknown' };
  return { type: 'request', model, version, ...(timeoutUs !== undefined ? { timeoutUs } : {}) };
}
