// The Open Inference Protocol over HTTP/REST (KServe V2, as Triton serves
// it on 8000): health, server and model metadata, inference with JSON
// tensors and the binary-data extension, and Triton's repository extension —
// the same answers as inference.GRPCInferenceService (services/oip-service.ts)
// from the same core, with the same checks (oip/tensors.ts readV2Items), the
// same tokens (its roles, OIP_ROLES) and the same admission.
//
//  SLO: parameter "timeout" (µs, as Triton; 0 means none), capped by the
//  request header Punctual-Timeout-Ms (ms the client will wait, as
//  grpc-timeout is for gRPC), else the header alone, else the model's
//  default — counted from the moment the request's headers arrived, before
//  its body was read (the onRequest hook).
//  Admission's rejections are 429 with {"error", "reason"}, the reason in a
//  Punctual-Reason header too, and Retry-After; 503 only while draining or
//  with no worker (load balancers eject a backend that answers 503).
//  Errors map from the PunctualError's gRPC status (httpStatus below).
//  Binary-data extension: the body's first Inference-Header-Content-Length
//  bytes are the JSON; then each input with parameters.binary_data_size, in
//  order, exactly filling the rest. A request that its JSON header already
//  shows admission rejecting is answered 429 before the tensor bytes are
//  read (early-rejection.ts; the same checks, answer and counting). Outputs are binary when asked
//  (outputs[i].parameters.binary_data, or the request's binary_data_output),
//  answered application/octet-stream with Inference-Header-Content-Length.
//  Triton's HTTP JSON of its extensions (model configuration, statistics):
//  the gRPC message with proto field names and 64-bit integers as numbers.
import { Metadata } from '@grpc/grpc-js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../common/clock.js';
import { capMessage, quoted } from '../../common/bounded-text.js';
import { invalidArgument, notFound, PunctualError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { sloFromArrival } from '../arrival.js';
import type { Authorizer, Role } from '../auth.js';
import type { ModelStatistics } from '../model-statistics.js';
import type { ServedModel } from '../model-registry.js';
import { isRegistered, v2ModelMetadata } from '../oip/metadata.js';
import { refuseLoadParameters, repositoryIndex, repositoryLoad, repositoryUnload, servingExecutors } from '../oip/repository.js';
import { tritonModelConfig } from '../oip/triton-config.js';
import { tritonStatistics } from '../oip/triton-statistics.js';
import { joinItems, readV2Items } from '../oip/tensors.js';
import type { ServingCore } from '../serving-core.js';
import { checkPriorityParam, OIP_ROLES, SERVER_NAME, SERVER_VERSION, timeoutParamMs } from '../services/oip-service.js';
import { earlyRejection, type RestPeek } from './early-rejection.js';
import { httpStatus, retryAfterSeconds } from './http-status.js';
import type { HttpPlugin } from './http-server.js';
import { checkEncoding, encodeAnswer, HEADER_LENGTH, jsonParameters, objectOf, own, readInputs, readOutputs, splitBody, standIn, timeoutHeaderMs, versionOf, type CheckedInfer } from './v2-body.js';

/** The request header with the client's deadline: milliseconds it will wait, from sending. */
export const TIMEOUT_HEADER = 'punctual-timeout-ms';
/** The binary-data extension's header (v2-body.ts). */
export { HEADER_LENGTH };
/** What this API really serves, as Triton names its extensions (GET /v2). */
export const HTTP_EXTENSIONS = ['binary_tensor_data', 'model_repository', 'model_configuration', 'statistics'];
/** Longest request id echoed back, characters. */
const MAX_ID_CHARS = 1024;

export interface V2RoutesDeps {
  core: ServingCore;
  clock: Clock;
  log: Logger;
  auth: Authorizer;
  /** Server readiness: a worker connected, a model servable, not draining (Ecosystem.ready). */
  ready: () => boolean;
  /** Largest body read, bytes (the controller's maxMessageBytes). */
  maxBodyBytes: number;
  /** Triton's statistics per model version, for GET /v2/models/{m}/stats; absent: the route is 404. */
  statistics?: ModelStatistics;
}

/** The request's arrival (headers), stamped by the onRequest hook. */
const arrivals = new WeakMap<FastifyRequest, number>();

/** The V2 REST routes, as a plugin for the controller's HTTP server. */
export function v2Routes(deps: V2RoutesDeps): HttpPlugin {
  const { core, clock, log, auth } = deps;
  const resolve = (name: string, version: string | undefined): ServedModel => core.registry.resolve(name, versionOf(version));

  /** Undefined when the request may go on, else its refusal (auth.ts, with OIP's roles). */
  const refusal = (req: FastifyRequest, role: Role): PunctualError | undefined => {
    const md = new Metadata();
    const a = req.headers.authorization;
    if (typeof a === 'string') md.set('authorization', a);
    return auth.check(md, role);
  };

  /** Answers a failure: its HTTP status, {"error", "reason"}, and for admission's rejections Retry-After. */
  const fail = (reply: FastifyReply, err: unknown, route: string, model?: ServedModel): FastifyReply => {
    if (!(err instanceof PunctualError)) {
      core.unexpected(`http ${route}`, err);
      return reply.code(500).send({ error: 'internal error (see controller log)' });
    }
    const status = httpStatus(err.code);
    if (err.reason) reply.header('punctual-reason', err.reason);
    if (err.trailers) for (const [k, v] of Object.entries(err.trailers)) reply.header(k, v);
    if (status === 429) reply.header('retry-after', String(retryAfterSeconds(err, model)));
    if (status === 401) reply.header('www-authenticate', 'Bearer realm="punctual"');
    return reply.code(status).send({ error: capMessage(err.message), ...(err.reason ? { reason: err.reason } : {}) });
  };

  type Params = { m?: string; v?: string };
  type Handler = (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => unknown;
  /** A route through auth and error mapping; `method` names its gRPC twin (its role). */
  const route = (method: keyof typeof OIP_ROLES, handler: Handler): Handler => {
    const role = OIP_ROLES[method];
    return async (req, reply) => {
      const refused = refusal(req, role);
      if (refused) return fail(reply, refused, method);
      try {
        return await handler(req, reply);
      } catch (err) {
        return fail(reply, err, method);
      }
    };
  };

  const modelReady = (m: string, v: string | undefined): boolean => {
    const version = versionOf(v);
    return isRegistered(core.registry, m, version) && deps.ready();
  };

  const metadata = (m: string, v: string | undefined) => v2ModelMetadata(core.registry, resolve(m, v));

  /** Everything checked before admission: the body, the model, parameters, inputs, outputs, the SLO. */
  const checkInfer = (req: FastifyRequest<{ Params: Params }>, arrival: number): CheckedInfer => {
    checkEncoding(req);
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const { json, binary } = splitBody(body, req.headers[HEADER_LENGTH]);
    return checkRequest(req, arrival, json, binary);
  };

  /** The checks of a request's JSON (parsed) and its binary part, after the body's framing. */
  const checkRequest = (req: FastifyRequest<{ Params: Params }>, arrival: number, json: unknown, binary: Buffer): CheckedInfer => {
    const r = objectOf(json, 'the request');
    const model = resolve(req.params.m ?? '', req.params.v);
    const rawId = own(r, 'id');
    if (rawId !== undefined && typeof rawId !== 'string') throw invalidArgument('"id" must be a string');
    if (rawId !== undefined && rawId.length > MAX_ID_CHARS) throw invalidArgument(`request id is ${rawId.length} characters; at most ${MAX_ID_CHARS} are echoed back`);
    const params = jsonParameters(own(r, 'parameters'), '"parameters"');
    checkPriorityParam(params);
    const binaryOut = params.binary_data_output;
    if (binaryOut !== undefined && binaryOut.parameterChoice !== 'boolParam') throw invalidArgument('parameter "binary_data_output" must be true or false');
    const binaryAll = binaryOut?.boolParam === true;
    const ownSlo = timeoutParamMs(params);
    const headerMs = timeoutHeaderMs(req.headers[TIMEOUT_HEADER]);
    // The header's budget as an absolute deadline from the arrival, as grpc-js computes grpc-timeout's.
    const deadline = headerMs === undefined ? Infinity : Date.now() - (clock.now() - arrival) + headerMs;
    const slo = sloFromArrival(ownSlo, deadline, model.config.defaultSloMs, arrival, clock);
    const inputs = readInputs(model, own(r, 'inputs'), binary);
    const items = readV2Items(model.config.name, model.config.inputs, model.config.maxBatch, inputs);
    const wanted = readOutputs(model, own(r, 'outputs'), binaryAll);
    return { model, id: rawId, slo, items, wanted, binaryAll };
  };


  /**
   * Before the body (early-rejection.ts): the binary-data extension's JSON
   * header through the same checks as checkInfer, with a stand-in of the
   * binary part's length (checked by length only, never read), then
   * admission's early verdict. Answers 429 and returns true only when the
   * normal path would answer the same: any check that throws, or admission
   * that would take the request, leaves it to the normal path.
   */
  const rejectBeforeBody = (req: FastifyRequest, reply: FastifyReply, peek: RestPeek): boolean => {
    if (core.draining || refusal(req, OIP_ROLES.ModelInfer)) return false;
    const arrival = arrivals.get(req);
    if (arrival === undefined) return false;
    let checked: CheckedInfer;
    try {
      checkEncoding(req);
      const binary = standIn(peek.binaryBytes);
      if (!binary) return false;
      checked = checkRequest(req as FastifyRequest<{ Params: Params }>, arrival, JSON.parse(peek.header.toString('utf8')), binary);
    } catch {
      return false;
    }
    const err = core.rejectEarly(checked.model, checked.items.length, checked.slo, arrival);
    if (!err) return false;
    fail(reply, err, 'ModelInfer', checked.model);
    return true;
  };

  /** A repository request's body: absent, empty, or a JSON object. */
  const bodyObject = (req: FastifyRequest): Record<string, unknown> => {
    const b = Buffer.isBuffer(req.body) ? req.body : undefined;
    if (!b || b.byteLength === 0) return {};
    return objectOf(splitBody(b, undefined).json, 'the request');
  };

  return (app: FastifyInstance) => {
    // Every body arrives as bytes, whatever its content type (tritonclient sends binary
    // requests without one); this context's routes parse it themselves.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.maxBodyBytes }, (_req, body, done) => done(null, body));
    app.addHook('onRequest', (req, _reply, done) => {
      arrivals.set(req, clock.now());
      done();
    });

    app.get('/v2/health/live', route('ServerLive', (_req, reply) => reply.code(200).send()));
    app.get('/v2/health/ready', route('ServerReady', (_req, reply) => reply.code(deps.ready() ? 200 : 400).send()));
    const ready: Handler = (req, reply) => reply.code(modelReady(req.params.m ?? '', req.params.v) ? 200 : 400).send();
    app.get('/v2/models/:m/ready', route('ModelReady', ready));
    app.get('/v2/models/:m/versions/:v/ready', route('ModelReady', ready));
    app.get('/v2', route('ServerMetadata', () => ({ name: SERVER_NAME, version: SERVER_VERSION, extensions: deps.statistics ? HTTP_EXTENSIONS : HTTP_EXTENSIONS.filter((e) => e !== 'statistics') })));
    const meta: Handler = (req) => metadata(req.params.m ?? '', req.params.v);
    app.get('/v2/models/:m', route('ModelMetadata', meta));
    app.get('/v2/models/:m/versions/:v', route('ModelMetadata', meta));
    // Triton's model configuration extension: what perf_analyzer -i http reads first (oip/triton-config.ts).
    const config: Handler = (req) => {
      const m = resolve(req.params.m ?? '', req.params.v);
      return tritonJson(tritonModelConfig(m, servingExecutors(core)));
    };
    app.get('/v2/models/:m/config', route('ModelConfig', config));
    app.get('/v2/models/:m/versions/:v/config', route('ModelConfig', config));

    const infer: Handler = async (req, reply) => {
      const arrival = arrivals.get(req) ?? clock.now();
      core.noteIntake(arrival);
      let model: ServedModel | undefined;
      try {
        const checked = core.beforeAdmission(() => checkInfer(req, arrival));
        model = checked.model;
        const answers = await Promise.all(core.submitAll(checked.model, checked.items, checked.slo, arrival));
        const outputs = joinItems(answers.map((a) => a.outputs.map((t) => ({ name: t.name ?? '', dtype: t.dtype ?? '', shape: (t.shape ?? []).map(Number), data: t.data as Uint8Array }))));
        const { body, headers } = encodeAnswer(checked, outputs);
        return reply.code(200).headers(headers).send(body);
      } catch (err) {
        return fail(reply, err, 'ModelInfer', model);
      }
    };
    const preParsing = earlyRejection(rejectBeforeBody, { bodyLimit: deps.maxBodyBytes });
    app.post<{ Params: Params }>('/v2/models/:m/infer', { preParsing }, route('ModelInfer', infer));
    app.post<{ Params: Params }>('/v2/models/:m/versions/:v/infer', { preParsing }, route('ModelInfer', infer));

    if (deps.statistics) {
      const statistics = deps.statistics;
      const stats: Handler = (req) => {
        const name = req.params.m;
        const version = versionOf(req.params.v);
        let models = core.registry.all();
        if (name !== undefined) {
          models = models.filter((m) => m.config.name === name && (version === 0 || m.config.version === version));
          if (models.length === 0) throw notFound(version === 0 ? `model ${quoted(name)} is not registered` : `model ${quoted(name)} has no version ${version} registered`);
        }
        return { model_stats: models.map((m) => tritonJson(tritonStatistics(statistics.snapshot(m.key)))) };
      };
      app.get('/v2/models/stats', route('ModelStatistics', stats));
      app.get('/v2/models/:m/stats', route('ModelStatistics', stats));
      app.get('/v2/models/:m/versions/:v/stats', route('ModelStatistics', stats));
    }

    app.post(
      '/v2/repository/index',
      route('RepositoryIndex', (req) => {
        const b = bodyObject(req);
        const readyOnly = own(b, 'ready');
        if (readyOnly !== undefined && typeof readyOnly !== 'boolean') throw invalidArgument('"ready" must be true or false');
        return repositoryIndex(core, deps.ready(), readyOnly === true);
      }),
    );
    app.post(
      '/v2/repository/models/:m/load',
      route('RepositoryModelLoad', async (req, reply) => {
        const b = bodyObject(req);
        const p = own(b, 'parameters');
        if (p !== undefined && Object.keys(objectOf(p, '"parameters"')).length > 0) refuseLoadParameters();
        await repositoryLoad(core, resolve(req.params.m ?? '', undefined), log, 'http');
        return reply.code(200).send();
      }),
    );
    app.post(
      '/v2/repository/models/:m/unload',
      route('RepositoryModelUnload', (req, reply) => {
        bodyObject(req);
        repositoryUnload(core, resolve(req.params.m ?? '', undefined), log, 'http');
        return reply.code(200).send();
      }),
    );
  };
}

/** A Triton gRPC message (proto-loader's camelCase) as Triton's HTTP JSON: proto field names (snake_case), 64-bit integers as numbers. */
export function tritonJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(tritonJson);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), k === 'name' || k === 'version' ? x : tritonJson(x)]));
  }
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return v;
}

