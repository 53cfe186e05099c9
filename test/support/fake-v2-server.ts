// Fake Open Inference Protocol servers for the replay targets' tests: one
// over HTTP (node:http on port 0: GET /v2/models/{m}, POST
// /v2/repository/index, POST /v2/models/{m}/infer with JSON or the
// binary-data extension) and one over gRPC (grpc-js on port 0:
// ModelMetadata, RepositoryIndex, ModelInfer). Each records what it received,
// checks every input's size against its shape (a wrong size is a 400 /
// INVALID_ARGUMENT, so a test sees it), and answers as the test says.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { ecosystemProtos } from '../../common/ecosystem-protos.js';
import { SERVER_OPTIONS } from '../../common/protos.js';
import type { ModelInferRequest__Output } from '../../protos/generated/inference/ModelInferRequest.js';
import type { ModelInferResponse } from '../../protos/generated/inference/ModelInferResponse.js';

export interface FakeModel {
  name: string;
  inputs: { name: string; datatype: string; shape: number[] }[];
}

/** One infer request as the fake saw it. */
export interface SeenInfer {
  model: string;
  inputs: { name: string; datatype: string; shape: number[]; bytes: number; values?: number }[];
  timeoutUs?: number;
  authorization?: string;
  /** HTTP: binary-data extension or JSON; gRPC: raw. */
  encoding: 'binary' | 'json' | 'raw';
  binaryOutput?: boolean;
  /** HTTP: the Punctual-Timeout-Ms header (the client's deadline, ms). */
  deadlineHeaderMs?: number;
}

/** What the fake answers to the n-th infer (0-based): outputs, or a failure. */
export type HttpAnswer =
  | { type: 'ok'; delayMs?: number }
  | { type: 'status'; status: number; body: string; headers?: Record<string, string> }
  | { type: 'raw'; headers: Record<string, string>; body: Buffer };

const BYTES: Record<string, number> = { FP32: 4, FP64: 8, FP16: 2, INT8: 1, INT16: 2, INT32: 4, INT64: 8, UINT8: 1, UINT16: 2, UINT32: 4, UINT64: 8, BOOL: 1 };

