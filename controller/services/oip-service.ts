// inference.GRPCInferenceService — the Open Inference Protocol (KServe V2)
// on the controller's port, so Triton and KServe clients work unchanged and
// get Punctual's admission and SLO scheduling. Requests go through the same
// validation (validateInputs) and ServingCore.submit as punctual.v1.Infer.
//
//  SLO: parameter "timeout" (int64 µs, as Triton), else the gRPC deadline,
//  else the model's default. Batch n > 1: split into n requests, each
//  admitted and scheduled on its own, answered together (all or the first error).
//  Repository extension: Index lists the registry; Load warms the model on
//  executors where it fits; Unload unloads it from executors where it is idle
//  (it stays registered and loads again on demand). Registering new models
//  is punctual.v1.Admin's job, so Load of an unknown name is NOT_FOUND.
import type * as grpc from '@grpc/grpc-js';
import type { Clock } from '../../common/clock.js';
import { invalidArgument, PunctualError, Status, toServiceError, unavailable } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { MAX_SLO_MS } from '../../common/model-config.js';
import { validateInputs, type WireTensor } from '../../common/tensor.js';
import type { GRPCInferenceServiceHandlers } from '../../protos/generated/inference/GRPCInferenceService.js';
import type { InferParameter__Output } from '../../protos/generated/inference/InferParameter.js';
import type { ModelInferRequest__Output } from '../../protos/generated/inference/ModelInferRequest.js';
import type { ModelInferResponse } from '../../protos/generated/inference/ModelInferResponse.js';
import type { ModelMetadataResponse } from '../../protos/generated/inference/ModelMetadataResponse.js';
import type { RepositoryIndexResponse } from '../../protos/generated/inference/RepositoryIndexResponse.js';
import type { ServedModel } from '../model-registry.js';
import type { ServingCore } from '../serving-core.js';
import { bytesToContents, contentsToBytes, joinItems, punctualDtype, splitItems, v2Datatype } from '../oip/tensors.js';

export const SERVER_NAME = 'punctual';
export const SERVER_VERSION = '0.1.0';
export const EXTENSIONS = ['model_repository'];
/** Longest a RepositoryModelLoad waits for the load it planned, ms. */
const LOAD_WAIT_MS = 10_000;

export interface OipDeps {
  core: ServingCore;
  clock: Clock;
  log: Logger;
  /** Server readiness: a worker connected, a model servable, not draining. */
  ready: () => boolean;
}

type Unary<Req, Res> = (call: grpc.ServerUnaryCall<Req, Res>, callback: grpc.sendUnaryData<Res>) => void;

/** Wraps a handler so a thrown PunctualError becomes its status and anything else INTERNAL (logged). */
function unary<Req, Res>(log: Logger, name: string, fn: (req: Req, call: grpc.ServerUnaryCall<Req, Res>) => Res | Promise<Res>): Unary<Req, Res> {
  return (call, callback) => {
    const fail = (err: unknown): void => {
      if (!(err instanceof PunctualError)) log.error({ err, rpc: name }, `unexpected error in ${name}`);
      callback(toServiceError(err));
    };
    try {
      Promise.resolve(fn(call.request, call)).then((res) => callback(null, res), fail);
    } catch (err) {
      fail(err);
    }
  };
}

function parseVersion(version: string): number {
  if (version === '') return 0;
  const v = Number(version);
  if (!Number.isSafeInteger(v) || v < 1) throw invalidArgument(`model version must be a positive integer, got ${JSON.stringify(version)}`);
  return v;
}

