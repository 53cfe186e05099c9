// inference.GRPCInferenceService — the Open Inference Protocol (KServe V2)
// on the controller's port, so Triton and KServe clients work unchanged and
// get Punctual's admission and SLO scheduling. Requests go through the same
// validation (validateInputs) and ServingCore.submit as punctual.v1.Infer.
// Where Triton's clients expect Triton's answers, they get them (README,
// "Triton compatibility", lists every intentional difference).
//
//  SLO: parameter "timeout" (int64 µs, as Triton; 0 means none, as Triton),
//  else the gRPC deadline, else the model's default, counted from the moment
//  the request's headers arrived (controller/arrival.ts). Parameter
//  "priority": only 0 (Triton's "the default") is accepted — Punctual orders
//  by deadline, so a tighter timeout is how a request goes first. Every size
//  is checked before anything is allocated for it (oip/tensors.ts
//  readV2Items); the batch axis is required. Batch n > 1: split into n
//  requests admitted as a whole (all or none), scheduled on their own,
//  answered together (all or the first error). Outputs are always answered
//  in raw_output_contents, as Triton does (tritonclient reads nothing else).
//  ModelReady of an unknown model is ready: false, as Triton.
//  Repository extension: Index lists the registry; Load warms the model on
//  executors where it fits; Unload unloads it from executors where it is idle
//  (it stays registered and loads again on demand). Registering new models
//  is punctual.v1.Admin's job, so Load of an unknown name is NOT_FOUND.
//  Model configuration extension: ModelConfig (oip/triton-config.ts).
//  Statistics extension: ModelStatistics (controller/model-statistics.ts).
//  ModelStreamInfer: services/oip-stream.ts.
import type * as grpc from '@grpc/grpc-js';
import type { Clock } from '../../common/clock.js';
import { invalidArgument, notFound } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { MAX_SLO_MS, MODEL_VERSION_RANGE, parseModelVersion } from '../../common/model-config.js';
import type { WireTensor } from '../../common/tensor.js';
import { quoted, someOf } from '../../common/bounded-text.js';
import type { GRPCInferenceServiceHandlers } from '../../protos/generated/inference/GRPCInferenceService.js';
import type { InferParameter__Output } from '../../protos/generated/inference/InferParameter.js';
import type { ModelInferRequest__Output } from '../../protos/generated/inference/ModelInferRequest.js';
import type { ModelInferResponse } from '../../protos/generated/inference/ModelInferResponse.js';
import type { ModelStreamInferResponse } from '../../protos/generated/inference/ModelStreamInferResponse.js';
import type { ModelMetadataResponse } from '../../protos/generated/inference/ModelMetadataResponse.js';
import type { ModelStatisticsResponse } from '../../protos/generated/inference/ModelStatisticsResponse.js';
import type { RepositoryIndexResponse } from '../../protos/generated/inference/RepositoryIndexResponse.js';
import type { ModelStatistics } from '../model-statistics.js';
import type { ServedModel } from '../model-registry.js';
import type { ServingCore } from '../serving-core.js';
import { isRegistered, v2ModelMetadata } from '../oip/metadata.js';
import { refuseLoadParameters, repositoryIndex, repositoryLoad, repositoryUnload, servingExecutors } from '../oip/repository.js';
import { tritonModelConfig } from '../oip/triton-config.js';
import { tritonStatistics } from '../oip/triton-statistics.js';
import { joinItems, readV2Items, v2Datatype, type V2Input } from '../oip/tensors.js';
import { sloFromArrival } from '../arrival.js';
import { serveInferStream } from './oip-stream.js';
import { admitted, type ServiceImpl, type ServiceRoles } from './server-call.js';

export const SERVER_NAME = 'punctual';
export const SERVER_VERSION = '0.1.0';
/** Triton's extension names for what this service really serves (ServerMetadata). */
export const EXTENSIONS = ['model_repository', 'model_configuration', 'statistics'];

export interface OipDeps {
  core: ServingCore;
  clock: Clock;
  log: Logger;
  /** Server readiness: a worker connected, a model servable, not draining. */
  ready: () => boolean;
  /** What ModelStatistics reports (fed by the core as one of its observers). */
  statistics: ModelStatistics;
  /** Most requests of one ModelStreamInfer admitted and not yet answered. @default STREAM_MAX_IN_FLIGHT */
  streamMaxInFlight?: number;
}

function parseVersion(version: string): number {
  if (version === '') return 0;
  const v = parseModelVersion(version);
  if (v === undefined) throw invalidArgument(`model version must be ${MODEL_VERSION_RANGE}, got ${quoted(version)}`);
  return v;
}

