// The early check in front of grpc-js, on a real server on port 0 with a
// real serving core (its one executor a fake worker connection): what it
// answers itself, what it hands on, and what it must survive.
import http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../common/clock.js';
import { ecosystemProtos } from '../common/ecosystem-protos.js';
import { createLogger } from '../common/log.js';
import { CHANNEL_OPTIONS, createServer, hasStreamGate } from '../common/protos.js';
import type { ControllerMessage } from '../common/wire.js';
import type { ModelInferRequest } from '../protos/generated/inference/ModelInferRequest.js';
import { ARRIVAL_KEY } from './arrival.js';
import { Authorizer } from './auth.js';
import { earlyAdmission } from './early-admission.js';
import { Estimates } from './scheduler/estimates.js';
import { ModelRegistry } from './model-registry.js';
import { ServingCore } from './serving-core.js';
import type { WorkerConnection } from './worker-connection.js';

const METHOD = '/inference.GRPCInferenceService/ModelInfer';

function request(timeoutUs: number | undefined, model = 'm'): Buffer {
  const req: ModelInferRequest = {
    modelName: model,
    inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2] }],
    rawInputContents: [Buffer.alloc(8)],
    ...(timeoutUs !== undefined ? { parameters: { timeout: { int64Param: timeoutUs } } } : {}),
  };
  return ecosystemProtos().oip.inference.GRPCInferenceService.service.ModelInfer.requestSerialize(req);
}

