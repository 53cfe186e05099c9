// PunctualAdmin: the operator's client of a Punctual controller (the Admin
// service): register a model file (streamed in chunks with its size and
// SHA-256), unregister, describe, re-profile, list, cluster status. Failures
// are the same typed errors as PunctualClient's (./errors.ts).
import * as grpc from '@grpc/grpc-js';
import { sha256 } from '../common/hash.js';
import { CHANNEL_OPTIONS, protos } from '../common/protos.js';
import type {
  ClusterStatusResponse__Output,
  DescribeModelResponse__Output,
  InputDeclaration,
  ListModelsResponse__Output,
  ModelInfo__Output,
  ProfileModelEvent__Output,
  ProfileModelResponse__Output,
  ProfileProgress__Output,
  RegisterModelResponse__Output,
} from '../common/wire.js';
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

const CHUNK = 1024 * 1024;
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
    const digest = sha256(bytes);
    return new Promise((resolve, reject) => {
      const call = this.admin.RegisterModel(this.opts.metadata(), { deadline: Date.now() + CHANGE_DEADLINE_MS }, (err, res) => {
        if (err) reject(fromServiceError(err, this.address));
        else if (!res) reject(new PunctualClientError(grpc.status.INTERNAL, 'empty response'));
        else resolve(res);
      });
      call.write({
        meta: {
          name: o.name,
          version: o.version ?? 0,
          inputs: o.inputs ?? [],
          maxBatch: o.maxBatch ?? 0,
          batchSizes: o.batchSizes ?? [],
          defaultSloMs: o.defaultSloMs ?? 0,
          threads: o.threads ?? 0,
          size: bytes.byteLength,
          sha256: digest,
          copies: o.copies ?? 1,
        },
      });
      let offset = 0;
      const pump = (): void => {
        while (offset < bytes.byteLength) {
          const end = Math.min(bytes.byteLength, offset + CHUNK);
          const more = call.write({ chunk: bytes.subarray(offset, end) });
          offset = end;
          o.onProgress?.(offset, bytes.byteLength);
          if (!more) {
            call.once('drain', pump);
            return;
          }
        }
        call.end();
      };
      pump();
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
