// PunctualClient: the application-facing client of a Punctual controller.
// One channel carries both services (punctual.v1.Inference and Admin); typed
// arrays go in and come out; every failure is a typed error (./errors.ts).
import * as grpc from '@grpc/grpc-js';
import { CHANNEL_OPTIONS, protos } from '../common/protos.js';
import type {
  ClusterStatusResponse__Output,
  GetRingResponse__Output,
  InferRequest,
  InferResponse__Output,
  ListModelsResponse__Output,
  ModelInfo__Output,
  TensorSpec__Output,
} from '../common/wire.js';
import type { AdminClient } from '../protos/generated/punctual/v1/Admin.js';
import type { InferenceClient } from '../protos/generated/punctual/v1/Inference.js';
import { tensorBytes } from '../common/coalesced-writes.js';
import { allPages, LIST_PAGE_SIZE, type ModelPageOptions } from './admin.js';
import { ModelNotFoundError, PunctualClientError, cancelledByCaller, fromServiceError } from './errors.js';

/** Header carrying a request's SLO in ms beside its slo_ms field (controller/early-admission.ts reads it). */
const SLO_HEADER = 'punctual-slo-ms';
import { checkInferOptions, compileClientOptions, type CompiledClientOptions, type InferOptions, type PunctualClientOptions } from './options.js';
import { decodeOutputs, encodeInputs, type InferInputs, type OutputTensor } from './tensors.js';
import { DataChannels } from './data-channel.js';
import { stagedInfer } from './staged-infer.js';

/** How long infer() uses Infer after a controller said it has no data plane, ms. */
const NO_DATA_PLANE_MS = 10_000;

/** A model as the controller describes it (Admin.ListModels). */
export type ModelInfo = ModelInfo__Output;
/**
 * The cluster as the controller describes it (Admin.ClusterStatus). The
 * paging fields may be missing from one built by hand.
 */
export type ClusterStatus = Omit<ClusterStatusResponse__Output, 'nextPageToken' | 'modelSummary'> &
  Partial<Pick<ClusterStatusResponse__Output, 'nextPageToken' | 'modelSummary'>>;

/** Server-side timings of one request, in ms. */
export interface InferTimings {
  /** From arrival at the controller until its batch started. */
  queueMs: number;
  /** Execution time of the batch on the worker. */
  execMs: number;
  /** From arrival at the controller until the response left. */
  totalMs: number;
}

export interface InferResult {
  model: string;
  version: number;
  outputs: Record<string, OutputTensor>;
  timings: InferTimings;
  /** Size of the batch the request ran in. */
  batchSize: number;
  /** Worker and executor that ran it. */
  worker: string;
  executor: number;
  /** Round trip measured by the client, in ms. */
  latencyMs: number;
  /** Whether its tensors went straight to the worker (the data plane, `dataPlane` option) rather than through the controller. */
  dataPlane: boolean;
}

/** Admin calls have no SLO; they get this deadline unless the client sets `defaultDeadlineMs`. */
const ADMIN_DEADLINE_MS = 30_000;

type UnaryInvoker<Res> = (md: grpc.Metadata, callOptions: grpc.CallOptions, cb: grpc.requestCallback<Res>) => grpc.ClientUnaryCall;

function pickModel(models: readonly ModelInfo[], name: string, version: number | undefined): ModelInfo | undefined {
  let best: ModelInfo | undefined;
  for (const m of models) {
    if (m.name !== name) continue;
    if (version !== undefined && version !== 0) {
      if (m.version === version) return m;
    } else if (!best || m.version > best.version) best = m;
  }
  return best;
}

/**
 * Client of a Punctual controller.
 *
 * ```ts
 * const client = new PunctualClient('127.0.0.1:7000');
 * const { outputs } = await client.infer('det', { x: new Float32Array(3 * 224 * 224) }, { sloMs: 50 });
 * client.close();
 * ```
 */
export class PunctualClient {
  private readonly opts: CompiledClientOptions;
  /** The one connection to the controller, which both services' stubs use. */
  private readonly channel: grpc.Channel;
  #inference: InferenceClient | undefined;
  #admin: AdminClient | undefined;
  /** Declared inputs by model name (every version), as last fetched: for bare typed arrays. */
  private readonly byName = new Map<string, ModelInfo[]>();
  /** Fetches of one name's versions in flight, so concurrent first calls share one. */
  private readonly fetching = new Map<string, Promise<ModelInfo[]>>();
  /** The data plane's connections to workers (opened on first use). */
  private readonly channels: DataChannels;
  /** Until when infer() uses Infer: the controller said it has no data plane. */
  private dataPlaneOffUntil = 0;