function count(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The output every ok answer carries: "y", FP32 [1, 2]. */
const Y = Float32Array.from([0.25, 0.75]);

export interface FakeV2Http {
  url: string;
  seen: SeenInfer[];
  /** How the n-th infer is answered. @default ok */
  answer: (n: number, seen: SeenInfer) => HttpAnswer;
  /** Whether POST /v2/repository/index is served. */
  index: boolean;
  close(): Promise<void>;
}

/** A certificate and key (PEM) for a TLS fake. */
export interface FakeTls {
  cert: string | Buffer;
  key: string | Buffer;
}

export async function startFakeV2Http(models: FakeModel[], tls?: FakeTls): Promise<FakeV2Http> {
  const fake: FakeV2Http = { url: '', seen: [], answer: () => ({ type: 'ok' }), index: true, close: () => Promise.resolve() };
  const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(text);
  };
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const url = req.url ?? '';
        if (req.method === 'POST' && url === '/v2/repository/index') {
          if (!fake.index) return send(res, 404, { error: 'not found' });
          return send(res, 200, models.map((m) => ({ name: m.name, version: '1', state: 'READY' })));
        }
        const meta = /^\/v2\/models\/([^/]+)$/.exec(url);
        if (req.method === 'GET' && meta) {
          const m = models.find((x) => x.name === decodeURIComponent(meta[1]!));
          if (!m) return send(res, 404, { error: `Request for unknown model: '${meta[1]}' is not found` });
          return send(res, 200, { name: m.name, versions: ['1'], platform: 'fake', inputs: m.inputs, outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 2] }] });
        }
        const infer = /^\/v2\/models\/([^/]+)\/infer$/.exec(url);
        if (req.method !== 'POST' || !infer) return send(res, 404, { error: 'no such route' });
        const m = models.find((x) => x.name === decodeURIComponent(infer[1]!));
        if (!m) return send(res, 404, { error: 'unknown model' });
        const headerLength = req.headers['inference-header-content-length'];
        const jsonEnd = headerLength !== undefined ? Number(headerLength) : body.byteLength;
        let head: { inputs: { name: string; datatype: string; shape: number[]; data?: unknown[]; parameters?: { binary_data_size?: number } }[]; parameters?: { timeout?: number; binary_data_output?: boolean } };
        try {
          head = JSON.parse(body.subarray(0, jsonEnd).toString('utf8')) as typeof head;
        } catch {
          return send(res, 400, { error: 'not JSON' });
        }
        let offset = jsonEnd;
        const seen: SeenInfer = {
          model: m.name,
          inputs: [],
          encoding: headerLength !== undefined ? 'binary' : 'json',
          ...(head.parameters?.timeout !== undefined ? { timeoutUs: head.parameters.timeout } : {}),
          ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
          ...(head.parameters?.binary_data_output !== undefined ? { binaryOutput: head.parameters.binary_data_output } : {}),
          ...(typeof req.headers['punctual-timeout-ms'] === 'string' ? { deadlineHeaderMs: Number(req.headers['punctual-timeout-ms']) } : {}),
        };
        for (const t of head.inputs) {
          const want = count(t.shape) * (BYTES[t.datatype] ?? 0);
          const size = t.parameters?.binary_data_size;
          if (size !== undefined) {
            if (size !== want) return send(res, 400, { error: `input ${t.name}: ${size} bytes for ${want}` });
            offset += size;
            seen.inputs.push({ name: t.name, datatype: t.datatype, shape: t.shape, bytes: size });
          } else {
            if (!Array.isArray(t.data) || t.data.length !== count(t.shape)) return send(res, 400, { error: `input ${t.name}: wrong data` });
            seen.inputs.push({ name: t.name, datatype: t.datatype, shape: t.shape, bytes: want, values: t.data.length });
          }
        }
        if (offset !== body.byteLength) return send(res, 400, { error: `${body.byteLength - offset} stray bytes` });
        const n = fake.seen.length;
        fake.seen.push(seen);
        const a = fake.answer(n, seen);
        if (a.type === 'status') return send(res, a.status, a.body, a.headers);
        if (a.type === 'raw') {
          res.writeHead(200, a.headers);
          return res.end(a.body);
        }
        if (a.delayMs) await new Promise((r) => setTimeout(r, a.delayMs));
        if (res.destroyed) return;
        if (seen.binaryOutput) {
          const outHead = Buffer.from(JSON.stringify({ model_name: m.name, outputs: [{ name: 'y', datatype: 'FP32', shape: [1, 2], parameters: { binary_data_size: 8 } }] }));
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(outHead.byteLength) });
          return res.end(Buffer.concat([outHead, Buffer.from(Y.buffer)]));
        }
        return send(res, 200, { model_name: m.name, outputs: [{ name: 'y', datatype: 'FP32', shape: [1, 2], data: [...Y] }] });
      })();
    });
  };
  const server = tls ? https.createServer({ cert: tls.cert, key: tls.key }, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}

/** What the gRPC fake answers to the n-th infer: outputs (raw), or a status (with a reason trailer), or a given response. */
export type GrpcAnswer =
  | { type: 'ok'; delayMs?: number }
  | { type: 'status'; code: grpc.status; details: string; reason?: string }
  | { type: 'response'; response: ModelInferResponse };

export interface FakeV2Grpc {
  address: string;
  seen: SeenInfer[];
  answer: (n: number, seen: SeenInfer) => GrpcAnswer;
  index: boolean;
  close(): Promise<void>;
}

