// An INFER batch some of whose rows came over the data plane (issue 13 point
// 3): the action carries the other rows' inputs concatenated, and names the
// staged rows by ticket; their tensors were staged on this worker by their
// clients (worker/staging.ts). Before the run the batch is put back together
// in row order, a row whose tensors did not come in time filled with zeros
// (the batch keeps the size the controller planned and timed; that row's
// client is told it missed its window). After the run each staged row's
// outputs go to its client and the controller gets the inline rows' only.
import type { WireTensor } from '../common/tensor.js';
import { bytesPerElement, elementCount, isDType } from '../common/dtype.js';

/** A model input as the action declares it for staged batches: per item, no batch axis. */
export interface InputSpec {
  name: string;
  dtype: string;
  shape: number[];
}

/** Bytes of one item of `spec`; throws on a dtype the wire does not know. */
function itemBytes(spec: InputSpec): number {
  if (!isDType(spec.dtype)) throw new Error(`input ${spec.name}: unknown dtype ${spec.dtype}`);
  return elementCount(spec.shape) * bytesPerElement(spec.dtype);
}

/** What each staged row must carry: the model's inputs with a batch axis of 1. */
export function stagedRowHeaders(specs: readonly InputSpec[]): { name: string; dtype: never; shape: number[] }[] {
  return specs.map((s) => ({ name: s.name, dtype: s.dtype as never, shape: [1, ...s.shape] }));
}

/**
 * The batch's inputs in row order. `inline` holds the rows not staged,
 * concatenated (batch axis = their count); `staged` maps each staged row to
 * its tensors, or undefined when they did not come (zeros in its place).
 */
export function assembleBatch(specs: readonly InputSpec[], batch: number, inline: readonly WireTensor[], staged: ReadonlyMap<number, readonly WireTensor[] | undefined>): WireTensor[] {
  return specs.map((spec, i) => {
    const n = itemBytes(spec);
    const data = new Uint8Array(n * batch); // zeros: what a missing row runs with
    const from = inline.find((t) => t.name === spec.name) ?? inline[i];
    let k = 0;
    for (let row = 0; row < batch; row++) {
      if (staged.has(row)) {
        const t = staged.get(row)?.[i];
        if (t) data.set(t.data.subarray(0, n), row * n);
      } else if (from) {
        data.set(from.data.subarray(k * n, (k + 1) * n), row * n);
        k++;
      }
    }
    return { name: spec.name, dtype: spec.dtype, shape: [batch, ...spec.shape], data };
  });
}

/** One row's slice of each batched output (batch axis 1), as views. */
export function rowOf(outputs: readonly WireTensor[], batch: number, row: number): WireTensor[] {
  return outputs.map((o) => {
    const per = o.data.byteLength / batch;
    return { name: o.name, dtype: o.dtype, shape: [1, ...o.shape.slice(1)], data: o.data.subarray(row * per, (row + 1) * per) };
  });
}

/** The outputs of the rows not in `staged`, concatenated in row order (what the controller answers its own requests from). */
export function inlineOutputs(outputs: readonly WireTensor[], batch: number, staged: ReadonlySet<number>): WireTensor[] {
  const rows = Array.from({ length: batch }, (_, r) => r).filter((r) => !staged.has(r));
  if (rows.length === batch) return [...outputs];
  if (rows.length === 0) return [];
  return outputs.map((o) => {
    const per = o.data.byteLength / batch;
    const data = new Uint8Array(per * rows.length);
    rows.forEach((r, k) => data.set(o.data.subarray(r * per, (r + 1) * per), k * per));
    return { name: o.name, dtype: o.dtype, shape: [rows.length, ...o.shape.slice(1)], data };
  });
}
