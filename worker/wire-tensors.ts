// Tensors between the proto (proto-loader: `bytes` as Buffer, int64 as
// number) and WireTensor, arranged so that buffers can be transferred to and
// from executor threads instead of copied.
import type { WireTensor } from '../common/tensor.js';
import type { Tensor, Tensor__Output } from '../common/wire.js';

/**
 * A proto tensor as a WireTensor whose data owns its whole ArrayBuffer, so it
 * can be transferred to a thread. This is the one copy on the way in: the
 * decoded Buffer is a view into the gRPC message (or a shared pool), which
 * must not be detached.
 */
export function fromProtoTensor(t: Tensor__Output): WireTensor {
  return { name: t.name, dtype: t.dtype, shape: t.shape.map(Number), data: new Uint8Array(t.data) };
}

/** A WireTensor as a proto tensor, without copying its bytes. */
export function toProtoTensor(t: WireTensor): Tensor {
  return {
    name: t.name,
    dtype: t.dtype,
    shape: t.shape,
    data: Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength),
  };
}

/** The distinct ArrayBuffers behind some tensors: the transfer list for postMessage. */
export function transferList(tensors: readonly WireTensor[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const t of tensors) if (t.data.buffer instanceof ArrayBuffer) buffers.add(t.data.buffer);
  return [...buffers];
}
