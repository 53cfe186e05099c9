// PunctualAdmin: the operator's client of a Punctual controller (the Admin
// service): register a model file (streamed in chunks with its size and
// SHA-256), unregister, describe, re-profile, list, cluster status, and a
// model's export (its registration and bytes, streamed) with registration
// from one, so a model moves between controllers without sitting in memory
// whole. Failures are the same typed errors as PunctualClient's (./errors.ts).
import * as grpc from '@grpc/grpc-js';
import { sha256 } from '../common/hash.js';
import { CHANNEL_OPTIONS, MODEL_CHUNK_BYTES, protos } from '../common/protos.js';
import type {
  ClusterStatusResponse__Output,
  DescribeModelResponse__Output,
  InputDeclaration,
  ListModelsResponse__Output,
  ModelInfo__Output,
  ProfileModelEvent__Output,
  ProfileModelResponse__Output,
  ProfileProgress__Output,
  RegisterMetadata,
  RegisterMetadata__Output,
  RegisterModelResponse__Output,
} from '../common/wire.js';
import type { ExportModelChunk__Output } from '../protos/generated/punctual/v1/ExportModelChunk.js';
import type { AdminClient } from '../protos/generated/punctual/v1/Admin.js';
import { PunctualClientError, fromServiceError } from './errors.js';
import { compileClientOptions, type CompiledClientOptions, type PunctualClientOptions } from './options.js';

export interface RegisterOptions {
  name: string;
  /** @default the next version */
  version?: number;
  /** Per-item input shapes; a single unnamed one applies to a model with one input. */
  inputs?: InputDeclaration[];
  /** @default 1 */
  maxBatch?: number;
  batchSizes?: number[];
  /** @default 100 */
  defaultSloMs?: number;
  /** Register N independent instances name-0 … name-(N-1), at most 4,000; they share one profile and one file. @default 1 */
  copies?: number;
  /** Intra-op threads of its sessions, capped by each executor's. @default the profile's bestThreads once measured, else each executor's own */
  threads?: number;
  /** Called as chunks are handed to the transport. */
  onProgress?: (sentBytes: number, totalBytes: number) => void;
}

export interface ProfileOptions {
  version?: number;
  batchSizes?: number[];
  iterations?: number;
  maxThreads?: number;
  /** Called with each progress event the controller streams while it measures. */
  onProgress?: (p: ProfileProgress__Output) => void;
}

/**
 * One model version as ExportModel streams it: its registration, then its
 * bytes. Read `chunks` to the end, or stop early (break, or cancel()): the
 * call stays open, holding the controller's file, until one of them.
 */
export interface ModelExport {
  /** What RegisterModel takes: name, version, inputs, batching, SLO, threads, size and SHA-256; copies 1. */
  meta: RegisterMetadata__Output;
  /** The file's bytes in order, a chunk (1 MiB) at a time; the call reads ahead at most 16 chunks of what is not taken yet. */
  chunks: AsyncIterable<Uint8Array>;
  /** Ends the call; the bytes not read yet are not sent. */
  cancel(): void;
}

export interface RegisterStreamOptions {
  /** Called as chunks are handed to the transport, with the bytes sent and the size `meta` declares. */
  onProgress?: (sentBytes: number, totalBytes: number) => void;
}

/**
 * Which models a ListModels or ClusterStatus call returns: models come in key
 * order ("name@version"), a page at a time.
 */
export interface ModelPageOptions {
  /** At most this many models; 0 or absent = every model in one answer. */
  pageSize?: number;
  /** The `nextPageToken` of the previous page; absent = from the first model. */
  pageToken?: string;
  /** Leave each model's estimates table out (a smaller, cheaper answer). @default false */
  brief?: boolean;
}

export interface ListModelsOptions {
  /** Only this name's versions. */
  name?: string;
  /** Leave each model's estimates table out. @default false */
  brief?: boolean;
  /** Models per call while reading every page. @default 1000 */
  pageSize?: number;
}

/** Models per ListModels call when every model is read. */
export const LIST_PAGE_SIZE = 1000;

/**
 * Reads every page: `fetch` is called with the token that ended the previous
 * page until one comes back empty (a controller from before paging answers
 * everything at once, with none).
 */
export async function allPages<T>(fetch: (pageToken: string) => Promise<{ models: T[]; nextPageToken?: string }>): Promise<T[]> {
  const out: T[] = [];
  let token = '';
  for (;;) {
    const page = await fetch(token);
    out.push(...page.models);
    if (!page.nextPageToken || page.nextPageToken === token) return out;
    token = page.nextPageToken;
  }
}

