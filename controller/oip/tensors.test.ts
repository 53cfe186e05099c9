// V2 request tensors are checked against the model before anything is
// allocated for them: a request's declared shape can claim any size, its
// bytes cannot.
import { describe, expect, it } from 'vitest';
import type { TensorSpec } from '../../common/model-config.js';
import { joinItems, readV2Items, type V2Input } from './tensors.js';

const SPECS: TensorSpec[] = [{ name: 'x', dtype: 'float32', shape: [3, 4] }];
const ITEM_BYTES = 3 * 4 * 4;

function contents(fp32: number[]) {
  return { boolContents: [], intContents: [], int64Contents: [], uintContents: [], uint64Contents: [], fp32Contents: fp32, fp64Contents: [], bytesContents: [] };
}

const raw = (shape: number[], bytes: number): V2Input => ({ name: 'x', datatype: 'FP32', shape, raw: new Uint8Array(bytes) });

function error(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    return err instanceof Error ? `${(err as { code?: number }).code ?? ''}:${err.message}` : String(err);
  }
  return 'no error';
}

describe('readV2Items', () => {
  it('splits a batch into items that are views of the request bytes, in order', () => {
    const bytes = new Uint8Array(2 * ITEM_BYTES).map((_, i) => i % 251);
    const items = readV2Items('m', SPECS, 8, [{ name: 'x', datatype: 'FP32', shape: [2, 3, 4], raw: bytes }]);
    expect(items).toHaveLength(2);
    expect(items[1]![0]!.shape).toEqual([3, 4]);
    expect(items[1]![0]!.data.buffer).toBe(bytes.buffer);
    expect([...items[1]![0]!.data]).toEqual([...bytes.subarray(ITEM_BYTES)]);
  });

  it('requires the batch axis, as Triton does for a model with max_batch_size > 0: the item shape alone is refused, naming the shape expected', () => {
    expect(error(() => readV2Items('m', SPECS, 8, [raw([3, 4], ITEM_BYTES)]))).toBe(
      "3:model m: input x has shape [3, 4], without the batch axis; expected [n, 3, 4] with n from 1 to 8 (the batch axis first, as ModelConfig's max_batch_size 8 says)",
    );
    // A shape that is neither is refused as before.
    expect(error(() => readV2Items('m', SPECS, 8, [raw([12], ITEM_BYTES)]))).toBe('3:model m: input x has shape [12], expected [n, 3, 4] with n from 1 to 8');
    expect(readV2Items('m', SPECS, 8, [raw([1, 3, 4], ITEM_BYTES)])).toHaveLength(1);
  });

  it('typed contents become little-endian bytes when their count matches the shape', () => {
    const items = readV2Items('m', SPECS, 8, [{ name: 'x', datatype: 'FP32', shape: [1, 3, 4], contents: contents(Array.from({ length: 12 }, (_, i) => i)) }]);
    expect(Array.from(new Float32Array(new Uint8Array(items[0]![0]!.data).buffer))).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(error(() => readV2Items('m', SPECS, 8, [{ name: 'x', datatype: 'FP32', shape: [2, 3, 4], contents: contents([1, 2]) }]))).toMatch(
      /^3:model m: input x: contents hold 2 FP32 elements, shape \[2, 3, 4\] needs 24$/,
    );
  });

  it('refuses a huge declared batch with empty data at once: INVALID_ARGUMENT, nothing sized from it', () => {
    // The 28-byte request that once took the controller down: [3e7, 3, 48, 192] and no bytes
    // (sizing anything from it would take seconds or the whole heap).
    expect(error(() => readV2Items('m', SPECS, 8, [raw([30_000_000, 3, 4], 0)]))).toBe('3:model m: batch of 30000000 is over its max batch 8');
    expect(error(() => readV2Items('m', SPECS, 8, [raw([2 ** 40, 3, 4], 0)]))).toMatch(/^3:.*batch of 1099511627776 is over its max batch 8/);
  });

  it('every dimension is a whole number from 0 to 2^53 − 1, and the rank is bounded', () => {
    expect(error(() => readV2Items('m', SPECS, 8, [raw([2 ** 60, 3, 4], 0)]))).toMatch(/^3:.*every dimension must be a whole number/);
    expect(error(() => readV2Items('m', SPECS, 8, [raw([-1, 3, 4], 0)]))).toMatch(/^3:.*every dimension must be a whole number/);
    expect(error(() => readV2Items('m', SPECS, 8, [raw([1.5, 3, 4], 0)]))).toMatch(/^3:.*every dimension must be a whole number/);
    const deep = Array.from({ length: 100_000 }, () => 1);
    const msg = error(() => readV2Items('m', SPECS, 8, [raw(deep, 0)]));
    expect(msg).toMatch(/^3:.*declares 100000 dimensions; at most 16/);
    expect(msg.length).toBeLessThan(200);
  });

  it('the bytes must be exactly what the shape implies, and the item shape must be the model\'s', () => {
    expect(error(() => readV2Items('m', SPECS, 8, [raw([2, 3, 4], ITEM_BYTES)]))).toBe('3:model m: input x carries 48 bytes, its shape [2, 3, 4] of FP32 needs 96');
    expect(error(() => readV2Items('m', SPECS, 8, [raw([2, 4, 3], 2 * ITEM_BYTES)]))).toMatch(/^3:model m: input x has shape \[2, 4, 3\], expected \[n, 3, 4\] with n from 1 to 8$/);
    expect(error(() => readV2Items('m', SPECS, 8, [raw([0, 3, 4], 0)]))).toMatch(/^3:.*batch axis must be at least 1/);
  });

  it('names, datatypes and counts: unknown ones are refused with what exists, echoed clipped', () => {
    const longName = 'n'.repeat(1_000_000);
    const msg = error(() => readV2Items('m', SPECS, 8, [{ ...raw([1, 3, 4], ITEM_BYTES), name: longName }]));
    expect(msg).toMatch(/^3:model m: unknown input "n+"… \(1000000 characters\); expected inputs: x$/);
    expect(error(() => readV2Items('m', SPECS, 8, [{ ...raw([1, 3, 4], ITEM_BYTES), datatype: 'FP64' }]))).toBe('3:model m: input x has datatype FP64, expected FP32');
    expect(error(() => readV2Items('m', SPECS, 8, [{ ...raw([1, 3, 4], ITEM_BYTES), datatype: 'X'.repeat(10_000) }]))).toMatch(/^3:unknown datatype "X{16}"… \(10000 characters\)/);
    const many = Array.from({ length: 50_000 }, () => raw([1, 3, 4], ITEM_BYTES));
    expect(error(() => readV2Items('m', SPECS, 8, many))).toBe('3:model m takes 1 input(s) (x); the request has 50000');
    expect(error(() => readV2Items('m', SPECS, 8, []))).toBe('3:model m: the request has no inputs; expected x');
    expect(error(() => readV2Items('m', SPECS, 8, [{ name: 'x', datatype: 'FP32', shape: [1, 3, 4] }]))).toMatch(/neither contents nor raw_input_contents/);
  });

  it('inputs must agree on the batch axis', () => {
    const specs: TensorSpec[] = [...SPECS, { name: 'y', dtype: 'int64', shape: [2] }];
    const y = (n: number): V2Input => ({ name: 'y', datatype: 'INT64', shape: [n, 2], raw: new Uint8Array(n * 16) });
    expect(readV2Items('m', specs, 8, [raw([2, 3, 4], 2 * ITEM_BYTES), y(2)])).toHaveLength(2);
    expect(error(() => readV2Items('m', specs, 8, [raw([2, 3, 4], 2 * ITEM_BYTES), y(3)]))).toBe('3:inputs disagree on the batch axis: 2 and 3 (y)');
  });
});

describe('joinItems', () => {
  it('joins per-item outputs back along axis 0', () => {
    const out = (v: number) => [{ name: 'o', dtype: 'float32', shape: [1, 2], data: new Uint8Array(8).fill(v) }];
    const [j] = joinItems([out(1), out(2)]);
    expect(j!.shape).toEqual([2, 2]);
    expect([...j!.data]).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2]);
  });
});
