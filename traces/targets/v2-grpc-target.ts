// The Open Inference Protocol over gRPC (inference.GRPCInferenceService, as
// Triton, KServe and MLServer serve it, and Punctual on its own port):
// ModelMetadata for the inputs, RepositoryIndex for the model list, and
// ModelInfer with the tensors as raw_input_contents. The SLO goes as the
// `timeout` parameter in µs (Triton's queue timeout; Punctual's SLO) and/or
// as the call's deadline (--slo-as).
import * as grpc from '@grpc/grpc-js';
import { PunctualClientError } from '../../client/errors.js';
import { ecosystemProtos } from '../../common/ecosystem-protos.js';
import { CHANNEL_OPTIONS } from '../../common/protos.js';
import type { GRPCInferenceServiceClient } from '../../protos/generated/inference/GRPCInferenceService.js';
import type { ModelInferRequest } from '../../protos/generated/inference/ModelInferRequest.js';
import type { ModelInferResponse__Output } from '../../protos/generated/inference/ModelInferResponse.js';
import type { ModelMetadataResponse__Output } from '../../protos/generated/inference/ModelMetadataResponse.js';
import type { RepositoryIndexResponse__Output } from '../../protos/generated/inference/RepositoryIndexResponse.js';
import type { Rand } from '../random.js';
import { clientDeadline, grpcFailure, malformed, transportFailure } from './outcomes.js';
import { INPUTS_PER_MODEL, TargetFailure, type Failure, type ReplayTarget, type TargetAnswer, type TargetModel } from './target.js';
import type { TargetSpec } from './target-url.js';
import { checkInputMeta, outputBytes, randomV2Inputs, rawBytes, readOutputMeta, type V2TensorMeta } from './v2-tensors.js';
import { DEFAULT_V2_SLO_MS, sloDeadline, type V2TargetOptions } from './v2-options.js';

/** Deadline of metadata and index calls, ms. */
const SETUP_DEADLINE_MS = 10_000;

type Callback<T> = (err: grpc.ServiceError | null, res?: T) => void;

