// Tensors on the hot path: concatBatch joins requests into one batch along a
// new axis 0 and splitBatch hands a batch's outputs back per request, for
// every wire dtype; checkShape and validateInputs refuse what a client got
// wrong with INVALID_ARGUMENT and a message naming what was expected.
import { describe, expect, it } from 'vitest';
import { bytesPerElement, DTYPES, elementCount, typedView, type DType } from './dtype.js';
import { PunctualError, Status } from './errors.js';
import type { TensorSpec } from './model-config.js';
import { checkShape, concatBatch, MAX_RANK, splitBatch, validateInputs, type WireTensor } from './tensor.js';

/** Bytes that differ per request and per position, so a misplaced byte shows. */
function bytes(count: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: count }, (_, k) => (seed * 37 + k * 11 + 1) & 0xff);
}

function tensor(spec: TensorSpec, seed: number, shape: number[] = spec.shape): WireTensor {
  return { name: spec.name, dtype: spec.dtype, shape, data: bytes(elementCount(spec.shape) * bytesPerElement(spec.dtype), seed) };
}

/** The PunctualError `fn` throws (fails the test if it throws anything else, or nothing). */
function refusal(fn: () => unknown): PunctualError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PunctualError);
    const e = err as PunctualError;
    expect(e.code).toBe(Status.INVALID_ARGUMENT);
    expect(e.reason).toBe('invalid_argument');
    return e;
  }
  throw new Error('expected a refusal, got none');
}

