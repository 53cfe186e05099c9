// Receives Admin.RegisterModel's client-streamed upload (metadata first, then
// chunks) into a temporary file under <repo>/.uploads, never into memory:
// each chunk is hashed and size-checked as it arrives, then written, and the
// call is paused while a write is pending, so an upload holds about one chunk
// in memory however fast the client sends. The size cap is enforced as bytes
// arrive (a huge upload is refused early); at the end the declared size (a
// short upload is a truncated one) and the SHA-256 are checked.
//
// Bounded: at most `maxConcurrent` uploads at once (one more is refused
// before any of its bytes is read), and an upload with no message for
// `idleTimeoutMs` is abandoned. Whatever goes wrong, the temporary file is
// removed and the slot freed; on success the caller moves the file into the
// repository and then calls release(). A slot is held until then, so the
// temporary files on disk never pass maxConcurrent × maxBytes.
import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { invalidArgument, PunctualError, Status } from '../../common/errors.js';
import type { RegisterMetadata__Output, RegisterModelRequest__Output, RegisterModelResponse } from '../../common/wire.js';
import type { ModelFile } from '../../profiles/profiler.js';
import { CONTROLLER_DEFAULTS } from '../options.js';

export type UploadCall = grpc.ServerReadableStream<RegisterModelRequest__Output, RegisterModelResponse>;

export interface UploadLimits {
  /** Largest model file accepted, bytes (`--max-model-bytes`). */
  maxBytes: number;
  /** Uploads received at once; one more is refused at once with RESOURCE_EXHAUSTED (`--max-concurrent-uploads`). @default CONTROLLER_DEFAULTS.maxConcurrentUploads */
  maxConcurrent?: number;
  /** An upload with no message for this long is abandoned with DEADLINE_EXCEEDED, ms (`--upload-idle-timeout`). @default CONTROLLER_DEFAULTS.uploadIdleTimeoutMs */
  idleTimeoutMs?: number;
}

/** Where the received bytes go. Injectable, so tests can make the disk slow. */
export interface UploadSink {
  write(chunk: Uint8Array): Promise<void>;
  /** After the last chunk: flush to disk (fsync) and close. */
  finish(): Promise<void>;
  /** After a failure: close without flushing. */
  abort(): Promise<void>;
}

export type OpenSink = (file: string) => Promise<UploadSink>;

/** A received upload: the checked metadata and the temporary file holding the bytes. */
export interface Upload extends ModelFile {
  meta: RegisterMetadata__Output;
  /** Removes the temporary file if it is still there and frees the slot. Call it once, when the registration is done. */
  release(): Promise<void>;
}

/** Writes to a new file (it must not exist) through a FileHandle. */
export const openFileSink: OpenSink = async (file) => {
  const fh = await fsp.open(file, 'wx');
  return {
    write: async (chunk) => {
      for (let at = 0; at < chunk.byteLength; ) at += (await fh.write(chunk, at)).bytesWritten;
    },
    finish: async () => {
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    },
    abort: () => fh.close(),
  };
};

function tooLarge(size: number, max: number): PunctualError {
  return new PunctualError(
    Status.INVALID_ARGUMENT,
    `model file of ${size} bytes is larger than the controller's limit of ${max} bytes (--max-model-bytes)`,
    'model_file_too_large',
  );
}

function busy(n: number): PunctualError {
  return new PunctualError(
    Status.RESOURCE_EXHAUSTED,
    `${n} model upload${n === 1 ? ' is' : 's are'} in progress (--max-concurrent-uploads); retry when one finishes`,
    'uploads_busy',
  );
}

function idle(ms: number): PunctualError {
  return new PunctualError(Status.DEADLINE_EXCEEDED, `no upload data for ${ms / 1000} s: upload abandoned`, 'upload_idle');
}

const cancelled = (): PunctualError => new PunctualError(Status.CANCELLED, 'the upload was cancelled');

/** How many messages grpc-js may read ahead into a paused call (Node's object-mode default is 16). */
const READ_AHEAD = 1;

/**
 * Lowers how many messages the call's Readable buffers on its own while
 * paused: at Node's default of 16 objects, a paused 1 MiB-chunk upload would
 * still hold 16 MiB. Node has no public setter; without the field nothing changes.
 */
function limitReadAhead(call: UploadCall): void {
  const state = (call as unknown as { _readableState?: { highWaterMark?: number } })._readableState;
  if (state && typeof state.highWaterMark === 'number') state.highWaterMark = READ_AHEAD;
}

export class UploadReceiver {
  private active = 0;
  private readonly maxConcurrent: number;
  private readonly idleTimeoutMs: number;
  /** Most bytes one upload held in memory at once (received, not yet written), over all uploads. */
  peakBufferedBytes = 0;

  /** `dir` is created when the first upload arrives. */
  constructor(
    private readonly dir: string,
    private readonly limits: UploadLimits,
    private readonly openSink: OpenSink = openFileSink,
  ) {
    this.maxConcurrent = limits.maxConcurrent ?? CONTROLLER_DEFAULTS.maxConcurrentUploads;
    this.idleTimeoutMs = limits.idleTimeoutMs ?? CONTROLLER_DEFAULTS.uploadIdleTimeoutMs;
  }

  /** Uploads holding a slot now. */
  get inProgress(): number {
    return this.active;
  }