function reasonOf(err: grpc.ServiceError): string | undefined {
  const v = err.metadata?.get('punctual-reason')[0];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function details(err: grpc.ServiceError): string {
  return err.details.replace(/\s*Resolution note:\s*$/, '');
}

/** Why an answer with status OK cannot count as ok, or undefined when it can. */
export function checkInferResponse(res: ModelInferResponse__Output): string | undefined {
  if (res.outputs.length === 0) return 'the answer has no outputs';
  const raw = res.rawOutputContents;
  if (raw.length > 0 && raw.length !== res.outputs.length) return `the answer has ${res.outputs.length} outputs but ${raw.length} raw_output_contents`;
  for (const [i, o] of res.outputs.entries()) {
    const meta = readOutputMeta(o, i);
    if (typeof meta === 'string') return meta;
    if (raw.length > 0) {
      const want = outputBytes(meta);
      const have = raw[i]!.byteLength;
      if (want !== undefined && want !== have) return `output ${meta.name} of shape [${meta.shape.join(', ')}] ${meta.datatype} needs ${want} bytes, raw_output_contents has ${have}`;
    } else if (!o.contents) return `output ${meta.name} has neither contents nor raw_output_contents`;
  }
  return undefined;
}

export class V2GrpcTarget implements ReplayTarget {
  readonly url: string;
  readonly config: Record<string, unknown>;
  private readonly client: GRPCInferenceServiceClient;
  private readonly token: string | undefined;

  constructor(
    spec: TargetSpec,
    private readonly opts: V2TargetOptions,
  ) {
    this.url = spec.url;
    this.token = opts.token;
    this.config = { protocol: 'v2', transport: 'grpc', target: spec.url, slo_as: opts.sloAs };
    const credentials = spec.tls ? grpc.credentials.createSsl(opts.ca ?? null) : grpc.credentials.createInsecure();
    const C = ecosystemProtos().oip.inference.GRPCInferenceService;
    this.client = new C(spec.authority, credentials, { ...CHANNEL_OPTIONS, 'grpc.primary_user_agent': 'punctual-replay' });
  }

  private metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    if (this.token) md.set('authorization', `Bearer ${this.token}`);
    return md;
  }

  /** A setup call (metadata, index): its failure becomes a PunctualClientError that says which server and what to do. */
  private setup<T>(what: string, start: (md: grpc.Metadata, co: grpc.CallOptions, cb: Callback<T>) => unknown): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      start(this.metadata(), { deadline: Date.now() + SETUP_DEADLINE_MS }, (err, res) => {
        if (!err && res !== undefined) resolve(res);
        else if (!err) reject(new PunctualClientError(grpc.status.INTERNAL, `${what}: the V2 server at ${this.url} sent an empty answer`));
        else {
          const d = details(err);
          const message =
            err.code === grpc.status.UNAVAILABLE
              ? `cannot reach a V2 gRPC server at ${this.url}: ${d}${/protocol error/i.test(d) ? ' (something answered that does not speak HTTP/2: is this the server\'s gRPC port, not its HTTP one?)' : ''}`
              : err.code === grpc.status.UNIMPLEMENTED
                ? `${what}: the server at ${this.url} does not serve inference.GRPCInferenceService (${d}); is it a V2 server, and is this its gRPC port?`
                : `${what} at ${this.url}: ${d}`;
          reject(new PunctualClientError(err.code, message, reasonOf(err), err.metadata, { cause: err }));
        }
      });
    });
  }

  async models(): Promise<string[]> {
    let res: RepositoryIndexResponse__Output;
    try {
      res = await this.setup<RepositoryIndexResponse__Output>('RepositoryIndex', (md, co, cb) => this.client.RepositoryIndex({ ready: true }, md, co, cb));
    } catch (err) {
      if (err instanceof PunctualClientError && err.code !== grpc.status.UNAVAILABLE) {
        throw new PunctualClientError(err.code, `the V2 server at ${this.url} does not list its models (RepositoryIndex: ${err.message}); name them with --models`, err.reason);
      }
      throw err;
    }
    return [...new Set(res.models.map((m) => m.name))];
  }

  async prepare(model: string, rand: Rand): Promise<TargetModel> {
    let meta: ModelMetadataResponse__Output;
    try {
      meta = await this.setup<ModelMetadataResponse__Output>(`model ${model}: ModelMetadata`, (md, co, cb) => this.client.ModelMetadata({ name: model, version: '' }, md, co, cb));
    } catch (err) {
      if (err instanceof PunctualClientError && err.code === grpc.status.NOT_FOUND) {
        throw new PunctualClientError(grpc.status.NOT_FOUND, `model ${model}: the V2 server at ${this.url} has no such model (${err.message})`, err.reason);
      }
      throw err;
    }
    const inputs: V2TensorMeta[] = meta.inputs;
    checkInputMeta(model, inputs);
    const sets = Array.from({ length: INPUTS_PER_MODEL }, () => randomV2Inputs(model, inputs, rand));
    const tensors = sets[0]!.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape }));
    const raws = sets.map((set) => set.map((t) => rawBytes(t.data)));
    return {
      defaultSloMs: DEFAULT_V2_SLO_MS,
      infer: (id, sloMs, deadlineMs) => this.infer(model, tensors, raws[id % raws.length]!, sloMs, deadlineMs),
    };
  }

  private infer(model: string, inputs: ModelInferRequest['inputs'], raw: Buffer[], sloMs: number, graceDeadlineMs: number): Promise<TargetAnswer> {
    const { timeoutParam, deadlineMs } = sloDeadline(this.opts.sloAs, sloMs, graceDeadlineMs);
    const request: ModelInferRequest = {
      modelName: model,
      inputs,
      rawInputContents: raw,
      ...(timeoutParam ? { parameters: { timeout: { int64Param: Math.max(1, Math.round(sloMs * 1000)) } } } : {}),
    };
    const start = performance.now();
    return new Promise<TargetAnswer>((resolve, reject) => {
      const fail = (f: Failure): void => reject(new TargetFailure(f));
      this.client.ModelInfer(request, this.metadata(), { deadline: Date.now() + deadlineMs }, (err, res) => {
        const latencyMs = performance.now() - start;
        if (err) {
          if (err.code === grpc.status.DEADLINE_EXCEEDED && latencyMs >= deadlineMs - 1) fail(clientDeadline(deadlineMs));
          else if (err.code === grpc.status.UNAVAILABLE && reasonOf(err) === undefined && /ECONNREFUSED|ECONNRESET|No connection established|Connection dropped/i.test(err.details)) fail(transportFailure(details(err)));
          else fail(grpcFailure(err.code, details(err), reasonOf(err)));
          return;
        }
        const wrong = res ? checkInferResponse(res) : 'the answer was empty';
        if (wrong !== undefined) fail(malformed(wrong));
        else resolve({ latencyMs });
      });
    });
  }

  close(): Promise<void> {
    this.client.close();
    return Promise.resolve();
  }
}
