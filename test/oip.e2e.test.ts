// The Open Inference Protocol, metrics and health end to end: a real
// controller and a real worker process (onnxruntime running the bundled cls
// model), called over real gRPC exactly as a Triton/KServe client would, then
// /metrics scraped over HTTP and compared with what was sent, and readiness
// watched as the last worker leaves.
import type * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GRPCInferenceServiceClient } from '../protos/generated/inference/GRPCInferenceService.js';
import type { ModelInferRequest } from '../protos/generated/inference/ModelInferRequest.js';
import type { ModelInferResponse__Output } from '../protos/generated/inference/ModelInferResponse.js';
import type { HealthCheckResponse__Output } from '../protos/generated/grpc/health/v1/HealthCheckResponse.js';
import type { RepositoryIndexResponse__Output } from '../protos/generated/inference/RepositoryIndexResponse.js';
import { call, healthClient, healthOf, oipClient, sample, scrape } from './support/oip-client.js';
import { randomFloat32, SHAPES, TestCluster } from './support/cluster.js';

const ITEM = SHAPES.cls; // [3, 48, 192]
const ITEM_ELEMENTS = ITEM.reduce((a, b) => a * b, 1);

function infer(client: GRPCInferenceServiceClient, req: ModelInferRequest): Promise<ModelInferResponse__Output> {
  return call<ModelInferResponse__Output>((cb) => client.ModelInfer(req, cb));
}

/** A generous SLO (5 s, in µs) for the requests that test the protocol, not
 * admission: cls's registered 50 ms is within a 2-core CI machine's noise. */
const RELAXED = { timeout: { int64Param: 5_000_000 } };

function rawRequest(batch: number, timeoutUs = 5_000_000): { req: ModelInferRequest; input: Float32Array } {
  const input = randomFloat32([batch, ...ITEM]);
  const req: ModelInferRequest = {
    modelName: 'cls',
    id: `raw-${batch}`,
    inputs: [{ name: 'x', datatype: 'FP32', shape: [batch, ...ITEM] }],
    rawInputContents: [Buffer.from(input.buffer)],
    parameters: { timeout: { int64Param: timeoutUs } },
  };
  return { req, input };
}

function floats(b: Buffer): Float32Array {
  const copy = new Uint8Array(b);
  return new Float32Array(copy.buffer);
}

