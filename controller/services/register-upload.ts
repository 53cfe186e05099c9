// Receives Admin.RegisterModel's client-streamed upload: metadata first, then
// chunks. Enforces the size cap while bytes arrive (so a huge upload is
// refused early), and on the end checks the declared size (a short upload is
// a truncated one) and the SHA-256. Nothing touches the disk here.
import crypto from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { invalidArgument, PunctualError, Status } from '../../common/errors.js';
import type { RegisterMetadata__Output, RegisterModelRequest__Output, RegisterModelResponse } from '../../common/wire.js';

export interface Upload {
  meta: RegisterMetadata__Output;
  bytes: Buffer;
}

export type UploadCall = grpc.ServerReadableStream<RegisterModelRequest__Output, RegisterModelResponse>;

function tooLarge(size: number, max: number): PunctualError {
  return new PunctualError(
    Status.INVALID_ARGUMENT,
    `model file of ${size} bytes is larger than the controller's limit of ${max} bytes (--max-model-bytes)`,
    'model_file_too_large',
  );
}

export function receiveUpload(call: UploadCall, maxBytes: number): Promise<Upload> {
  return new Promise<Upload>((resolve, reject) => {
    let meta: RegisterMetadata__Output | undefined;
    const chunks: Buffer[] = [];
    const hash = crypto.createHash('sha256');
    let received = 0;
    let settled = false;
    const fail = (err: PunctualError): void => {
      if (settled) return;
      settled = true;
      call.removeAllListeners('data');
      reject(err);
    };
    call.on('data', (msg: RegisterModelRequest__Output) => {
      if (settled) return;
      if (!meta) {
        if (!msg.meta) return fail(invalidArgument('the first message of RegisterModel must carry meta (name, size, sha256, config)'));
        meta = msg.meta;
        if (!(meta.size > 0)) return fail(invalidArgument('meta.size (the file size in bytes) must be given'));
        if (!/^[0-9a-f]{64}$/i.test(meta.sha256)) return fail(invalidArgument('meta.sha256 must be the file\'s SHA-256 as 64 hex digits'));
        if (meta.size > maxBytes) return fail(tooLarge(meta.size, maxBytes));
        return;
      }
      if (msg.meta) return fail(invalidArgument('meta may only come in the first message'));
      const chunk = msg.chunk ?? Buffer.alloc(0);
      received += chunk.byteLength;
      if (received > maxBytes) return fail(tooLarge(received, maxBytes));
      if (received > meta.size) return fail(invalidArgument(`the upload is longer than the declared size of ${meta.size} bytes`));
      hash.update(chunk);
      chunks.push(chunk);
    });
    call.on('end', () => {
      if (settled) return;
      if (!meta) return fail(invalidArgument('empty upload: no meta and no bytes'));
      if (received < meta.size) return fail(invalidArgument(`truncated upload: received ${received} of ${meta.size} bytes`));
      const digest = hash.digest('hex');
      if (digest !== meta.sha256.toLowerCase()) {
        return fail(new PunctualError(Status.INVALID_ARGUMENT, `checksum mismatch: the received bytes have SHA-256 ${digest}, the upload declared ${meta.sha256}`, 'checksum_mismatch'));
      }
      settled = true;
      resolve({ meta, bytes: Buffer.concat(chunks, received) });
    });
    call.on('error', () => fail(new PunctualError(Status.CANCELLED, 'the upload was cancelled')));
    call.on('cancelled', () => fail(new PunctualError(Status.CANCELLED, 'the upload was cancelled')));
  });
}