/** The SLO in ms: parameter "timeout" (µs), else the gRPC deadline, else the model's default. */
export function oipSlo(parameters: Record<string, InferParameter__Output>, deadline: grpc.Deadline, defaultSloMs: number): number {
  const remaining = deadline instanceof Date ? deadline.getTime() - Date.now() : deadline === Infinity ? Infinity : deadline - Date.now();
  const p = parameters.timeout;
  if (p !== undefined) {
    const us = p.parameterChoice === 'int64Param' ? p.int64Param : p.parameterChoice === 'uint64Param' ? p.uint64Param : undefined;
    if (us === undefined) throw invalidArgument('parameter "timeout" must be an int64 number of microseconds');
    const ms = Number(us) / 1000;
    if (!(ms > 0)) throw invalidArgument(`parameter "timeout" must be positive, got ${String(us)} µs`);
    if (ms > MAX_SLO_MS) throw invalidArgument(`parameter "timeout" ${String(us)} µs is over one hour`);
    return Math.min(ms, remaining);
  }
  if (Number.isFinite(remaining)) return Math.max(0.001, remaining);
  return defaultSloMs;
}

function tensorMeta(specs: ServedModel['config']['inputs'], batched: boolean): ModelMetadataResponse['inputs'] {
  return specs.map((s) => ({ name: s.name, datatype: v2Datatype(s.dtype), shape: batched ? [-1, ...s.shape] : s.shape }));
}

function residency(core: ServingCore, key: string): { loaded: string[]; loading: boolean } {
  const loaded: string[] = [];
  let loading = false;
  for (const e of core.scheduler.executors.values()) {
    const res = e.models.get(key);
    if (res?.state === 'loaded') loaded.push(e.spec.id);
    else if (res) loading = true;
  }
  return { loaded, loading };
}

/** Inputs of a V2 request as wire tensors (raw or typed contents). */
function readInputs(model: ServedModel, req: ModelInferRequest__Output): WireTensor[] {
  const raw = req.rawInputContents;
  if (raw.length > 0 && raw.length !== req.inputs.length) {
    throw invalidArgument(`raw_input_contents has ${raw.length} entries for ${req.inputs.length} inputs; give one per input, in order`);
  }
  return req.inputs.map((t, i) => {
    const dtype = punctualDtype(t.datatype);
    const shape = t.shape.map(Number);
    const data = raw.length > 0 ? new Uint8Array(raw[i]!.buffer, raw[i]!.byteOffset, raw[i]!.byteLength) : t.contents ? contentsToBytes(t.name, dtype, shape, t.contents) : undefined;
    if (!data) throw invalidArgument(`model ${model.config.name}: input ${t.name} has neither contents nor raw_input_contents`);
    return { name: t.name, dtype, shape, data };
  });
}