describe('Open Inference Protocol, metrics and health against a real controller and worker', () => {
  let cluster: TestCluster;
  let client: GRPCInferenceServiceClient;
  /** Requests (items) answered OK through ModelInfer, for the metrics check. */
  let okItems = 0;
  let rejected = 0;

  beforeAll(async () => {
    cluster = await TestCluster.withDefaultRepo(['cls']);
    await cluster.startController();
    cluster.startWorker();
    await cluster.waitForWorkers(1);
    client = oipClient(cluster.address);
  });

  afterAll(async () => {
    client?.close();
    await cluster?.stop();
  });

  it('answers ServerLive, ServerReady, ModelReady and ServerMetadata', async () => {
    expect(await call((cb) => client.ServerLive({}, cb))).toEqual({ live: true });
    expect(await call((cb) => client.ServerReady({}, cb))).toEqual({ ready: true });
    expect(await call((cb) => client.ModelReady({ name: 'cls' }, cb))).toEqual({ ready: true });
    expect(await call((cb) => client.ModelReady({ name: 'cls', version: '1' }, cb))).toEqual({ ready: true });
    // An unknown model is not ready, as Triton answers (not NOT_FOUND).
    expect(await call((cb) => client.ModelReady({ name: 'nope' }, cb))).toEqual({ ready: false });
    const meta = await call((cb) => client.ServerMetadata({}, cb));
    expect(meta).toEqual({ name: 'punctual', version: '0.1.0', extensions: ['model_repository', 'model_configuration', 'statistics'] });
  });

  it('describes a model with V2 datatypes and -1 for the batch axis', async () => {
    const meta = await call((cb) => client.ModelMetadata({ name: 'cls' }, cb));
    expect(meta).toEqual({
      name: 'cls',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3, 48, 192] }],
      outputs: [{ name: 'softmax_0.tmp_0', datatype: 'FP32', shape: [-1, 2] }],
    });
  });

  it('infers with raw_input_contents and answers raw', async () => {
    const { req } = rawRequest(1);
    const res = await infer(client, req);
    okItems += 1;
    expect(res.modelName).toBe('cls');
    expect(res.modelVersion).toBe('1');
    expect(res.id).toBe('raw-1');
    expect(res.outputs).toHaveLength(1);
    expect(res.outputs[0]).toMatchObject({ name: 'softmax_0.tmp_0', datatype: 'FP32', shape: [1, 2], contents: null });
    expect(res.rawOutputContents).toHaveLength(1);
    const probs = floats(res.rawOutputContents[0]!);
    expect(probs).toHaveLength(2);
    expect(probs[0]! + probs[1]!).toBeCloseTo(1, 4); // a softmax
  });

  it('infers with typed contents, answers raw as Triton does, and agrees with the raw answer for the same input', async () => {
    const input = randomFloat32([...ITEM]);
    const typed = await infer(client, {
      modelName: 'cls',
      parameters: RELAXED,
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, ...ITEM], contents: { fp32Contents: [...input] } }],
    });
    const raw = await infer(client, {
      modelName: 'cls',
      parameters: RELAXED,
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, ...ITEM] }],
      rawInputContents: [Buffer.from(input.buffer)],
    });
    okItems += 2;
    // tritonclient reads raw_output_contents (never fp32_contents), so typed requests are answered raw too.
    expect(typed.outputs[0]!.contents).toBeNull();
    expect(typed.rawOutputContents).toHaveLength(1);
    const values = floats(typed.rawOutputContents[0]!);
    expect(values).toHaveLength(2);
    const rawValues = floats(raw.rawOutputContents[0]!);
    expect(values[0]).toBeCloseTo(rawValues[0]!, 5);
    expect(values[1]).toBeCloseTo(rawValues[1]!, 5);
  });

  it('splits a batch of 3 into items and joins the answers along axis 0', async () => {
    const { req, input } = rawRequest(3);
    const res = await infer(client, req);
    okItems += 3;
    expect(res.outputs[0]!.shape).toEqual([3, 2]);
    const all = floats(res.rawOutputContents[0]!);
    expect(all).toHaveLength(6);
    // Item 2 alone gives the same probabilities as item 2 of the batch.
    const single = await infer(client, {
      modelName: 'cls',
      parameters: RELAXED,
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, ...ITEM] }],
      rawInputContents: [Buffer.from(input.buffer, 2 * ITEM_ELEMENTS * 4, ITEM_ELEMENTS * 4)],
    });
    okItems += 1;
    const one = floats(single.rawOutputContents[0]!);
    expect(all[4]).toBeCloseTo(one[0]!, 5);
    expect(all[5]).toBeCloseTo(one[1]!, 5);
  });

  it('reads the SLO from the timeout parameter: an infeasible one is rejected at arrival with the reason', async () => {
    const err = (await infer(client, rawRequest(1, 1).req).catch((e: unknown) => e)) as grpc.ServiceError;
    rejected += 1;
    expect(err.code).toBe(8); // RESOURCE_EXHAUSTED
    expect(err.details).toMatch(/slo_unattainable: predicted [\d.]+ ms > slo [\d.]+ ms/);
    const ok = await infer(client, rawRequest(1, 5_000_000).req);
    okItems += 1;
    expect(ok.outputs[0]!.shape).toEqual([1, 2]);
  });

  it('rejects malformed requests with INVALID_ARGUMENT naming the problem', async () => {
    const bad = rawRequest(1).req;
    bad.inputs![0]!.datatype = 'FP64';
    await expect(infer(client, bad)).rejects.toMatchObject({ code: 3, details: expect.stringMatching(/datatype FP64, expected FP32/) });
    const short = rawRequest(1).req;
    short.inputs![0]!.contents = { fp32Contents: [1, 2, 3] };
    delete short.rawInputContents;
    await expect(infer(client, short)).rejects.toMatchObject({ code: 3, details: expect.stringMatching(/contents hold 3 FP32 elements/) });
  });

  it('maps the repository extension onto the registry: index, unload from executors, load (warm) again', async () => {
    const index = async (): Promise<RepositoryIndexResponse__Output> => call((cb) => client.RepositoryIndex({}, cb));
    const before = await index();
    expect(before.models).toEqual([{ name: 'cls', version: '1', state: 'READY', reason: expect.stringMatching(/^loaded on /) }]);
    await call((cb) => client.RepositoryModelUnload({ modelName: 'cls' }, cb));
    const until = Date.now() + 10_000;
    while (!(await index()).models[0]!.reason.includes('not resident') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect((await index()).models[0]!.reason).toMatch(/not resident; loads on demand/);
    await call((cb) => client.RepositoryModelLoad({ modelName: 'cls' }, cb));
    expect((await index()).models[0]!.reason).toMatch(/^loaded on /);
    await expect(call((cb) => client.RepositoryModelLoad({ modelName: 'nope' }, cb))).rejects.toMatchObject({ code: 5 });
  });

  it('reports SERVING on grpc.health.v1 for the controller and the worker', async () => {
    const h = healthClient(cluster.address);
    expect(await healthOf(h, '')).toBe('SERVING');
    expect(await healthOf(h, 'inference.GRPCInferenceService')).toBe('SERVING');
    expect(await healthOf(h, 'punctual.v1.Inference')).toBe('SERVING');
    await expect(healthOf(h, 'no.such.Service')).rejects.toMatchObject({ code: 5 });
    h.close();
    const ports = await cluster.workerPorts.get(cluster.workers[0]!)!;
    const wh = healthClient(`127.0.0.1:${ports.healthPort}`);
    expect(await healthOf(wh, '')).toBe('SERVING');
    wh.close();
  });

  it('exposes Prometheus metrics whose counters match the traffic sent', async () => {
    const text = await scrape(cluster.metricsPort);
    const cls = { model: 'cls', version: '1' };
    expect(sample(text, 'punctual_requests_total', { ...cls, status: 'OK' })).toBe(okItems);
    expect(sample(text, 'punctual_requests_total', { ...cls, status: 'RESOURCE_EXHAUSTED' })).toBe(rejected);
    expect(sample(text, 'punctual_admission_rejections_total', { ...cls, reason: 'slo_unattainable' })).toBe(rejected);
    expect(sample(text, 'punctual_request_duration_seconds_count', cls)).toBe(okItems);
    expect(sample(text, 'punctual_queue_duration_seconds_count', cls)).toBe(okItems);
    expect(sample(text, 'punctual_slo_misses_total', cls)).toBe(0);
    // The two malformed ModelInfer requests never reached admission.
    expect(sample(text, 'punctual_requests_not_admitted_total', { status: 'INVALID_ARGUMENT' })).toBe(2);
    expect(sample(text, 'punctual_workers_connected')).toBe(1);
    expect(sample(text, 'punctual_queue_depth', cls)).toBe(0);
    expect(sample(text, 'punctual_requests_in_flight')).toBe(0);
    // Items ran in INFER actions; every action was measured and compared with its prediction.
    const actions = sample(text, 'punctual_batch_size_count', cls);
    expect(actions).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'punctual_batch_size_sum', cls)).toBe(okItems);
    expect(sample(text, 'punctual_exec_duration_seconds_count', cls)).toBe(actions);
    expect(sample(text, 'punctual_exec_prediction_ratio_count', cls)).toBe(actions);
    // Warm at join, unload, load again.
    expect(sample(text, 'punctual_model_loads_total', { ...cls, status: 'ok' })).toBe(2);
    expect(sample(text, 'punctual_model_load_duration_seconds_count', cls)).toBe(2);
    expect(sample(text, 'punctual_model_unloads_total', cls)).toBe(1);
    expect(sample(text, 'punctual_executor_memory_budget_bytes')).toBe(2 ** 30);
    expect(sample(text, 'punctual_executor_memory_used_bytes')).toBeGreaterThan(0);
    expect(sample(text, 'punctual_executor_busy_seconds_total')).toBeGreaterThan(0);

    const ports = await cluster.workerPorts.get(cluster.workers[0]!)!;
    const w = await scrape(ports.metricsPort);
    expect(sample(w, 'punctual_worker_actions_total', { type: 'INFER', status: 'OK' })).toBe(actions);
    expect(sample(w, 'punctual_worker_actions_total', { type: 'LOAD', status: 'OK' })).toBe(2);
    expect(sample(w, 'punctual_worker_actions_total', { type: 'UNLOAD', status: 'OK' })).toBe(1);
    expect(sample(w, 'punctual_worker_connected')).toBe(1);
    expect(sample(w, 'punctual_worker_model_cache_bytes')).toBeGreaterThan(0);
  });

  it('flips readiness to false when the last worker leaves (ServerReady, Health Check and Watch)', async () => {
    const h = healthClient(cluster.address);
    const watch = h.Watch({ service: '' });
    const seen: string[] = [];
    let first: () => void = () => undefined;
    const firstSeen = new Promise<void>((resolve) => (first = resolve));
    const notServing = new Promise<void>((resolve) => {
      watch.on('data', (r: HealthCheckResponse__Output) => {
        seen.push(String(r.status));
        first();
        if (r.status === 'NOT_SERVING') resolve();
      });
    });
    watch.on('error', () => undefined);
    await firstSeen;
    cluster.workers[0]!.kill('SIGTERM');
    await notServing;
    expect(seen[0]).toBe('SERVING');
    expect(seen.at(-1)).toBe('NOT_SERVING');
    expect(await call((cb) => client.ServerReady({}, cb))).toEqual({ ready: false });
    expect(await healthOf(h, '')).toBe('NOT_SERVING');
    const res = await fetch(`http://127.0.0.1:${cluster.metricsPort}/readyz`);
    expect(res.status).toBe(503);
    expect(sample(await scrape(cluster.metricsPort), 'punctual_workers_connected')).toBe(0);
    watch.cancel();
    h.close();
  });
});