/** Admin calls that change things may take a while (profiling); they get this long. */
const CHANGE_DEADLINE_MS = 10 * 60_000;
const READ_DEADLINE_MS = 30_000;

type UnaryInvoker<Res> = (md: grpc.Metadata, co: grpc.CallOptions, cb: grpc.requestCallback<Res>) => grpc.ClientUnaryCall;

export class PunctualAdmin {
  private readonly opts: CompiledClientOptions;
  private readonly admin: AdminClient;

  constructor(
    readonly address: string,
    options: PunctualClientOptions = {},
  ) {
    this.opts = compileClientOptions(options, CHANNEL_OPTIONS);
    this.admin = new (protos().admin.punctual.v1.Admin)(address, this.opts.credentials, this.opts.channelOptions);
  }

  /** Uploads a model file and waits until it is servable (or refused). */
  register(bytes: Uint8Array, o: RegisterOptions): Promise<RegisterModelResponse__Output> {
    const meta: RegisterMetadata = {
      name: o.name,
      version: o.version ?? 0,
      inputs: o.inputs ?? [],
      maxBatch: o.maxBatch ?? 0,
      batchSizes: o.batchSizes ?? [],
      defaultSloMs: o.defaultSloMs ?? 0,
      threads: o.threads ?? 0,
      size: bytes.byteLength,
      sha256: sha256(bytes),
      copies: o.copies ?? 1,
    };
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for (let offset = 0; offset < bytes.byteLength; offset += MODEL_CHUNK_BYTES) yield bytes.subarray(offset, Math.min(bytes.byteLength, offset + MODEL_CHUNK_BYTES));
    }
    return this.registerStream(meta, chunks(), o.onProgress ? { onProgress: o.onProgress } : {});
  }

  /**
   * Streams one version out (0 = the newest): resolves with its registration
   * once the first message arrived (a model not held is ModelNotFoundError),
   * and its bytes to be read from `chunks`. registerStream(e.meta, e.chunks)
   * at another controller registers it there under the same name and version.
   */
  async exportModel(name: string, version = 0): Promise<ModelExport> {
    const call = this.admin.ExportModel({ name, version }, this.opts.metadata(), { deadline: Date.now() + (this.opts.defaultDeadlineMs ?? CHANGE_DEADLINE_MS) });
    const messages = (call as AsyncIterable<ExportModelChunk__Output>)[Symbol.asyncIterator]();
    const address = this.address;
    const next = async (): Promise<IteratorResult<ExportModelChunk__Output>> => {
      try {
        return await messages.next();
      } catch (err) {
        throw fromServiceError(err, address);
      }
    };
    const first = await next();
    if (first.done || !first.value.meta) {
      call.cancel();
      throw new PunctualClientError(grpc.status.INTERNAL, `the export of ${name} did not start with the model's metadata`);
    }
    async function* chunks(): AsyncGenerator<Uint8Array> {
      try {
        for (let r = await next(); !r.done; r = await next()) if (r.value.chunk && r.value.chunk.byteLength > 0) yield r.value.chunk;
      } finally {
        call.cancel(); // nothing once the call has ended; else it stops the controller's reading
      }
    }
    return { meta: first.value.meta, chunks: chunks(), cancel: () => call.cancel() };
  }

  /**
   * Registers a model from its metadata and its bytes as they come (an
   * export's, or any stream's), without holding the file: a chunk is taken
   * from `chunks` once the transport took the last. `meta.size` and
   * `meta.sha256` must be the bytes'; the controller checks both. A failure
   * of `chunks` cancels the upload and rejects with it; a refusal stops
   * reading `chunks` (its return() is called).
   */
  registerStream(meta: RegisterMetadata, chunks: AsyncIterable<Uint8Array>, o: RegisterStreamOptions = {}): Promise<RegisterModelResponse__Output> {
    const total = Number(meta.size ?? 0);
    return new Promise((resolve, reject) => {
      let settled = false;
      let wake: (() => void) | undefined;
      const call = this.admin.RegisterModel(this.opts.metadata(), { deadline: Date.now() + CHANGE_DEADLINE_MS }, (err, res) => {
        settled = true;
        wake?.();
        if (err) reject(fromServiceError(err, this.address));
        else if (!res) reject(new PunctualClientError(grpc.status.INTERNAL, 'empty response'));
        else resolve(res);
      });
      /** Resolves when the transport takes more, or the call is answered. */
      const drained = (): Promise<void> =>
        new Promise((r) => {
          wake = () => {
            call.off('drain', wake!);
            wake = undefined;
            r();
          };
          call.on('drain', wake);
        });
      const pump = async (): Promise<void> => {
        let more = call.write({ meta });
        let sent = 0;
        for await (const chunk of chunks) {
          if (!more && !settled) await drained();
          if (settled) return; // answered (refused) mid-upload: leaving the loop stops `chunks`
          more = call.write({ chunk });
          sent += chunk.byteLength;
          o.onProgress?.(sent, total);
        }
        if (!settled) call.end();
      };
      pump().catch((err: unknown) => {
        settled = true;
        call.cancel();
        reject(err instanceof PunctualClientError ? err : new PunctualClientError(grpc.status.ABORTED, `reading the model's bytes failed: ${err instanceof Error ? err.message : String(err)}`));
      });
    });
  }

  /** Removes one version, or every version (version 0 or absent). Returns the removed keys. */
  async unregister(name: string, version = 0): Promise<string[]> {
    const res = await this.unary<{ removed: string[] }>((md, co, cb) => this.admin.UnregisterModel({ name, version }, md, co, cb), CHANGE_DEADLINE_MS);
    return res.removed;
  }

  describe(name: string): Promise<DescribeModelResponse__Output> {
    return this.unary((md, co, cb) => this.admin.DescribeModel({ name }, md, co, cb), READ_DEADLINE_MS);
  }

  /** Profiles a model again on the controller's machine; progress arrives through `o.onProgress`. */
  profile(name: string, o: ProfileOptions = {}): Promise<ProfileModelResponse__Output> {
    const req = { name, version: o.version ?? 0, batchSizes: o.batchSizes ?? [], iterations: o.iterations ?? 0, maxThreads: o.maxThreads ?? 0 };
    return new Promise((resolve, reject) => {
      const call = this.admin.ProfileModel(req, this.opts.metadata(), { deadline: Date.now() + (this.opts.defaultDeadlineMs ?? CHANGE_DEADLINE_MS) });
      let result: ProfileModelResponse__Output | undefined;
      call.on('data', (e: ProfileModelEvent__Output) => {
        if (e.progress) o.onProgress?.(e.progress);
        if (e.result) result = e.result;
      });
      call.on('error', (err: grpc.ServiceError) => reject(fromServiceError(err, this.address)));
      call.on('end', () => {
        if (result) resolve(result);
        else reject(new PunctualClientError(grpc.status.INTERNAL, 'the profile stream ended without a result'));
      });
    });
  }

  /** Every registered model (of one name, with `o.name`), read a page at a time. */
  listModels(o: ListModelsOptions = {}): Promise<ModelInfo__Output[]> {
    const pageSize = o.pageSize ?? LIST_PAGE_SIZE;
    return allPages((pageToken) => this.listModelsPage({ pageSize, pageToken, brief: o.brief ?? false, ...(o.name ? { name: o.name } : {}) }));
  }

  /** One page of the registered models, with the token of the next (empty on the last) and the total. */
  listModelsPage(o: ModelPageOptions & { name?: string } = {}): Promise<ListModelsResponse__Output> {
    const req = { pageSize: o.pageSize ?? 0, pageToken: o.pageToken ?? '', brief: o.brief ?? false, name: o.name ?? '' };
    return this.unary((md, co, cb) => this.admin.ListModels(req, md, co, cb), READ_DEADLINE_MS);
  }

  /** Workers, executors, a summary of every model, and every model or one page of them (`o.pageSize`). */
  clusterStatus(o: ModelPageOptions = {}): Promise<ClusterStatusResponse__Output> {
    const req = { pageSize: o.pageSize ?? 0, pageToken: o.pageToken ?? '', brief: o.brief ?? false };
    return this.unary((md, co, cb) => this.admin.ClusterStatus(req, md, co, cb), READ_DEADLINE_MS);
  }

  close(): void {
    this.admin.close();
  }

  private unary<Res>(invoke: UnaryInvoker<Res>, deadlineMs: number): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      invoke(this.opts.metadata(), { deadline: Date.now() + (this.opts.defaultDeadlineMs ?? deadlineMs) }, (err, value) => {
        if (err) reject(fromServiceError(err, this.address));
        else if (value === undefined) reject(new PunctualClientError(grpc.status.INTERNAL, 'empty response'));
        else resolve(value);
      });
    });
  }
}