  /**
   * @param address the controller, `host:port`
   * @throws RangeError for an invalid option
   */
  constructor(
    readonly address: string,
    options: PunctualClientOptions = {},
  ) {
    this.opts = compileClientOptions(options, CHANNEL_OPTIONS);
    this.channels = new DataChannels(options.dataPlaneTls ? { tls: options.dataPlaneTls } : {});
    this.channel = new grpc.Channel(address, this.opts.credentials, this.opts.channelOptions);
  }

  // Each service's stub is made on first use: a command that only asks the
  // controller (`punctual status`) never loads the Inference descriptors.
  private get inference(): InferenceClient {
    return (this.#inference ??= new (protos().inference.punctual.v1.Inference)(this.address, this.opts.credentials, { channelOverride: this.channel }));
  }

  private get admin(): AdminClient {
    return (this.#admin ??= new (protos().admin.punctual.v1.Admin)(this.address, this.opts.credentials, { channelOverride: this.channel }));
  }

  /**
   * Runs one inference request.
   *
   * A bare typed array as an input takes the model's declared per-item shape,
   * fetched once per model name with Admin.ListModels (that name only) and
   * cached; listModels() fills the cache for every model.
   *
   * @throws SloRejectedError when admission control predicts a missed SLO (the reason says by how much)
   * @throws ModelNotFoundError, InvalidInputError, UnavailableError, DeadlineExceededError,
   *   UnauthenticatedError, PermissionDeniedError, or PunctualClientError for other statuses
   */
  async infer(model: string, inputs: InferInputs, options: InferOptions = {}): Promise<InferResult> {
    checkInferOptions(options);
    const needsSpecs = Object.values(inputs).some((v) => ArrayBuffer.isView(v));
    const specs = needsSpecs ? await this.inputSpecs(model, options.version) : undefined;
    const request: InferRequest = { model, version: options.version ?? 0, inputs: encodeInputs(model, inputs, specs) };
    if (options.sloMs !== undefined) request.sloMs = options.sloMs;
    const start = performance.now();
    const staged = await this.viaDataPlane(request, options);
    const res = staged ?? (await this.unary<InferResponse__Output>(
      (md, co, cb) => {
        // The SLO also travels as a header: slo_ms comes after the tensors in the message, and the
        // controller decides whether to reject from the request's first bytes.
        if (options.sloMs !== undefined) md.set(SLO_HEADER, String(options.sloMs));
        return this.inference.Infer(request, md, co, cb);
      },
      options.deadlineMs ?? this.opts.defaultDeadlineMs,
      options.signal,
    ));
    const latencyMs = performance.now() - start;
    return {
      model: res.model,
      version: res.version,
      outputs: decodeOutputs(res.outputs),
      timings: { queueMs: res.timings?.queueMs ?? 0, execMs: res.timings?.execMs ?? 0, totalMs: res.timings?.totalMs ?? 0 },
      batchSize: res.batchSize,
      worker: res.worker,
      executor: res.executor,
      latencyMs,
      dataPlane: staged !== undefined,
    };
  }

  /**
   * Workers, executors, a summary of every model (Admin.ClusterStatus), and
   * every model, or one page of them with `pageSize` (then `nextPageToken`
   * names the next page).
   */
  async clusterStatus(options: { signal?: AbortSignal } & ModelPageOptions = {}): Promise<ClusterStatus> {
    const req = { pageSize: options.pageSize ?? 0, pageToken: options.pageToken ?? '', brief: options.brief ?? false };
    return this.unary<ClusterStatusResponse__Output>(
      (md, co, cb) => this.admin.ClusterStatus(req, md, co, cb),
      this.opts.defaultDeadlineMs ?? ADMIN_DEADLINE_MS,
      options.signal,
    );
  }

  /** Registered models with their declared inputs and outputs (Admin.ListModels, read a page at a time). Refreshes the shape cache. */
  async listModels(options: { signal?: AbortSignal } = {}): Promise<ModelInfo[]> {
    const models = await allPages((pageToken) => this.fetchModels({ pageSize: LIST_PAGE_SIZE, pageToken }, options.signal));
    this.byName.clear();
    this.remember(models);
    return models;
  }

  /**
   * The ring of controllers this controller belongs to (Admin.GetRing): no
   * members when it is alone. PunctualRingClient (ring-client.ts) routes by it.
   */
  async getRing(options: { signal?: AbortSignal } = {}): Promise<GetRingResponse__Output> {
    return this.unary<GetRingResponse__Output>(
      (md, co, cb) => this.admin.GetRing({}, md, co, cb),
      this.opts.defaultDeadlineMs ?? ADMIN_DEADLINE_MS,
      options.signal,
    );
  }

  /** Closes the channel (and the data plane's connections). Calls made afterwards fail. */
  close(): void {
    this.channels.close();
    this.channel.close();
  }

  /** The request through the data plane when on and offered; undefined: send it with Infer. */
  private async viaDataPlane(request: InferRequest, options: InferOptions): Promise<InferResponse__Output | undefined> {
    if (!this.opts.dataPlane || performance.now() < this.dataPlaneOffUntil) return undefined;
    if (tensorBytes(request.inputs) < this.opts.dataPlaneMinBytes) return undefined; // its round trip to the controller costs more than the bypass saves
    try {
      return await stagedInfer(
        { inference: this.inference, channels: this.channels, metadata: this.opts.metadata(), deadlineMs: options.deadlineMs ?? this.opts.defaultDeadlineMs, signal: options.signal, address: this.address },
        request,
      );
    } catch (err) {
      // No data plane here (or a controller from before it): Infer, for a while.
      if (err instanceof PunctualClientError && (err.reason === 'no_data_plane' || err.code === grpc.status.UNIMPLEMENTED)) {
        this.dataPlaneOffUntil = performance.now() + NO_DATA_PLANE_MS;
        return undefined;
      }
      throw err;
    }
  }

  private fetchModels(req: { pageSize?: number; pageToken?: string; name?: string }, signal?: AbortSignal): Promise<ListModelsResponse__Output> {
    return this.unary<ListModelsResponse__Output>(
      (md, co, cb) => this.admin.ListModels(req, md, co, cb),
      this.opts.defaultDeadlineMs ?? ADMIN_DEADLINE_MS,
      signal,
    );
  }

  private remember(models: readonly ModelInfo[]): void {
    const names = new Map<string, ModelInfo[]>();
    for (const m of models) names.set(m.name, [...(names.get(m.name) ?? []), m]);
    for (const [name, list] of names) this.byName.set(name, list);
  }

  /** One name's versions from the controller (a controller from before the name filter answers every model). */
  private fetchName(model: string): Promise<ModelInfo[]> {
    let p = this.fetching.get(model);
    if (!p) {
      p = allPages((pageToken) => this.fetchModels({ name: model, pageSize: LIST_PAGE_SIZE, pageToken }, undefined)).then((models) => {
        this.remember(models);
        return this.byName.get(model) ?? [];
      });
      const done = p;
      void done.finally(() => {
        if (this.fetching.get(model) === done) this.fetching.delete(model);
      }).catch(() => undefined);
      this.fetching.set(model, p);
    }
    return p;
  }

  private async inputSpecs(model: string, version: number | undefined): Promise<TensorSpec__Output[]> {
    const cached = this.byName.get(model);
    let info = cached ? pickModel(cached, model, version) : undefined;
    if (!info) info = pickModel(await this.fetchName(model), model, version); // not seen, or registered since we cached
    if (!info) {
      const which = version ? `${model} version ${version}` : model;
      throw new ModelNotFoundError(grpc.status.NOT_FOUND, `model ${which} is not registered at ${this.address}`, 'not_found');
    }
    return info.inputs;
  }

  private unary<Res>(invoke: UnaryInvoker<Res>, deadlineMs: number | undefined, signal: AbortSignal | undefined): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      const cancelled = (): PunctualClientError => cancelledByCaller(signal);
      if (signal?.aborted) {
        reject(cancelled());
        return;
      }
      const callOptions: grpc.CallOptions = deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs };
      const onAbort = (): void => call.cancel();
      const call = invoke(this.opts.metadata(), callOptions, (err, value) => {
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(signal?.aborted && err.code === grpc.status.CANCELLED ? cancelled() : fromServiceError(err, this.address));
        else if (value === undefined) reject(new PunctualClientError(grpc.status.INTERNAL, 'empty response'));
        else resolve(value);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