/** An integer V2 parameter (int64 or uint64), or undefined when absent. */
function integerParam(parameters: Record<string, InferParameter__Output>, name: string, what: string): number | undefined {
  const p = parameters[name];
  if (p === undefined) return undefined;
  const v = p.parameterChoice === 'int64Param' ? p.int64Param : p.parameterChoice === 'uint64Param' ? p.uint64Param : undefined;
  if (v === undefined) throw invalidArgument(`parameter "${name}" must be ${what}`);
  return Number(v);
}

/**
 * The V2 parameter "timeout" (int64 µs, as Triton) in ms, or undefined when
 * absent or 0: Triton reads 0 as "no timeout", and so does Punctual — the
 * request then gets its gRPC deadline, else the model's default SLO, as one
 * without the parameter does.
 */
export function timeoutParamMs(parameters: Record<string, InferParameter__Output>): number | undefined {
  const us = integerParam(parameters, 'timeout', 'an int64 number of microseconds');
  if (us === undefined || us === 0) return undefined;
  const ms = us / 1000;
  if (!(ms > 0)) throw invalidArgument(`parameter "timeout" must be positive (or 0 for none), got ${String(us)} µs`);
  if (ms > MAX_SLO_MS) throw invalidArgument(`parameter "timeout" ${String(us)} µs is over one hour`);
  return ms;
}

/**
 * Checks the V2 parameter "priority": absent or 0 (Triton's "the model's
 * default") is accepted; any other value is refused rather than ignored,
 * since Punctual schedules by deadline, not by priority level.
 */
export function checkPriorityParam(parameters: Record<string, InferParameter__Output>): void {
  const p = integerParam(parameters, 'priority', 'a uint64 priority level');
  if (p === undefined || p === 0) return;
  throw invalidArgument(
    `parameter "priority" ${String(p)} is not supported: Punctual orders requests by their deadlines, not by priority levels (ModelConfig shows priority_levels 0); give the request a tighter "timeout" to have it served sooner, or send priority 0`,
  );
}

/** Longest request id echoed back, characters. */
const MAX_ID_CHARS = 1024;

/** A V2 request's inputs as checked single items (raw or typed contents). */
function readInputs(model: ServedModel, req: ModelInferRequest__Output): WireTensor[][] {
  const raw = req.rawInputContents;
  if (raw.length > 0 && raw.length !== req.inputs.length) {
    throw invalidArgument(`raw_input_contents has ${raw.length} entries for ${req.inputs.length} inputs; give one per input, in order`);
  }
  const inputs: V2Input[] = req.inputs.map((t, i) => {
    const r = raw[i];
    return {
      name: t.name,
      datatype: t.datatype,
      shape: t.shape.map(Number),
      ...(r ? { raw: new Uint8Array(r.buffer, r.byteOffset, r.byteLength) } : { contents: t.contents }),
    };
  });
  return readV2Items(model.config.name, model.config.inputs, model.config.maxBatch, inputs);
}

/** Inference takes the infer token, the repository extension the admin token, the rest (health, metadata) the infer token too. */
export const OIP_ROLES: ServiceRoles<GRPCInferenceServiceHandlers> = {
  ServerLive: 'read',
  ServerReady: 'read',
  ModelReady: 'read',
  ServerMetadata: 'read',
  ModelMetadata: 'read',
  ModelInfer: 'infer',
  ModelStreamInfer: 'infer',
  ModelConfig: 'read',
  ModelStatistics: 'read',
  RepositoryIndex: 'admin',
  RepositoryModelLoad: 'admin',
  RepositoryModelUnload: 'admin',
};

