// V2 REST end to end: a real controller and a real worker process
// (onnxruntime running the bundled cls and det models), called over real
// HTTP as curl or tritonclient.http would: health, metadata, and inference
// with JSON tensors and with the binary-data extension, each answer matching
// the gRPC V2 answer for the same input; a timeout that cannot be made is 429
// with Retry-After and counted as a rejection in /metrics, as gRPC's
// RESOURCE_EXHAUSTED is; a malformed body is a 400 counted as not admitted;
// a body announced past the limit is a 413 before it is read.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GRPCInferenceServiceClient } from '../protos/generated/inference/GRPCInferenceService.js';
import type { ModelInferResponse__Output } from '../protos/generated/inference/ModelInferResponse.js';
import type { ModelMetadataResponse__Output } from '../protos/generated/inference/ModelMetadataResponse.js';
import { call, oipClient, sample, scrape } from './support/oip-client.js';
import { randomFloat32, SHAPES, TestCluster } from './support/cluster.js';

interface JsonOutput {
  name: string;
  datatype: string;
  shape: number[];
  data?: number[];
  parameters?: { binary_data_size?: number };
}
interface JsonAnswer {
  model_name: string;
  model_version: string;
  outputs: JsonOutput[];
}

/** An SLO no request here should miss on a busy machine (the first ones wait for det's load), µs. */
const ROOMY_US = 10_000_000;

const floats = (b: Uint8Array): Float32Array => new Float32Array(new Uint8Array(b).buffer);

/** Every element equal to within float32 noise (the same onnxruntime; batches may differ). */
function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length, what).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / Math.max(1, Math.abs(want[i]!)));
  expect(worst, what).toBeLessThan(1e-5);
}