  /**
   * Receives one upload into a temporary file. `checkMeta` may refuse the
   * metadata (throwing a PunctualError) before any byte is taken.
   */
  receive(call: UploadCall, checkMeta?: (meta: RegisterMetadata__Output) => void): Promise<Upload> {
    if (this.active >= this.maxConcurrent) return Promise.reject(busy(this.active));
    this.active++;
    let freed = false;
    const free = (): void => {
      if (freed) return;
      freed = true;
      this.active--;
    };
    const file = path.join(this.dir, `${crypto.randomBytes(8).toString('hex')}.part`);
    const remove = (): Promise<void> => fsp.rm(file, { force: true });
    const { maxBytes } = this.limits;
    const idleMs = this.idleTimeoutMs;
    limitReadAhead(call);

    return new Promise<Upload>((resolve, reject) => {
      let meta: RegisterMetadata__Output | undefined;
      let sink: UploadSink | undefined;
      const hash = crypto.createHash('sha256');
      let received = 0;
      /** Disk operations run one after another on this chain; `pending` counts those not done. */
      let disk: Promise<void> = Promise.resolve();
      let pending = 0;
      let buffered = 0;
      let ended = false;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;

      const disarm = (): void => {
        if (timer) clearTimeout(timer);
        timer = undefined;
      };
      const arm = (): void => {
        disarm();
        timer = setTimeout(() => fail(idle(idleMs)), idleMs);
      };
      const detach = (): void => {
        call.removeListener('data', onData);
        call.removeListener('end', onEnd);
      };
      /** Removes the file (after the disk operations in flight: it exists once open() returned), frees the slot, rejects. */
      const discard = (err: unknown): void => {
        disk = disk
          .then(() => sink?.abort())
          .catch(() => undefined)
          .then(remove)
          .catch(() => undefined)
          .then(() => {
            free();
            reject(err);
          });
      };
      const fail = (err: unknown): void => {
        if (settled) return;
        settled = true;
        disarm();
        detach();
        discard(err);
      };
      const writeError = (err: unknown): PunctualError =>
        new PunctualError(Status.INTERNAL, `the upload could not be written to ${this.dir}: ${err instanceof Error ? err.message : String(err)}`);
      const onDisk = (op: () => Promise<void>, bytes = 0): void => {
        pending++;
        buffered += bytes;
        this.peakBufferedBytes = Math.max(this.peakBufferedBytes, buffered);
        call.pause();
        disk = disk.then(async () => {
          try {
            if (!settled) await op();
          } catch (err) {
            fail(writeError(err));
          }
          pending--;
          buffered -= bytes;
          if (settled || pending > 0) return;
          if (ended) complete();
          else {
            call.resume();
            arm();
          }
        });
      };
      const complete = (): void => {
        if (settled) return;
        if (!meta) return fail(invalidArgument('empty upload: no meta and no bytes'));
        if (received < meta.size) return fail(invalidArgument(`truncated upload: received ${received} of ${meta.size} bytes`));
        const digest = hash.digest('hex');
        if (digest !== meta.sha256.toLowerCase()) {
          return fail(new PunctualError(Status.INVALID_ARGUMENT, `checksum mismatch: the received bytes have SHA-256 ${digest}, the upload declared ${meta.sha256}`, 'checksum_mismatch'));
        }
        const m = meta;
        disarm();
        detach();
        settled = true;
        const release = async (): Promise<void> => {
          await remove().catch(() => undefined);
          free();
        };
        const s = sink!;
        sink = undefined; // finish() closes it, whatever happens
        disk = s.finish().then(
          () => resolve({ meta: m, file, size: received, sha256: digest, release }),
          (err: unknown) => discard(writeError(err)),
        );
      };
      const onMeta = (msg: RegisterModelRequest__Output): void => {
        if (!msg.meta) return fail(invalidArgument('the first message of RegisterModel must carry meta (name, size, sha256, config)'));
        const m = msg.meta;
        if (!(m.size > 0)) return fail(invalidArgument('meta.size (the file size in bytes) must be given'));
        if (!/^[0-9a-f]{64}$/i.test(m.sha256)) return fail(invalidArgument('meta.sha256 must be the file\'s SHA-256 as 64 hex digits'));
        if (m.size > maxBytes) return fail(tooLarge(m.size, maxBytes));
        try {
          checkMeta?.(m);
        } catch (err) {
          return fail(err);
        }
        meta = m;
        onDisk(async () => {
          await fsp.mkdir(this.dir, { recursive: true });
          sink = await this.openSink(file);
        });
      };
      const onChunk = (msg: RegisterModelRequest__Output, m: RegisterMetadata__Output): void => {
        if (msg.meta) return fail(invalidArgument('meta may only come in the first message'));
        const chunk = msg.chunk ?? Buffer.alloc(0);
        received += chunk.byteLength;
        if (received > maxBytes) return fail(tooLarge(received, maxBytes));
        if (received > m.size) return fail(invalidArgument(`the upload is longer than the declared size of ${m.size} bytes`));
        if (chunk.byteLength === 0) {
          if (pending === 0) arm();
          return;
        }
        hash.update(chunk);
        onDisk(() => sink!.write(chunk), chunk.byteLength);
      };
      const onData = (msg: RegisterModelRequest__Output): void => {
        if (settled) return;
        disarm();
        if (!meta) onMeta(msg);
        else onChunk(msg, meta);
      };
      const onEnd = (): void => {
        ended = true;
        disarm();
        if (pending === 0) complete();
      };

      call.on('data', onData);
      call.on('end', onEnd);
      call.on('error', () => fail(cancelled()));
      call.on('cancelled', () => fail(cancelled()));
      call.on('close', () => {
        if (!ended) fail(cancelled());
      });
      arm();
    });
  }
}