export function oipService(deps: OipDeps): ServiceImpl<GRPCInferenceServiceHandlers> {
  const { core, clock, log } = deps;
  const resolve = (name: string, version: string): ServedModel => core.registry.resolve(name, parseVersion(version));

  /**
   * Resolves and checks a request before admission: model, id, parameters,
   * inputs, outputs asked for, and its SLO. `ownSlo` turns the request's own
   * timeout and the model's default into the SLO (the unary and stream calls
   * count from different moments, and treat the deadline differently).
   */
  const checkInfer = (req: ModelInferRequest__Output, slo: (own: number | undefined, model: ServedModel) => number) => {
    const model = resolve(req.modelName, req.modelVersion);
    if (req.id.length > MAX_ID_CHARS) throw invalidArgument(`request id is ${req.id.length} characters; at most ${MAX_ID_CHARS} are echoed back`);
    checkPriorityParam(req.parameters);
    const sloMs = slo(timeoutParamMs(req.parameters), model);
    const items = readInputs(model, req);
    const wanted = req.outputs.map((o) => o.name);
    const known = model.config.outputs.map((o) => o.name);
    for (const w of wanted) {
      if (known.length > 0 && !known.includes(w)) throw invalidArgument(`model ${model.config.name}: unknown output ${quoted(w)}; outputs: ${someOf(known)}`);
    }
    return { model, slo: sloMs, items, wanted };
  };

  /** Submits a checked request (its items admitted as a whole: a rejection throws, and none is queued) and answers it. */
  const runInfer = async ({ model, slo, items, wanted }: ReturnType<typeof checkInfer>, req: ModelInferRequest__Output, arrival: number): Promise<ModelInferResponse> => {
    const answers = await Promise.all(core.submitAll(model, items, slo, arrival));
    let outputs = joinItems(answers.map((a) => a.outputs.map((t) => ({ name: t.name ?? '', dtype: t.dtype ?? '', shape: (t.shape ?? []).map(Number), data: t.data as Uint8Array }))));
    if (wanted.length > 0) outputs = outputs.filter((t) => wanted.includes(t.name));
    // Always raw, as Triton answers over gRPC (typed contents in, raw out): tritonclient's
    // as_numpy reads raw_output_contents (or bytes_contents), never fp32_contents and the like.
    return {
      modelName: model.config.name,
      modelVersion: String(model.config.version),
      id: req.id,
      outputs: outputs.map((t) => ({ name: t.name, datatype: v2Datatype(t.dtype), shape: t.shape })),
      rawOutputContents: outputs.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)),
    };
  };

  const infer = admitted({
    check: (req: ModelInferRequest__Output, call: grpc.ServerUnaryCall<ModelInferRequest__Output, ModelInferResponse>, arrival) =>
      checkInfer(req, (own, model) => sloFromArrival(own, call.getDeadline(), model.config.defaultSloMs, arrival, clock)),
    run: runInfer,
  });

  /**
   * ModelStreamInfer: each message is a request of its own, admitted (and
   * counted as not admitted when its checks fail) like a unary one. Its SLO
   * counts from its message's arrival: its timeout, else the model's
   * default, and at most what is left of the stream's deadline.
   */
  const streamInfer = (call: grpc.ServerDuplexStream<ModelInferRequest__Output, ModelStreamInferResponse>): void => {
    serveInferStream(call, {
      clock,
      maxInFlight: deps.streamMaxInFlight,
      unexpected: (err) => core.unexpected('ModelStreamInfer', err),
      answer: async (req, arrival) => {
        const checked = core.beforeAdmission(() =>
          checkInfer(req, (own, model) => sloFromArrival(own ?? model.config.defaultSloMs, call.getDeadline(), model.config.defaultSloMs, arrival, clock)),
        );
        return runInfer(checked, req, arrival);
      },
    });
  };


  return {
    ServerLive: () => ({ live: true }),
    ServerReady: () => ({ ready: deps.ready() }),
    ModelReady: (req) => {
      // Punctual loads on demand and admission counts the load time, so a
      // registered model is ready whenever the server is. A model (or
      // version) that is not registered is not ready, as Triton answers; a
      // malformed version is still INVALID_ARGUMENT.
      const version = parseVersion(req.version);
      return { ready: isRegistered(core.registry, req.name, version) && deps.ready() };
    },
    ServerMetadata: () => ({ name: SERVER_NAME, version: SERVER_VERSION, extensions: EXTENSIONS }),
    ModelMetadata: (req): ModelMetadataResponse => v2ModelMetadata(core.registry, resolve(req.name, req.version)),
    ModelInfer: infer,
    ModelStreamInfer: streamInfer,
    ModelConfig: (req) => {
      const m = resolve(req.name, req.version);
      return { config: tritonModelConfig(m, servingExecutors(core)) };
    },
    ModelStatistics: (req): ModelStatisticsResponse => {
      const version = parseVersion(req.version);
      let models = core.registry.all();
      if (req.name !== '') {
        models = models.filter((m) => m.config.name === req.name && (version === 0 || m.config.version === version));
        if (models.length === 0) {
          throw notFound(version === 0 ? `model ${quoted(req.name)} is not registered` : `model ${quoted(req.name)} has no version ${version} registered`);
        }
      } else if (version !== 0) {
        throw invalidArgument('a version without a model name: give the name too, or neither for every model');
      }
      return { modelStats: models.map((m) => tritonStatistics(deps.statistics.snapshot(m.key))) };
    },
    RepositoryIndex: (req): RepositoryIndexResponse => ({ models: repositoryIndex(core, deps.ready(), req.ready) }),
    RepositoryModelLoad: async (req) => {
      if (Object.keys(req.parameters).length > 0) refuseLoadParameters();
      await repositoryLoad(core, resolve(req.modelName, ''), log);
      return {};
    },
    RepositoryModelUnload: (req) => {
      repositoryUnload(core, resolve(req.modelName, ''), log);
      return {};
    },
  };
}
