import { describe, expect, it } from 'vitest';
import type { WireTensor } from '../common/tensor.js';
import { assembleBatch, inlineOutputs, rowOf, stagedRowHeaders } from './staged-batch.js';

const f32 = (...v: number[]) => new Uint8Array(new Float32Array(v).buffer);
const values = (t: WireTensor) => [...new Float32Array(new Uint8Array(t.data).buffer)];
const SPECS = [{ name: 'x', dtype: 'float32', shape: [2] }];

describe('staged batches', () => {
  it('puts rows back in order: inline rows from the action, staged ones from their clients, zeros for a missing one', () => {
    // Rows 0 and 2 inline (concatenated), row 1 staged, row 3 staged but missing.
    const inline = [{ name: 'x', dtype: 'float32', shape: [2, 2], data: f32(1, 1, 3, 3) }];
    const staged = new Map<number, WireTensor[] | undefined>([
      [1, [{ name: 'x', dtype: 'float32', shape: [1, 2], data: f32(2, 2) }]],
      [3, undefined],
    ]);
    const [x] = assembleBatch(SPECS, 4, inline, staged);
    expect(x!.shape).toEqual([4, 2]);
    expect(values(x!)).toEqual([1, 1, 2, 2, 3, 3, 0, 0]);
    expect(x!.data.buffer.byteLength).toBe(32); // its own buffer: transferable to the thread
  });

  it('builds a batch of staged rows only', () => {
    const staged = new Map([
      [0, [{ name: 'x', dtype: 'float32', shape: [1, 2], data: f32(5, 6) }]],
      [1, [{ name: 'x', dtype: 'float32', shape: [1, 2], data: f32(7, 8) }]],
    ]);
    expect(values(assembleBatch(SPECS, 2, [], staged)[0]!)).toEqual([5, 6, 7, 8]);
  });

  it('slices a row of the outputs, and concatenates the inline rows for the controller', () => {
    const out = [{ name: 'y', dtype: 'float32', shape: [3, 1], data: f32(10, 20, 30) }];
    expect(rowOf(out, 3, 1).map((t) => [t.shape, values(t)])).toEqual([[[1, 1], [20]]]);
    const inl = inlineOutputs(out, 3, new Set([1]));
    expect(inl.map((t) => [t.shape, values(t)])).toEqual([[[2, 1], [10, 30]]]);
    expect(inlineOutputs(out, 3, new Set([0, 1, 2]))).toEqual([]);
    expect(inlineOutputs(out, 3, new Set())).toEqual(out);
  });

  it('tells what a staged row must carry: each input with a batch axis of 1', () => {
    expect(stagedRowHeaders([{ name: 'x', dtype: 'float32', shape: [3, 224, 224] }])).toEqual([{ name: 'x', dtype: 'float32', shape: [1, 3, 224, 224] }]);
  });
});
