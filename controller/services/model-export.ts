// Admin.ExportModel: one registered version streamed out the way
// RegisterModel takes it in — its metadata first (config, size, SHA-256;
// copies 1, so a copy NAME-i leaves as one model of that name), then the
// file's bytes in chunks. `punctual ring rebalance` moves a model to its new
// owner with it when the ring of controllers changes.
//
// Bounded: the file is read a chunk at a time, and the next chunk is read only
// once the transport has taken the last one (a slow reader holds about one
// chunk here, and HTTP/2 flow control holds the rest back); a cancelled call
// stops the reading. The file is opened before the
// first message, so a version unregistered meanwhile is still sent whole (an
// open file outlives its name).
import fsp from 'node:fs/promises';
import type * as grpc from '@grpc/grpc-js';
import { PunctualError, Status } from '../../common/errors.js';
import { MODEL_CHUNK_BYTES } from '../../common/protos.js';
import type { ExportModelChunk } from '../../protos/generated/punctual/v1/ExportModelChunk.js';
import type { ExportModelRequest__Output } from '../../protos/generated/punctual/v1/ExportModelRequest.js';
import type { RegisterMetadata } from '../../protos/generated/punctual/v1/RegisterMetadata.js';
import type { RepoModel } from '../model-repository.js';

export type ExportCall = grpc.ServerWritableStream<ExportModelRequest__Output, ExportModelChunk>;

/** What RegisterModel needs to register `m` again elsewhere, under its own name and version. */
export function exportMetadata(m: RepoModel): RegisterMetadata {
  const c = m.config;
  return {
    name: c.name,
    version: c.version,
    inputs: c.inputs.map((i) => ({ name: i.name, dtype: i.dtype, shape: [...i.shape] })),
    maxBatch: c.maxBatch,
    batchSizes: [...c.batchSizes],
    defaultSloMs: c.defaultSloMs,
    size: m.size,
    sha256: m.sha256,
    copies: 1,
    threads: c.threads ?? 0,
  };
}

/**
 * Writes `msg` and resolves once the transport has taken it (its write's
 * callback), or the call was cancelled: then a cancelled call's write never
 * completes. Waiting for each write, not for the stream's buffer to fill
 * (its high-water mark is 16 messages, 16 MiB of chunks), is what keeps one
 * chunk in memory for a slow reader.
 */
function send(call: ExportCall, msg: ExportModelChunk): Promise<void> {
  if (call.cancelled) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const cancelled = (): void => {
      call.off('cancelled', cancelled);
      resolve();
    };
    call.on('cancelled', cancelled);
    call.write(msg, (err?: Error | null) => {
      call.off('cancelled', cancelled);
      if (err) reject(err);
      else resolve();
    });
  });
}

/**
 * Streams `m` on `call`: its metadata, then its file in chunks of
 * `chunkBytes`. Stops early, without an error, when the call is cancelled.
 * A file that is not as long as the repository says (changed on disk) is
 * DATA_LOSS, and the receiver's size and SHA-256 checks refuse what came.
 */
export async function exportModel(m: RepoModel, call: ExportCall, chunkBytes = MODEL_CHUNK_BYTES): Promise<void> {
  const fh = await fsp.open(m.file, 'r');
  try {
    await send(call, { meta: exportMetadata(m) });
    let position = 0;
    while (position < m.size && !call.cancelled) {
      // A fresh buffer per chunk: the call may still hold the last one.
      const buf = Buffer.allocUnsafe(Math.min(chunkBytes, m.size - position));
      const { bytesRead } = await fh.read(buf, 0, buf.byteLength, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      await send(call, { chunk: bytesRead === buf.byteLength ? buf : buf.subarray(0, bytesRead) });
    }
    if (position < m.size && !call.cancelled) {
      throw new PunctualError(Status.DATA_LOSS, `model ${m.key}: its file has ${position} bytes, not the ${m.size} the repository holds`, 'model_file_changed');
    }
  } finally {
    await fh.close();
  }
}