describe('concatBatch and splitBatch', () => {
  describe.each(DTYPES)('%s', (dtype: DType) => {
    const spec: TensorSpec = { name: 'x', dtype, shape: [2, 3] };
    const itemBytes = 6 * bytesPerElement(dtype);

    it('joins a batch of 3 along a new axis 0, in request order, and splits it back', () => {
      const requests = [0, 1, 2].map((r) => [tensor(spec, r)]);
      const [batch, ...rest] = concatBatch([spec], requests);
      expect(rest).toEqual([]);
      expect(batch!.name).toBe('x');
      expect(batch!.dtype).toBe(dtype);
      expect(batch!.shape).toEqual([3, 2, 3]);
      expect(batch!.data.byteLength).toBe(3 * itemBytes);
      for (let r = 0; r < 3; r++) expect(batch!.data.subarray(r * itemBytes, (r + 1) * itemBytes)).toEqual(requests[r]![0]!.data);

      const back = splitBatch([batch!], 3);
      expect(back).toHaveLength(3);
      back.forEach((outputs, r) => {
        expect(outputs).toHaveLength(1);
        expect(outputs[0]!.name).toBe('x');
        expect(outputs[0]!.dtype).toBe(dtype);
        expect(outputs[0]!.shape).toEqual([1, 2, 3]);
        expect(outputs[0]!.data).toEqual(requests[r]![0]!.data);
      });
    });

    it('passes a batch of 1 through without copying, as shape [1, ...item]', () => {
      const t = tensor(spec, 7);
      const [batch] = concatBatch([spec], [[t]]);
      expect(batch!.shape).toEqual([1, 2, 3]);
      expect(batch!.data).toBe(t.data);
      const [[out]] = splitBatch([batch!], 1) as [[WireTensor]];
      expect(out.shape).toEqual([1, 2, 3]);
      expect(out.data).toEqual(t.data);
    });
  });

  it('copies a batch of more than one into a fresh buffer, and reads inputs that are views at an offset', () => {
    const spec: TensorSpec = { name: 'x', dtype: 'float32', shape: [2] };
    const backing = bytes(64, 3);
    const a: WireTensor = { name: 'x', dtype: 'float32', shape: [2], data: backing.subarray(5, 13) };
    const b: WireTensor = { name: 'x', dtype: 'float32', shape: [2], data: backing.subarray(40, 48) };
    const [batch] = concatBatch([spec], [[a], [b]]);
    expect(batch!.data.buffer).not.toBe(backing.buffer);
    expect([...batch!.data]).toEqual([...backing.subarray(5, 13), ...backing.subarray(40, 48)]);
  });

  it('joins each input of a two-input model on its own, in the order of the specs', () => {
    const specs: TensorSpec[] = [
      { name: 'image', dtype: 'uint8', shape: [4] },
      { name: 'scale', dtype: 'int64', shape: [1] },
    ];
    const requests = [0, 1].map((r) => specs.map((s) => tensor(s, 10 * r + s.shape[0]!)));
    const batch = concatBatch(specs, requests);
    expect(batch.map((t) => [t.name, t.dtype, t.shape])).toEqual([
      ['image', 'uint8', [2, 4]],
      ['scale', 'int64', [2, 1]],
    ]);
    expect([...batch[0]!.data]).toEqual([...requests[0]![0]!.data, ...requests[1]![0]!.data]);
    expect([...batch[1]!.data]).toEqual([...requests[0]![1]!.data, ...requests[1]![1]!.data]);
  });

  it('names the request and input a batch lacks', () => {
    const specs: TensorSpec[] = [
      { name: 'a', dtype: 'float32', shape: [1] },
      { name: 'b', dtype: 'float32', shape: [1] },
    ];
    const whole = specs.map((s) => tensor(s, 1));
    expect(() => concatBatch(specs, [whole, [whole[0]!]])).toThrow('request 1 lacks input b');
    expect(() => concatBatch(specs, [[whole[0]!]])).toThrow('request 0 lacks input b');
  });

  it('splits every output into per-request views of the same buffer, values intact', () => {
    const scores = new Float32Array([0.5, -1.25, 3, 1e-3, 42, -0]);
    const ids = new BigInt64Array([1n, -2n, 2n ** 62n]);
    const outputs: WireTensor[] = [
      { name: 'scores', dtype: 'float32', shape: [3, 2], data: new Uint8Array(scores.buffer) },
      { name: 'ids', dtype: 'int64', shape: [3], data: new Uint8Array(ids.buffer) },
    ];
    const back = splitBatch(outputs, 3);
    back.forEach((perRequest, r) => {
      expect(perRequest.map((t) => [t.name, t.shape])).toEqual([
        ['scores', [1, 2]],
        ['ids', [1]],
      ]);
      expect(perRequest[0]!.data.buffer).toBe(scores.buffer);
      expect([...typedView('float32', perRequest[0]!.data)]).toEqual([...scores.subarray(2 * r, 2 * r + 2)]);
      expect([...typedView('int64', perRequest[1]!.data)]).toEqual([ids[r]]);
    });
  });

  it('refuses outputs whose batch axis is not the batch size', () => {
    const data = new Uint8Array(12);
    expect(() => splitBatch([{ name: 'y', dtype: 'float32', shape: [3], data }], 2)).toThrow('output y has batch axis 3, expected 2');
    expect(() => splitBatch([{ name: 'y', dtype: 'float32', shape: [], data }], 1)).toThrow('output y has batch axis undefined, expected 1');
  });
});

describe('checkShape', () => {
  it.each([[[]], [[0]], [[1, 3, 224, 224]], [Array.from({ length: MAX_RANK }, () => 1)], [[Number.MAX_SAFE_INTEGER]]])('accepts %j', (shape: number[]) => {
    expect(() => checkShape('det', 'x', shape)).not.toThrow();
  });

  it(`refuses more than ${MAX_RANK} dimensions`, () => {
    const e = refusal(() => checkShape('det', 'x', Array.from({ length: MAX_RANK + 1 }, () => 1)));
    expect(e.message).toBe(`model det: input "x" declares ${MAX_RANK + 1} dimensions; at most ${MAX_RANK} are accepted`);
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])('refuses a dimension of %s', (d) => {
    const e = refusal(() => checkShape('det', 'x', [1, d]));
    expect(e.message).toBe(`model det: input "x" has shape [1, ${String(d)}]: every dimension must be a whole number from 0 to 2^53 - 1`);
  });

  it('clips the input name it echoes', () => {
    const e = refusal(() => checkShape('det', 'n'.repeat(10_000), [-1]));
    expect(e.message).toContain('(10000 characters)');
    expect(e.message.length).toBeLessThan(300);
  });
});

