// Admission from a request's first bytes, against a real controller and
// worker: a request admission would reject is answered before its tensor is
// read (the early-rejection counter says so), with the same status, message
// and reason as ever; a request it cannot judge from there goes on to the
// handler, which decides as before; an admitted one is served.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNEL_OPTIONS, protos } from '../common/protos.js';
import type { GRPCInferenceServiceClient } from '../protos/generated/inference/GRPCInferenceService.js';
import type { ModelInferRequest } from '../protos/generated/inference/ModelInferRequest.js';
import type { InferRequest } from '../common/wire.js';
import { call, oipClient, sample, scrape, v2Request } from './support/oip-client.js';
import { randomFloat32, SHAPES, TestCluster } from './support/cluster.js';
import { outcomeOf } from './support/outcome.js';

const DET = SHAPES.det;

const v2 = (batch: number, timeoutUs?: number): ModelInferRequest => v2Request('det', DET, batch, timeoutUs);

describe('early admission against a real controller and worker', () => {
  let cluster: TestCluster;
  let client: GRPCInferenceServiceClient;
  const early = async (): Promise<number> => sample(await scrape(cluster.metricsPort), 'punctual_admission_early_rejections_total', { model: 'det' });
  const rejected = async (): Promise<number> => sample(await scrape(cluster.metricsPort), 'punctual_admission_rejections_total', { model: 'det' });
  const infer = (req: ModelInferRequest) =>
    new Promise<{ err: grpc.ServiceError | null }>((resolve) => client.ModelInfer(req, { deadline: Date.now() + 20_000 }, (err) => resolve({ err })));

  beforeAll(async () => {
    cluster = await TestCluster.withDefaultRepo(['det']);
    await cluster.startController();
    cluster.startWorker();
    await cluster.waitForWorkers(1);
    client = oipClient(cluster.address);
    await call((cb) => client.ModelInfer(v2(1, 5_000_000), cb)); // loaded and measured
  });

  afterAll(async () => {
    client?.close();
    await cluster?.stop();
  });

  it('rejects a V2 request that cannot make its timeout from its first bytes, with the usual status, message and reason', async () => {
    const [e0, r0] = [await early(), await rejected()];
    const { err } = await infer(v2(1, 1000));
    expect(err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(err?.details).toMatch(/^model det: slo_unattainable: predicted [\d.]+ ms > slo 1 ms/);
    expect(err?.metadata.get('punctual-reason')).toEqual(['slo_unattainable']);
    expect(await early()).toBe(e0 + 1);
    expect(await rejected()).toBe(r0 + 1);
  });

  it('rejects a whole V2 batch early, counting every item', async () => {
    const e0 = await early();
    const { err } = await infer(v2(8, 40_000));
    expect(err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(err?.details).toMatch(/for all 8 items/);
    expect(await early()).toBe(e0 + 8);
  });

  it('rejects a punctual.v1 request early when its SLO travels as a header (PunctualClient sends it), and in the handler when it does not', async () => {
    const e0 = await early();
    const r0 = await rejected();
    const viaClient = await outcomeOf(cluster.client.infer('det', { x: randomFloat32([...DET]) }, { sloMs: 1 }));
    expect(viaClient.status).toBe('RESOURCE_EXHAUSTED');
    expect(viaClient.message).toMatch(/slo_unattainable/);
    expect(await early()).toBe(e0 + 1);
    // The same request from a client that puts slo_ms only in the message: the handler rejects it.
    const raw = new (protos().inference.punctual.v1.Inference)(cluster.address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
    const req: InferRequest = { model: 'det', inputs: [{ name: 'x', dtype: 'float32', shape: [1, ...DET], data: Buffer.from(randomFloat32([...DET]).buffer) }], sloMs: 1 };
    const err = await new Promise<grpc.ServiceError | null>((resolve) => raw.Infer(req, (e) => resolve(e)));
    raw.close();
    expect(err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(await early()).toBe(e0 + 1);
    expect(await rejected()).toBe(r0 + 2);
  });

  it('lets through what it cannot judge or would admit: those are served or answered by the handler as before', async () => {
    const e0 = await early();
    expect((await infer(v2(1, 5_000_000))).err).toBeNull(); // admitted, served
    expect((await infer(v2(1))).err).toBeNull(); // the model's default SLO
    expect((await infer({ ...v2(1, 1000), modelName: 'nope' })).err?.code).toBe(grpc.status.NOT_FOUND);
    expect((await infer(v2(9, 1000))).err?.code).toBe(grpc.status.INVALID_ARGUMENT); // over max batch: the handler says so
    expect(await early()).toBe(e0);
  });
});
