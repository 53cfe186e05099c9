// inference.GRPCInferenceService — the Open Inference Protocol (KServe V2)
// on the controller's port, so Triton and KServe clients work unchanged and
// get Punctual's admission and SLO scheduling. Requests go through the same
// validation (validateInputs) and ServingCore.submit as punctual.v1.Infer.
//
//  SLO: parameter "timeout" (int64 µs, as Triton), else the gRPC deadline,
//  else the model's default, counted from the moment the request's headers
//  arrived (controller/arrival.ts). Every size is checked before anything is
//  allocated for it (oip/tensors.ts readV2Items). Batch n > 1: split into n
//  requests admitted as a whole (all or none), scheduled on their own,
//  answered together (all or the first error).
//  Repository extension: Index lists the registry; Load warms the model on
//  executors where it fits; Unload unloads it from executors where it is idle
//  (it stays registered and loads again on demand). Registering new models
//  is punctual.v1.Admin's job, so Load of an unknown name is NOT_FOUND.
import type * as grpc from '@grpc/grpc-js';
import type { Clock } from '../../common/clock.js';
import { invalidArgument, PunctualError, Status, unavailable } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { MAX_SLO_MS, MODEL_VERSION_RANGE, parseModelVersion } from '../../common/model-config.js';
import type { WireTensor } from '../../common/tensor.js';
import { quoted, someOf } from '../../common/bounded-text.js';
import type { GRPCInferenceServiceHandlers } from '../../protos/generated/inference/GRPCInferenceService.js';
import type { InferParameter__Output } from '../../protos/generated/inference/InferParameter.js';
import type { ModelInferRequest__Output } from '../../protos/generated/inference/ModelInferRequest.js';
import type { ModelInferResponse } from '../../protos/generated/inference/ModelInferResponse.js';
import type { ModelMetadataResponse } from '../../protos/generated/inference/ModelMetadataResponse.js';
import type { RepositoryIndexResponse } from '../../protos/generated/inference/RepositoryIndexResponse.js';
import type { ServedModel } from '../model-registry.js';
import type { ServingCore } from '../serving-core.js';
import { bytesToContents, joinItems, readV2Items, v2Datatype, type V2Input } from '../oip/tensors.js';
import { sloFromArrival } from '../arrival.js';
import { admitted, type ServiceImpl, type ServiceRoles } from './server-call.js';

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

function parseVersion(version: string): number {
  if (version === '') return 0;
  const v = parseModelVersion(version);
  if (v === undefined) throw invalidArgument(`model version must be ${MODEL_VERSION_RANGE}, got ${quoted(version)}`);
  return v;
}

/** The V2 parameter "timeout" (int64 µs, as Triton) in ms, or undefined when absent. */
export function timeoutParamMs(parameters: Record<string, InferParameter__Output>): number | undefined {
  const p = parameters.timeout;
  if (p === undefined) return undefined;
  const us = p.parameterChoice === 'int64Param' ? p.int64Param : p.parameterChoice === 'uint64Param' ? p.uint64Param : undefined;
  if (us === undefined) throw invalidArgument('parameter "timeout" must be an int64 number of microseconds');
  const ms = Number(us) / 1000;
  if (!(ms > 0)) throw invalidArgument(`parameter "timeout" must be positive, got ${String(us)} µs`);
  if (ms > MAX_SLO_MS) throw invalidArgument(`parameter "timeout" ${String(us)} µs is over one hour`);
  return ms;
}

function tensorMeta(specs: ServedModel['config']['inputs'], batched: boolean): ModelMetadataResponse['inputs'] {
  return specs.map((s) => ({ name: s.name, datatype: v2Datatype(s.dtype), shape: batched ? [-1, ...s.shape] : s.shape }));
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
  RepositoryIndex: 'admin',
  RepositoryModelLoad: 'admin',
  RepositoryModelUnload: 'admin',
};