export function oipService(deps: OipDeps): GRPCInferenceServiceHandlers {
  const { core, clock, log } = deps;
  const resolve = (name: string, version: string): ServedModel => core.registry.resolve(name, parseVersion(version));

  const infer = async (req: ModelInferRequest__Output, call: grpc.ServerUnaryCall<ModelInferRequest__Output, ModelInferResponse>): Promise<ModelInferResponse> => {
    const arrival = clock.now();
    const { model, slo, validated, wanted } = core.beforeAdmission(() => {
      const model = resolve(req.modelName, req.modelVersion);
      const slo = oipSlo(req.parameters, call.getDeadline(), model.config.defaultSloMs);
      const inputs = readInputs(model, req);
      const ranks = new Map(model.config.inputs.map((s) => [s.name, s.shape.length]));
      const items = splitItems(inputs, ranks);
      if (items.length > model.config.maxBatch) {
        throw invalidArgument(`model ${model.config.name}: batch of ${items.length} is over its max batch ${model.config.maxBatch}`);
      }
      const validated = items.map((item) => validateInputs(model.config.name, model.config.inputs, item));
      const wanted = req.outputs.map((o) => o.name);
      const known = model.config.outputs.map((o) => o.name);
      for (const w of wanted) {
        if (known.length > 0 && !known.includes(w)) throw invalidArgument(`model ${model.config.name}: unknown output ${JSON.stringify(w)}; outputs: ${known.join(', ')}`);
      }
      return { model, slo, validated, wanted };
    });
    // Admission happens synchronously per item: a rejection throws here.
    const answers = await Promise.all(validated.map((v) => core.submit(model, v, slo, arrival)));
    let outputs = joinItems(answers.map((a) => a.outputs.map((t) => ({ name: t.name ?? '', dtype: t.dtype ?? '', shape: (t.shape ?? []).map(Number), data: t.data as Uint8Array }))));
    if (wanted.length > 0) outputs = outputs.filter((t) => wanted.includes(t.name));
    const asRaw = req.rawInputContents.length > 0;
    return {
      modelName: model.config.name,
      modelVersion: String(model.config.version),
      id: req.id,
      outputs: outputs.map((t) => ({
        name: t.name,
        datatype: v2Datatype(t.dtype),
        shape: t.shape,
        ...(asRaw ? {} : { contents: bytesToContents(t.dtype, t.data) }),
      })),
      rawOutputContents: asRaw ? outputs.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)) : [],
    };
  };

  const waitLoaded = async (key: string): Promise<void> => {
    const until = clock.now() + LOAD_WAIT_MS;
    for (;;) {
      const r = residency(core, key);
      if (r.loaded.length > 0 || !r.loading) return;
      if (clock.now() > until) throw new PunctualError(Status.DEADLINE_EXCEEDED, `model ${key} is still loading after ${LOAD_WAIT_MS} ms`);
      await new Promise((res) => setTimeout(res, 10));
    }
  };

  return {
    ServerLive: unary(log, 'ServerLive', () => ({ live: true })),
    ServerReady: unary(log, 'ServerReady', () => ({ ready: deps.ready() })),
    ModelReady: unary(log, 'ModelReady', (req) => {
      resolve(req.name, req.version);
      // Punctual loads on demand and admission counts the load time, so a
      // registered model is ready whenever the server is.
      return { ready: deps.ready() };
    }),
    ServerMetadata: unary(log, 'ServerMetadata', () => ({ name: SERVER_NAME, version: SERVER_VERSION, extensions: EXTENSIONS })),
    ModelMetadata: unary(log, 'ModelMetadata', (req) => {
      const m = resolve(req.name, req.version);
      const batched = m.config.maxBatch > 0;
      return {
        name: m.config.name,
        versions: core.registry
          .all()
          .filter((x) => x.config.name === m.config.name)
          .map((x) => String(x.config.version)),
        platform: 'onnxruntime_onnx',
        inputs: tensorMeta(m.config.inputs, batched),
        outputs: tensorMeta(m.config.outputs, batched),
      };
    }),
    ModelInfer: unary(log, 'ModelInfer', infer),
    RepositoryIndex: unary(log, 'RepositoryIndex', (req): RepositoryIndexResponse => {
      const ready = deps.ready();
      const models = core.registry.all().map((m) => {
        const r = residency(core, m.key);
        const where = r.loaded.length > 0 ? `loaded on ${r.loaded.join(', ')}` : r.loading ? 'loading' : 'not resident; loads on demand';
        return { name: m.config.name, version: String(m.config.version), state: ready ? 'READY' : 'UNAVAILABLE', reason: ready ? where : 'no worker connected' };
      });
      return { models: req.ready ? models.filter((m) => m.state === 'READY') : models };
    }),
    RepositoryModelLoad: unary(log, 'RepositoryModelLoad', async (req) => {
      if (Object.keys(req.parameters).length > 0) {
        throw new PunctualError(Status.UNIMPLEMENTED, 'load parameters (config, file:…) are not supported: register models with punctual.v1.Admin');
      }
      const m = resolve(req.modelName, '');
      if (core.scheduler.executors.size === 0) throw unavailable('no worker connected: nothing to load the model on');
      const now = clock.now();
      for (const id of core.scheduler.executors.keys()) core.scheduler.warm(id, [m.key], now);
      core.pump();
      await waitLoaded(m.key);
      log.info({ event: 'oip_load', model: m.key, loadedOn: residency(core, m.key).loaded }, `repository load of ${m.key}`);
      return {};
    }),
    RepositoryModelUnload: unary(log, 'RepositoryModelUnload', (req) => {
      const m = resolve(req.modelName, '');
      const n = core.scheduler.unloadIdle(m.key, clock.now());
      core.pump();
      log.info({ event: 'oip_unload', model: m.key, executors: n }, `repository unload of ${m.key} from ${n} executor(s)`);
      return {};
    }),
  };
}