describe('V2 REST against a real controller and worker', () => {
  let cluster: TestCluster;
  let grpcClient: GRPCInferenceServiceClient;
  let base: string;

  beforeAll(async () => {
    cluster = await TestCluster.withDefaultRepo(['cls', 'det']);
    await cluster.startController();
    cluster.startWorker({ memory: '2GiB' });
    await cluster.waitForWorkers(1);
    grpcClient = oipClient(cluster.address);
    base = `http://127.0.0.1:${cluster.httpPort}`;
    expect(cluster.httpPort).toBeGreaterThan(0);
  });

  afterAll(async () => {
    grpcClient?.close();
    await cluster?.stop();
  });

  it('health, readiness, server and model metadata (the same as gRPC)', async () => {
    expect((await fetch(`${base}/v2/health/live`)).status).toBe(200);
    expect((await fetch(`${base}/v2/health/ready`)).status).toBe(200);
    expect((await fetch(`${base}/v2/models/cls/ready`)).status).toBe(200);
    expect((await fetch(`${base}/v2/models/nope/ready`)).status).toBe(400);
    expect(await (await fetch(`${base}/v2`)).json()).toMatchObject({ name: 'punctual', extensions: expect.arrayContaining(['binary_tensor_data', 'model_repository']) });
    for (const model of ['cls', 'det']) {
      const rest = await (await fetch(`${base}/v2/models/${model}`)).json();
      const grpc = await call<ModelMetadataResponse__Output>((cb) => grpcClient.ModelMetadata({ name: model }, cb));
      expect(rest).toEqual({ ...grpc, inputs: grpc.inputs.map((t) => ({ ...t, shape: t.shape.map(Number) })), outputs: grpc.outputs.map((t) => ({ ...t, shape: t.shape.map(Number) })) });
    }
    const index = (await (await fetch(`${base}/v2/repository/index`, { method: 'POST' })).json()) as { name: string }[];
    expect(index.map((m) => m.name).sort()).toEqual(['cls', 'det']);
  });

  for (const model of ['cls', 'det'] as const) {
    it(`${model}: JSON and binary answers match gRPC's for the same input`, async () => {
      const item = SHAPES[model];
      const x = randomFloat32([1, ...item]);
      const shape = [1, ...item];
      const grpc = await call<ModelInferResponse__Output>((cb) =>
        grpcClient.ModelInfer({ modelName: model, inputs: [{ name: 'x', datatype: 'FP32', shape }], rawInputContents: [Buffer.from(x.buffer)], parameters: { timeout: { int64Param: ROOMY_US } } }, cb),
      );
      expect(grpc.outputs.length).toBeGreaterThan(0);

      // JSON in, JSON out.
      const jr = await fetch(`${base}/v2/models/${model}/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'j', inputs: [{ name: 'x', datatype: 'FP32', shape, data: Array.from(x) }], parameters: { timeout: ROOMY_US } }),
      });
      expect(jr.status).toBe(200);
      const j = (await jr.json()) as JsonAnswer & { id: string };
      expect(j).toMatchObject({ model_name: model, model_version: '1', id: 'j' });
      expect(j.outputs.map((o) => [o.name, o.datatype, o.shape])).toEqual(grpc.outputs.map((o) => [o.name, o.datatype, o.shape.map(Number)]));
      grpc.outputs.forEach((o, k) => expectClose(j.outputs[k]!.data!, floats(grpc.rawOutputContents[k]!), `${model} JSON ${o.name}`));

      // The binary-data extension both ways.
      const head = Buffer.from(JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape, parameters: { binary_data_size: x.byteLength } }], parameters: { binary_data_output: true, timeout: ROOMY_US } }));
      const br = await fetch(`${base}/v2/models/${model}/infer`, {
        method: 'POST',
        headers: { 'inference-header-content-length': String(head.byteLength), 'content-type': 'application/octet-stream' },
        body: Buffer.concat([head, Buffer.from(x.buffer)]),
      });
      expect(br.status).toBe(200);
      expect(br.headers.get('content-type')).toBe('application/octet-stream');
      const body = new Uint8Array(await br.arrayBuffer());
      const n = Number(br.headers.get('inference-header-content-length'));
      const b = JSON.parse(Buffer.from(body.subarray(0, n)).toString()) as JsonAnswer;
      let at = n;
      grpc.outputs.forEach((o, k) => {
        const size = b.outputs[k]!.parameters!.binary_data_size!;
        expectClose(floats(body.subarray(at, at + size)), floats(grpc.rawOutputContents[k]!), `${model} binary ${o.name}`);
        at += size;
      });
      expect(at).toBe(body.byteLength);
    });
  }

  it('cls: a batch of 2 as nested JSON is answered as [2, ...]', async () => {
    const x = [randomFloat32([...SHAPES.cls]), randomFloat32([...SHAPES.cls])];
    const r = await fetch(`${base}/v2/models/cls/infer`, { method: 'POST', body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [2, ...SHAPES.cls], data: x.map((a) => Array.from(a)) }], parameters: { timeout: ROOMY_US } }) });
    expect(r.status).toBe(200);
    const j = (await r.json()) as JsonAnswer;
    expect(j.outputs[0]!.shape[0]).toBe(2);
  });

  it('a timeout that cannot be made is 429 with Retry-After, counted as a rejection; a malformed body is 400, counted as not admitted', async () => {
    const before = await scrape(cluster.metricsPort);
    const x = randomFloat32([1, ...SHAPES.cls]);
    const r = await fetch(`${base}/v2/models/cls/infer`, {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, ...SHAPES.cls], data: Array.from(x) }], parameters: { timeout: 1 } }),
    });
    expect(r.status).toBe(429);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(r.headers.get('punctual-reason')).toBe('slo_unattainable');
    expect(await r.json()).toMatchObject({ error: expect.stringMatching(/slo_unattainable/), reason: 'slo_unattainable' });
    const bad = await fetch(`${base}/v2/models/cls/infer`, { method: 'POST', body: '{"inputs": [' });
    expect(bad.status).toBe(400);
    const after = await scrape(cluster.metricsPort);
    const delta = (name: string, labels: Record<string, string>) => sample(after, name, labels) - sample(before, name, labels);
    expect(delta('punctual_admission_rejections_total', { model: 'cls', reason: 'slo_unattainable' })).toBe(1);
    expect(delta('punctual_requests_not_admitted_total', { status: 'INVALID_ARGUMENT' })).toBe(1);
    // And it keeps serving.
    expect((await fetch(`${base}/v2/health/ready`)).status).toBe(200);
  });

  it('a body announced past --max-message-bytes is 413 before it is read; the process keeps serving', async () => {
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${base}/v2/models/det/infer`, { method: 'POST', headers: { 'content-length': String(1024 * 2 ** 20), 'content-type': 'application/octet-stream' } }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      // A few bytes of the gigabyte announced; the answer must not wait for the rest.
      req.write(Buffer.alloc(1024));
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ error: expect.any(String) });
    expect((await fetch(`${base}/v2/health/ready`)).status).toBe(200);
  });
});
