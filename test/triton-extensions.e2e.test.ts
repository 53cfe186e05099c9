// Triton's extensions that tools depend on, end to end: a real controller
// and a real worker process (onnxruntime running the bundled cls model, two
// CPU executors), called over real gRPC as tritonclient, perf_analyzer or
// Model Analyzer would: ModelConfig, ModelStatistics moving by exactly the
// requests sent, and ModelStreamInfer answering every message of a stream,
// the rejected and malformed ones included, with the stream staying open.
import type * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GRPCInferenceServiceClient } from '../protos/generated/inference/GRPCInferenceService.js';
import type { ModelConfigResponse__Output } from '../protos/generated/inference/ModelConfigResponse.js';
import type { ModelInferRequest } from '../protos/generated/inference/ModelInferRequest.js';
import type { ModelInferResponse__Output } from '../protos/generated/inference/ModelInferResponse.js';
import type { ModelStatistics__Output } from '../protos/generated/inference/ModelStatistics.js';
import type { ModelStatisticsResponse__Output } from '../protos/generated/inference/ModelStatisticsResponse.js';
import type { ModelStreamInferResponse__Output } from '../protos/generated/inference/ModelStreamInferResponse.js';
import { call, oipClient, sample, scrape, v2Request } from './support/oip-client.js';
import { SHAPES, TestCluster } from './support/cluster.js';

const ITEM = SHAPES.cls; // [3, 48, 192]
/** An SLO the requests meant to be answered meet even on a busy 2-core machine (cls's default is 50 ms), µs. */
const ROOMY_US = 5_000_000;

function infer(client: GRPCInferenceServiceClient, req: ModelInferRequest): Promise<ModelInferResponse__Output> {
  return call<ModelInferResponse__Output>((cb) => client.ModelInfer(req, cb));
}

async function clsStats(client: GRPCInferenceServiceClient): Promise<ModelStatistics__Output> {
  const res = await call<ModelStatisticsResponse__Output>((cb) => client.ModelStatistics({ name: 'cls' }, cb));
  expect(res.modelStats).toHaveLength(1);
  return res.modelStats[0]!;
}

/** What moved between two snapshots of cls's statistics. */
function moved(a: ModelStatistics__Output, b: ModelStatistics__Output) {
  const s = (x: ModelStatistics__Output) => x.inferenceStats!;
  return {
    success: Number(s(b).success!.count) - Number(s(a).success!.count),
    fail: Number(s(b).fail!.count) - Number(s(a).fail!.count),
    queue: Number(s(b).queue!.count) - Number(s(a).queue!.count),
    computeInfer: Number(s(b).computeInfer!.count) - Number(s(a).computeInfer!.count),
    inferenceCount: Number(b.inferenceCount) - Number(a.inferenceCount),
  };
}

/** Opens a stream, sends `reqs`, half-closes, and collects every answer and the final status. */
function stream(client: GRPCInferenceServiceClient, reqs: ModelInferRequest[]): Promise<{ answers: ModelStreamInferResponse__Output[]; status: grpc.StatusObject }> {
  return new Promise((resolve, reject) => {
    const s = client.ModelStreamInfer();
    const answers: ModelStreamInferResponse__Output[] = [];
    let status: grpc.StatusObject | undefined;
    let ended = false;
    const done = (): void => {
      if (status && ended) resolve({ answers, status });
    };
    s.on('data', (r: ModelStreamInferResponse__Output) => answers.push(r));
    s.on('status', (st: grpc.StatusObject) => {
      status = st;
      done();
    });
    s.on('end', () => {
      ended = true;
      done();
    });
    s.on('error', reject);
    for (const r of reqs) s.write(r);
    s.end();
  });
}

const withId = (id: string, r: ModelInferRequest): ModelInferRequest => ({ ...r, id });