describe('earlyAdmission', () => {
  let server: grpc.Server;
  let client: grpc.Client;
  let core: ServingCore;
  let address = '';
  /** What the ModelInfer handler saw: the arrival stamp on each call it got. */
  let handled: string[] = [];
  const clock = new ManualClock(1000);

  beforeEach(async () => {
    const registry = new ModelRegistry();
    registry.add({
      key: 'm@1',
      config: { name: 'm', version: 1, inputs: [{ name: 'x', dtype: 'float32', shape: [2] }], outputs: [], maxBatch: 1, batchSizes: [1], defaultSloMs: 5000 },
      dir: '',
      file: '',
      size: 0,
      sha256: '',
    });
    core = new ServingCore({ clock, registry, estimates: new Estimates({ unknownExecMs: 10, unknownLoadMs: 50, clock }), log: createLogger('test', 'silent') });
    core.addModel(registry.get('m@1')!);
    const conn = {
      id: 'w1',
      name: 'w1',
      closed: false,
      draining: false,
      unresponsive: false,
      adopted: [],
      executors: [{ index: 0, device: 'cpu', threads: 1, memoryBytes: 1e9 }],
      send: (_m: ControllerMessage) => undefined,
      toWorker: (t: number) => t,
      toController: (t: number) => t,
      close: () => undefined,
    } as unknown as WorkerConnection;
    core.addWorker(conn);
    handled = [];
    server = createServer({}, earlyAdmission({ core, auth: new Authorizer({}), clock }));
    expect(hasStreamGate(server)).toBe(true);
    server.addService(ecosystemProtos().oip.inference.GRPCInferenceService.service, {
      ModelInfer: (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        handled.push(String(call.metadata.get(ARRIVAL_KEY)[0]));
        cb({ code: grpc.status.UNAVAILABLE, details: 'handled' });
      },
    });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    address = `127.0.0.1:${port}`;
    client = new grpc.Client(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
  });

  afterEach(() => {
    client.close();
    server.forceShutdown();
    core.close();
  });

  const send = (body: Buffer, md = new grpc.Metadata()): Promise<grpc.ServiceError | null> =>
    new Promise((resolve) => client.makeUnaryRequest(METHOD, (b: Buffer) => b, (b: Buffer) => b, body, md, { deadline: Date.now() + 10_000 }, (err) => resolve(err)));

  it('answers a request admission would reject from its first bytes: the handler never runs', async () => {
    // The lone executor loads m in 50 ms and runs it in 10: a 1 ms timeout cannot be met.
    const err = await send(request(1000));
    expect(err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(err?.details).toMatch(/^model m: slo_unattainable: predicted [\d.]+ ms > slo 1 ms/);
    expect(err?.metadata.get('punctual-reason')).toEqual(['slo_unattainable']);
    expect(handled).toEqual([]);
    expect(core.stats.rejected).toBe(1);
  });

  it('hands on what it would admit or cannot judge, stamped with its arrival (a client-sent stamp is overwritten)', async () => {
    const md = new grpc.Metadata();
    md.set(ARRIVAL_KEY, '1');
    expect((await send(request(5_000_000), md))?.details).toBe('handled');
    expect((await send(request(1000, 'unknown')))?.details).toBe('handled');
    expect((await send(request(1000, '')))?.details).toBe('handled');
    // Bytes that are not a message at all reach grpc-js, which cannot decode them (this bare server has no checkedDecoding).
    expect((await send(Buffer.from([0xff, 0x01])))?.details).toBe('Error deserializing request');
    expect(handled).toEqual(['1000', '1000', '1000']);
    expect(core.stats.rejected).toBe(0);
  });

  it('leaves to the handler what the handler refuses itself: no batch axis, a priority level (INVALID_ARGUMENT there, not RESOURCE_EXHAUSTED here)', async () => {
    const serialize = ecosystemProtos().oip.inference.GRPCInferenceService.service.ModelInfer.requestSerialize;
    const noAxis: ModelInferRequest = { modelName: 'm', inputs: [{ name: 'x', datatype: 'FP32', shape: [2] }], rawInputContents: [Buffer.alloc(8)], parameters: { timeout: { int64Param: 1000 } } };
    const priority: ModelInferRequest = { ...noAxis, inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2] }], parameters: { timeout: { int64Param: 1000 }, priority: { uint64Param: 1 } } };
    expect((await send(serialize(noAxis)))?.details).toBe('handled');
    expect((await send(serialize(priority)))?.details).toBe('handled');
    expect(core.stats.rejected).toBe(0);
  });

  it('frees every stream it answers, small requests and ones still sending their tensor', async () => {
    // The same check, each stream it is handed recorded.
    const streams: http2.ServerHttp2Stream[] = [];
    const gate = earlyAdmission({ core, auth: new Authorizer({}), clock });
    const recording = createServer({}, (stream, headers, pass) => {
      streams.push(stream);
      gate(stream, headers, pass);
    });
    recording.addService(ecosystemProtos().oip.inference.GRPCInferenceService.service, { ModelInfer: (_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb({ code: grpc.status.UNAVAILABLE }) });
    const port = await new Promise<number>((resolve, reject) => recording.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    const other = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
    try {
      const serialize = ecosystemProtos().oip.inference.GRPCInferenceService.service.ModelInfer.requestSerialize;
      // 2 MiB of tensor: far more than arrives with the first bytes.
      const large = serialize({ modelName: 'm', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2] }], rawInputContents: [Buffer.alloc(2 * 1024 * 1024)], parameters: { timeout: { int64Param: 1000 } } });
      const errs = await Promise.all(
        [...Array.from({ length: 10 }, () => request(1000)), ...Array.from({ length: 10 }, () => large)].map(
          (body) => new Promise<grpc.ServiceError | null>((resolve) => other.makeUnaryRequest(METHOD, (b: Buffer) => b, (b: Buffer) => b, body, new grpc.Metadata(), { deadline: Date.now() + 10_000 }, (err) => resolve(err))),
        ),
      );
      expect(errs.map((e) => e?.code)).toEqual(new Array(20).fill(grpc.status.RESOURCE_EXHAUSTED));
      expect(streams).toHaveLength(20);
      for (let i = 0; i < 100 && streams.some((s) => !s.destroyed); i++) await new Promise((r) => setTimeout(r, 20));
      expect(streams.filter((s) => !s.destroyed)).toHaveLength(0);
    } finally {
      other.close();
      recording.forceShutdown();
    }
  });

  it('survives a client that resets its stream before sending any data, and one that sends none at all', async () => {
    const session = http2.connect(`http://${address}`);
    const reset = session.request({ ':method': 'POST', ':path': METHOD, 'content-type': 'application/grpc', te: 'trailers' }, { endStream: false });
    reset.on('error', () => undefined);
    reset.close(http2.constants.NGHTTP2_PROTOCOL_ERROR);
    const empty = session.request({ ':method': 'POST', ':path': METHOD, 'content-type': 'application/grpc', te: 'trailers' }, { endStream: true });
    const status = await new Promise<string>((resolve) => {
      let s = '';
      empty.on('response', (h) => (s = String(h['grpc-status'] ?? s)));
      empty.on('trailers', (h) => (s = String(h['grpc-status'] ?? s)));
      empty.on('close', () => resolve(s));
      empty.on('data', () => undefined);
    });
    session.close();
    // The request without a body went on to grpc-js, which answered it (a unary call needs its message).
    expect(status).toBe(String(grpc.status.UNIMPLEMENTED));
    // Still serving.
    expect((await send(request(1000)))?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  });
});