export function oipService(deps: OipDeps): ServiceImpl<GRPCInferenceServiceHandlers> {
  const { core, clock, log } = deps;
  const resolve = (name: string, version: string): ServedModel => core.registry.resolve(name, parseVersion(version));

  const infer = admitted({
    check: (req: ModelInferRequest__Output, call: grpc.ServerUnaryCall<ModelInferRequest__Output, ModelInferResponse>, arrival) => {
      const model = resolve(req.modelName, req.modelVersion);
      if (req.id.length > MAX_ID_CHARS) throw invalidArgument(`request id is ${req.id.length} characters; at most ${MAX_ID_CHARS} are echoed back`);
      const slo = sloFromArrival(timeoutParamMs(req.parameters), call.getDeadline(), model.config.defaultSloMs, arrival, clock);
      const items = readInputs(model, req);
      const wanted = req.outputs.map((o) => o.name);
      const known = model.config.outputs.map((o) => o.name);
      for (const w of wanted) {
        if (known.length > 0 && !known.includes(w)) throw invalidArgument(`model ${model.config.name}: unknown output ${quoted(w)}; outputs: ${someOf(known)}`);
      }
      return { model, slo, items, wanted };
    },
    run: async ({ model, slo, items, wanted }, req, arrival): Promise<ModelInferResponse> => {
      // The items are admitted as a whole (a rejection throws here, and none of them is queued).
      const answers = await Promise.all(core.submitAll(model, items, slo, arrival));
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
    },
  });

  const waitLoaded = async (key: string): Promise<void> => {
    const settled = await core.until(() => {
      const r = core.view.residency(key);
      return r.loaded.length > 0 || !r.loading;
    }, LOAD_WAIT_MS);
    if (!settled) throw new PunctualError(Status.DEADLINE_EXCEEDED, `model ${key} is still loading after ${LOAD_WAIT_MS} ms`);
  };

  return {
    ServerLive: () => ({ live: true }),
    ServerReady: () => ({ ready: deps.ready() }),
    ModelReady: (req) => {
      resolve(req.name, req.version);
      // Punctual loads on demand and admission counts the load time, so a
      // registered model is ready whenever the server is.
      return { ready: deps.ready() };
    },
    ServerMetadata: () => ({ name: SERVER_NAME, version: SERVER_VERSION, extensions: EXTENSIONS }),
    ModelMetadata: (req) => {
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
    },
    ModelInfer: infer,
    RepositoryIndex: (req): RepositoryIndexResponse => {
      const ready = deps.ready();
      const models = core.registry.all().map((m) => {
        const r = core.view.residency(m.key);
        const where = r.loaded.length > 0 ? `loaded on ${r.loaded.join(', ')}` : r.loading ? 'loading' : 'not resident; loads on demand';
        return { name: m.config.name, version: String(m.config.version), state: ready ? 'READY' : 'UNAVAILABLE', reason: ready ? where : 'no worker connected' };
      });
      return { models: req.ready ? models.filter((m) => m.state === 'READY') : models };
    },
    RepositoryModelLoad: async (req) => {
      if (Object.keys(req.parameters).length > 0) {
        throw new PunctualError(Status.UNIMPLEMENTED, 'load parameters (config, file:…) are not supported: register models with punctual.v1.Admin');
      }
      const m = resolve(req.modelName, '');
      if (core.view.executorCount === 0) throw unavailable('no worker connected: nothing to load the model on');
      core.load(m.key);
      await waitLoaded(m.key);
      log.info({ event: 'oip_load', model: m.key, loadedOn: core.view.residency(m.key).loaded }, `repository load of ${m.key}`);
      return {};
    },
    RepositoryModelUnload: (req) => {
      const m = resolve(req.modelName, '');
      const n = core.unloadIdle(m.key);
      log.info({ event: 'oip_unload', model: m.key, executors: n }, `repository unload of ${m.key} from ${n} executor(s)`);
      return {};
    },
  };
}
