// Requests that once crashed, wedged or exhausted the controller, sent to a
// real controller and worker over real gRPC: each is answered with its
// documented status and a bounded message, and the controller keeps serving
// everyone else (it is still the same process at the end, with nothing left
// queued and no unexpected error in its log).
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ecosystemProtos } from '../common/ecosystem-protos.js';
import { CHANNEL_OPTIONS, protos } from '../common/protos.js';
import type { GRPCInferenceServiceClient } from '../protos/generated/inference/GRPCInferenceService.js';
import type { ModelInferRequest } from '../protos/generated/inference/ModelInferRequest.js';
import { call, oipClient, sample, scrape, v2Request } from './support/oip-client.js';
import { randomFloat32, SHAPES, TestCluster } from './support/cluster.js';
import { statusOf } from './support/outcome.js';

const DET = SHAPES.det;

const detRequest = (batch: number, timeoutUs?: number): ModelInferRequest => v2Request('det', DET, batch, timeoutUs);

/** Sends raw bytes as the request message of a unary method; resolves with the status. */
function rawCall(address: string, method: string, body: Buffer): Promise<grpc.ServiceError | null> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
  return new Promise((resolve) => {
    client.makeUnaryRequest(method, (b: Buffer) => b, (b: Buffer) => b, body, new grpc.Metadata(), { deadline: Date.now() + 10_000 }, (err) => {
      client.close();
      resolve(err);
    });
  });
}

describe('hostile input against a real controller and worker', () => {
  let cluster: TestCluster;
  let v2: GRPCInferenceServiceClient;
  const infer = (req: ModelInferRequest) => call((cb) => v2.ModelInfer(req, { deadline: Date.now() + 20_000 }, cb));
  const code = async (p: Promise<unknown>): Promise<number> => {
    try {
      await p;
      return 0;
    } catch (err) {
      return (err as grpc.ServiceError).code;
    }
  };

  beforeAll(async () => {
    cluster = await TestCluster.withDefaultRepo(['det', 'cls']);
    await cluster.startController();
    cluster.startWorker();
    await cluster.waitForWorkers(1);
    v2 = oipClient(cluster.address);
    // det loaded and measured: its predictions are real ones.
    expect(await statusOf(cluster.client.infer('det', { x: randomFloat32([...DET]) }, { sloMs: 5000 }))).toBe('OK');
  });

  afterAll(async () => {
    v2?.close();
    await cluster?.stop();
  });

  it('a V2 batch whose whole cannot make its timeout is rejected whole: nothing of it stays queued, and the controller lives on', async () => {
    // 8 det items need ~80 ms on this CPU; 40 ms fits a few of them, never all.
    for (let i = 0; i < 5; i++) {
      const c = await code(infer(detRequest(8, 40_000)));
      expect(c).toBe(grpc.status.RESOURCE_EXHAUSTED);
    }
    // Once, admitted items stayed queued after this answer, were dropped later, and that rejection took the process down.
    await new Promise((r) => setTimeout(r, 500));
    const text = await scrape(cluster.metricsPort);
    expect(sample(text, 'punctual_requests_in_flight')).toBe(0);
    expect(sample(text, 'punctual_slo_misses_total')).toBe(0);
    expect(cluster.controllerProcess!.exitCode).toBeNull();
    expect(await code(infer(detRequest(2, 5_000_000)))).toBe(0);
  });

  it('a 28-byte request declaring a batch of 3e7 (or 2^32 and more) is INVALID_ARGUMENT at once, sized from nothing', async () => {
    for (const batch of [30_000_000, 2 ** 32 + 1, 2 ** 53 - 1]) {
      const req: ModelInferRequest = { modelName: 'cls', inputs: [{ name: 'x', datatype: 'FP32', shape: [batch, 3, 48, 192] }], rawInputContents: [Buffer.alloc(0)] };
      const err = await infer(req).then(
        () => undefined,
        (e: grpc.ServiceError) => e,
      );
      expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(err?.details).toMatch(/over its max batch 16/);
    }
    expect(cluster.controllerProcess!.exitCode).toBeNull();
  });

  it('a model name of a million characters is NOT_FOUND with a short message, and a call sharing the channel is unharmed', async () => {
    const name = 'm'.repeat(1_000_000);
    const [err, ok] = await Promise.all([
      infer({ ...detRequest(1), modelName: name }).then(
        () => undefined,
        (e: grpc.ServiceError) => e,
      ),
      infer({ ...detRequest(1, 5_000_000), modelName: 'det' }).then(() => 'OK'),
    ]);
    expect(err?.code).toBe(grpc.status.NOT_FOUND);
    expect(err!.details.length).toBeLessThan(1100);
    expect(err!.details).toContain('(1000000 characters)');
    expect(ok).toBe('OK');
    // The same on punctual.v1.
    expect(await statusOf(cluster.client.infer(name, { x: randomFloat32([...SHAPES.cls]) }, { sloMs: 1000 }))).toMatch(/NOT_FOUND|INVALID_ARGUMENT/);
  });

  it('bytes that are not a protobuf message are INVALID_ARGUMENT on both inference services, not INTERNAL', async () => {
    const garbage = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02, 0x03]);
    const v1Path = `/punctual.v1.Inference/Infer`;
    const v2Path = `/inference.GRPCInferenceService/ModelInfer`;
    expect(Object.keys(protos().inference.punctual.v1.Inference.service)).toContain('Infer');
    expect(Object.keys(ecosystemProtos().oip.inference.GRPCInferenceService.service)).toContain('ModelInfer');
    for (const path of [v1Path, v2Path]) {
      const err = await rawCall(cluster.address, path, garbage);
      expect(err?.code, path).toBe(grpc.status.INVALID_ARGUMENT);
      expect(err?.details).toMatch(/not a valid protobuf message/);
    }
  });

  it('a message over the size limit is RESOURCE_EXHAUSTED without being read whole', async () => {
    const err = await rawCall(cluster.address, '/inference.GRPCInferenceService/ModelInfer', Buffer.alloc(65 * 1024 * 1024));
    expect(err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(cluster.controllerProcess!.exitCode).toBeNull();
  });

  it('logged nothing unexpected and is still serving', async () => {
    expect(cluster.logText()).not.toMatch(/unexpected_error|FATAL|Unhandled/);
    expect(await statusOf(cluster.client.infer('cls', { x: randomFloat32([...SHAPES.cls]) }, { sloMs: 5000 }))).toBe('OK');
  });
});