describe('validateInputs', () => {
  const image: TensorSpec = { name: 'image', dtype: 'float32', shape: [3, 2] };
  const mask: TensorSpec = { name: 'mask', dtype: 'bool', shape: [2] };
  const specs = [image, mask];

  it.each(DTYPES)('accepts %s with and without a leading batch axis of 1', (dtype) => {
    const spec: TensorSpec = { name: 'x', dtype, shape: [3, 2] };
    for (const shape of [[3, 2], [1, 3, 2]]) {
      const t = tensor(spec, 1, shape);
      const [got, ...rest] = validateInputs('m', [spec], [t]);
      expect(got).toBe(t);
      expect(rest).toEqual([]);
    }
  });

  it.each(DTYPES)('refuses %s one element short, naming the bytes expected', (dtype) => {
    const spec: TensorSpec = { name: 'x', dtype, shape: [3, 2] };
    const size = bytesPerElement(dtype);
    const t: WireTensor = { name: 'x', dtype, shape: [3, 2], data: new Uint8Array(5 * size) };
    const e = refusal(() => validateInputs('m', [spec], [t]));
    expect(e.message).toBe(`model m: input x carries ${5 * size} bytes, expected ${6 * size} (${dtype} [1, 3, 2] or [3, 2], little-endian)`);
  });

  it('returns the inputs in declaration order, whatever order they came in', () => {
    const m = tensor(mask, 1);
    const i = tensor(image, 2);
    const got = validateInputs('m', specs, [m, i]);
    expect(got[0]).toBe(i);
    expect(got[1]).toBe(m);
  });

  it('refuses more inputs than the model takes', () => {
    const extra = { ...tensor(mask, 1), name: 'extra' };
    const e = refusal(() => validateInputs('m', specs, [tensor(image, 1), tensor(mask, 1), extra]));
    expect(e.message).toBe('model m takes 2 input(s) (image, mask); the request has 3');
  });

  it('refuses an input given twice', () => {
    const e = refusal(() => validateInputs('m', specs, [tensor(image, 1), tensor(image, 2)]));
    expect(e.message).toBe('model m: input "image" given twice');
  });

  it('refuses an unknown input, listing the expected ones', () => {
    const e = refusal(() => validateInputs('m', specs, [tensor(image, 1), { ...tensor(mask, 1), name: 'masc' }]));
    expect(e.message).toBe('model m: unknown input "masc"; expected inputs: image, mask');
  });

  it('refuses a missing input', () => {
    const e = refusal(() => validateInputs('m', specs, [tensor(image, 1)]));
    expect(e.message).toBe('model m: missing input "mask"; expected inputs: image, mask');
  });

  it('refuses a wrong dtype, and an empty one', () => {
    const e = refusal(() => validateInputs('m', [image], [{ ...tensor(image, 1), dtype: 'float64' }]));
    expect(e.message).toBe('model m: input image has dtype float64, expected float32');
    const none = refusal(() => validateInputs('m', [image], [{ ...tensor(image, 1), dtype: '' }]));
    expect(none.message).toBe('model m: input image has dtype (none), expected float32');
  });

  it.each([
    [[2, 3]], // transposed
    [[3]], // too few dimensions
    [[2, 3, 2]], // a batch of 2 is not one request
    [[1, 1, 3, 2]], // two batch axes
    [[]],
  ])('refuses shape %j for a [3, 2] input', (shape: number[]) => {
    const e = refusal(() => validateInputs('m', [image], [tensor(image, 1, shape)]));
    expect(e.message).toBe(`model m: input image has shape [${shape.join(', ')}], expected [1, 3, 2] or [3, 2]`);
  });
});