describe('Triton extensions (ModelConfig, ModelStatistics, ModelStreamInfer) against a real controller and worker', () => {
  let cluster: TestCluster;
  let client: GRPCInferenceServiceClient;

  beforeAll(async () => {
    cluster = await TestCluster.withDefaultRepo(['cls']);
    await cluster.startController();
    cluster.startWorker({ executors: 2 });
    await cluster.waitForWorkers(1);
    client = oipClient(cluster.address);
  });

  afterAll(async () => {
    client?.close();
    await cluster?.stop();
  });

  it('ServerMetadata lists the extensions served', async () => {
    const meta = await call<{ extensions: string[] }>((cb) => client.ServerMetadata({}, cb));
    expect(meta.extensions).toEqual(['model_repository', 'model_configuration', 'statistics']);
  });

  it('ModelConfig: a config Triton tools read, with instance groups from the executors connected', async () => {
    const res = await call<ModelConfigResponse__Output>((cb) => client.ModelConfig({ name: 'cls' }, cb));
    expect(res.config).toMatchObject({
      name: 'cls',
      platform: 'onnxruntime_onnx',
      backend: 'onnxruntime',
      versionPolicy: { all: {}, policyChoice: 'all' },
      maxBatchSize: 16,
      input: [{ name: 'x', dataType: 'TYPE_FP32', format: 'FORMAT_NONE', dims: [3, 48, 192] }],
      output: [{ name: 'softmax_0.tmp_0', dataType: 'TYPE_FP32', dims: [2] }],
      dynamicBatching: { preferredBatchSize: [1, 2, 4, 8, 16], maxQueueDelayMicroseconds: 0, priorityLevels: 0 },
      schedulingChoice: 'dynamicBatching',
      instanceGroup: [{ name: 'cls_0', kind: 'KIND_CPU', count: 2, gpus: [] }],
      defaultModelFilename: 'model.onnx',
    });
    await expect(call((cb) => client.ModelConfig({ name: 'nope' }, cb))).rejects.toMatchObject({ code: 5 }); // NOT_FOUND
  });

  it('ModelReady of an unknown model is ready: false, as Triton answers', async () => {
    expect(await call((cb) => client.ModelReady({ name: 'nope' }, cb))).toEqual({ ready: false });
    expect(await call((cb) => client.ModelReady({ name: 'cls' }, cb))).toEqual({ ready: true });
  });

  it('ModelStatistics moves by exactly the requests sent: answered, rejected, refused before admission', async () => {
    const before = await clsStats(client);
    const t0 = Date.now();
    // 4 items answered (a batch of 2 is two items, as Punctual schedules them); one with timeout 0,
    // which is "no timeout" as in Triton: its SLO is its gRPC deadline (else the model's default).
    await infer(client, v2Request('cls', ITEM, 1, ROOMY_US));
    await infer(client, v2Request('cls', ITEM, 2, ROOMY_US));
    await call<ModelInferResponse__Output>((cb) => client.ModelInfer(v2Request('cls', ITEM, 1, 0), { deadline: Date.now() + 5000 }, cb));
    // One rejected by admission (a 1 µs SLO cannot be met).
    await expect(infer(client, v2Request('cls', ITEM, 1, 1))).rejects.toMatchObject({ code: 8 });
    // Refused before admission (no batch axis; a priority level): not the model's statistics.
    const noAxis = v2Request('cls', ITEM, 1, ROOMY_US);
    noAxis.inputs![0]!.shape = [...ITEM];
    await expect(infer(client, noAxis)).rejects.toMatchObject({ code: 3, details: expect.stringMatching(/without the batch axis; expected \[n, 3, 48, 192\] with n from 1 to 16/) });
    await expect(infer(client, { ...v2Request('cls', ITEM, 1), parameters: { priority: { uint64Param: 1 } } })).rejects.toMatchObject({ code: 3, details: expect.stringMatching(/priority/) });
    const after = await clsStats(client);
    expect(moved(before, after)).toEqual({ success: 4, fail: 1, queue: 4, computeInfer: 4, inferenceCount: 4 });
    expect(Number(after.lastInference)).toBeGreaterThanOrEqual(t0);
    expect(Number(after.lastInference)).toBeLessThanOrEqual(Date.now());
    const ns = (k: 'success' | 'queue' | 'computeInput' | 'computeInfer' | 'computeOutput') => Number(after.inferenceStats![k]!.ns) - Number(before.inferenceStats![k]!.ns);
    expect(ns('computeInfer')).toBeGreaterThan(0);
    // The parts add up to the whole (each rounded to a ns).
    expect(Math.abs(ns('queue') + ns('computeInput') + ns('computeInfer') + ns('computeOutput') - ns('success'))).toBeLessThanOrEqual(16);
    // Executions: at least one, at most one per item; batch_stats count them by batch size.
    const executions = Number(after.executionCount) - Number(before.executionCount);
    expect(executions).toBeGreaterThanOrEqual(1);
    expect(executions).toBeLessThanOrEqual(4);
    const batchCount = (s: ModelStatistics__Output) => s.batchStats.reduce((n, b) => n + Number(b.computeInfer!.count), 0);
    expect(batchCount(after) - batchCount(before)).toBe(executions);
    const items = (s: ModelStatistics__Output) => s.batchStats.reduce((n, b) => n + Number(b.batchSize) * Number(b.computeInfer!.count), 0);
    expect(items(after) - items(before)).toBe(4);
    // Every model when no name is given; an unknown one is NOT_FOUND.
    const all = await call<ModelStatisticsResponse__Output>((cb) => client.ModelStatistics({}, cb));
    expect(all.modelStats.map((m) => [m.name, m.version])).toEqual([['cls', '1']]);
    await expect(call((cb) => client.ModelStatistics({ name: 'nope' }, cb))).rejects.toMatchObject({ code: 5 });
  });

  it('ModelStreamInfer answers every message, each with its id: outputs, or error_message for the rejected and malformed ones', async () => {
    const before = await clsStats(client);
    const bad = withId('bad', v2Request('cls', ITEM, 1));
    bad.inputs![0]!.datatype = 'FP64';
    const reqs = [
      withId('s1', v2Request('cls', ITEM, 1, ROOMY_US)),
      withId('rej', v2Request('cls', ITEM, 1, 1)),
      withId('s2', v2Request('cls', ITEM, 2, ROOMY_US)),
      bad,
      withId('nope', { ...v2Request('cls', ITEM, 1), modelName: 'nope' }),
      withId('s3', v2Request('cls', ITEM, 1, ROOMY_US)),
    ];
    const { answers, status } = await stream(client, reqs);
    expect(status.code).toBe(0);
    expect(answers.map((a) => a.inferResponse!.id).sort()).toEqual(['bad', 'nope', 'rej', 's1', 's2', 's3']);
    const byId = new Map(answers.map((a) => [a.inferResponse!.id, a]));
    for (const [id, batch] of [['s1', 1], ['s2', 2], ['s3', 1]] as const) {
      const a = byId.get(id)!;
      expect(a.errorMessage).toBe('');
      expect(a.inferResponse).toMatchObject({ modelName: 'cls', modelVersion: '1', outputs: [{ name: 'softmax_0.tmp_0', datatype: 'FP32', shape: [batch, 2] }] });
      expect(a.inferResponse!.rawOutputContents[0]!.byteLength).toBe(batch * 2 * 4);
    }
    const status_ = (id: string) => byId.get(id)!.inferResponse!.parameters.grpc_status?.stringParam;
    expect(byId.get('rej')!.errorMessage).toMatch(/^\[request id: rej\] model cls: slo_unattainable: predicted/);
    expect(status_('rej')).toBe('RESOURCE_EXHAUSTED');
    expect(byId.get('bad')!.errorMessage).toMatch(/^\[request id: bad\] model cls: input x has datatype FP64, expected FP32/);
    expect(status_('bad')).toBe('INVALID_ARGUMENT');
    expect(status_('nope')).toBe('NOT_FOUND');
    // Streamed requests count in the model's statistics like unary ones.
    expect(moved(before, await clsStats(client))).toEqual({ success: 4, fail: 1, queue: 4, computeInfer: 4, inferenceCount: 4 });
  });

  it('a stream the client cancels leaves nothing behind: every accepted request is settled and the next calls are served', async () => {
    const s = client.ModelStreamInfer();
    s.on('error', () => undefined); // CANCELLED, expected
    const first = new Promise<void>((resolve) => s.once('data', () => resolve()));
    for (let i = 0; i < 6; i++) s.write(withId(`c${i}`, v2Request('cls', ITEM, 1, ROOMY_US)));
    await first;
    s.cancel();
    const until = Date.now() + 10_000;
    let inFlight = -1;
    while (Date.now() < until) {
      inFlight = sample(await scrape(cluster.metricsPort), 'punctual_requests_in_flight');
      if (inFlight === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(inFlight).toBe(0);
    const { answers, status } = await stream(client, [withId('after', v2Request('cls', ITEM, 1, ROOMY_US))]);
    expect(status.code).toBe(0);
    expect(answers.map((a) => [a.inferResponse!.id, a.errorMessage])).toEqual([['after', '']]);
  });
});