export async function startFakeV2Grpc(models: FakeModel[], tls?: FakeTls): Promise<FakeV2Grpc> {
  const fake: FakeV2Grpc = { address: '', seen: [], answer: () => ({ type: 'ok' }), index: true, close: () => Promise.resolve() };
  const server = new grpc.Server(SERVER_OPTIONS);
  const service = ecosystemProtos().oip.inference.GRPCInferenceService.service;
  const fail = (code: grpc.status, details: string, reason?: string): Partial<grpc.ServiceError> => {
    const metadata = new grpc.Metadata();
    if (reason) metadata.set('punctual-reason', reason);
    return { code, details, metadata };
  };
  const unimplemented = (_call: unknown, cb: grpc.sendUnaryData<unknown>): void => cb(fail(grpc.status.UNIMPLEMENTED, 'not here'));
  const impl: grpc.UntypedServiceImplementation = {};
  for (const name of Object.keys(service)) impl[name] = unimplemented;
  impl.RepositoryIndex = (_call: unknown, cb: grpc.sendUnaryData<unknown>) => {
    if (!fake.index) return cb(fail(grpc.status.PERMISSION_DENIED, 'admin token needed'));
    cb(null, { models: models.map((m) => ({ name: m.name, version: '1', state: 'READY', reason: '' })) });
  };
  impl.ModelMetadata = (call: grpc.ServerUnaryCall<{ name: string }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
    const m = models.find((x) => x.name === call.request.name);
    if (!m) return cb(fail(grpc.status.NOT_FOUND, `model ${call.request.name} is not registered`, 'not_found'));
    cb(null, { name: m.name, versions: ['1'], platform: 'fake', inputs: m.inputs, outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 2] }] });
  };
  impl.ModelInfer = (call: grpc.ServerUnaryCall<ModelInferRequest__Output, ModelInferResponse>, cb: grpc.sendUnaryData<ModelInferResponse>) => {
    void (async () => {
      const req = call.request;
      const m = models.find((x) => x.name === req.modelName);
      if (!m) return cb(fail(grpc.status.NOT_FOUND, 'unknown model'));
      const auth = call.metadata.get('authorization')[0];
      const timeout = req.parameters.timeout;
      const seen: SeenInfer = {
        model: m.name,
        inputs: [],
        encoding: 'raw',
        ...(timeout?.parameterChoice === 'int64Param' ? { timeoutUs: Number(timeout.int64Param) } : {}),
        ...(typeof auth === 'string' ? { authorization: auth } : {}),
      };
      if (req.rawInputContents.length !== req.inputs.length) return cb(fail(grpc.status.INVALID_ARGUMENT, 'one raw_input_contents per input'));
      for (const [i, t] of req.inputs.entries()) {
        const shape = t.shape.map(Number);
        const want = count(shape) * (BYTES[t.datatype] ?? 0);
        const have = req.rawInputContents[i]!.byteLength;
        if (have !== want) return cb(fail(grpc.status.INVALID_ARGUMENT, `input ${t.name}: ${have} bytes for ${want}`));
        seen.inputs.push({ name: t.name, datatype: t.datatype, shape, bytes: have });
      }
      const n = fake.seen.length;
      fake.seen.push(seen);
      const a = fake.answer(n, seen);
      if (a.type === 'status') return cb(fail(a.code, a.details, a.reason));
      if (a.type === 'response') return cb(null, a.response);
      if (a.delayMs) await new Promise((r) => setTimeout(r, a.delayMs));
      if (call.cancelled) return;
      cb(null, { modelName: m.name, modelVersion: '1', outputs: [{ name: 'y', datatype: 'FP32', shape: [1, 2] }], rawOutputContents: [Buffer.from(Y.buffer)] });
    })();
  };
  server.addService(service, impl);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', tls ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) }]) : grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  fake.address = `127.0.0.1:${port}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.tryShutdown(() => resolve());
      setTimeout(() => server.forceShutdown(), 1000).unref();
    });
  return fake;
}
