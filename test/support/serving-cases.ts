// The serving tests every path to the executors runs (test/serving.e2e.test.ts:
// a controller and worker processes; test/local-path.e2e.test.ts: `punctual
// up` with its workers in its own process): outputs and SLOs across det, rec
// and cls, rejection at arrival, unknown models, bad inputs, the gRPC deadline
// as the SLO, and loading and evicting under memory pressure. Each registers
// its \`it\`s inside the caller's describe, against the caller's cluster.
import * as grpc from '@grpc/grpc-js';
import { expect, it } from 'vitest';
import { CHANNEL_OPTIONS, protos } from '../../common/protos.js';
import type { InferRequest, InferResponse__Output } from '../../common/wire.js';
import { InvalidInputError, ModelNotFoundError, PunctualClientError, SloRejectedError, type InferResult } from '../../client/index.js';
import { randomFloat32, SHAPES, type TestCluster } from './cluster.js';

/** Sends a request exactly as given (no client-side checks), for bad-input tests. */
export function rawInfer(address: string, req: InferRequest): Promise<InferResponse__Output> {
  const Inference = protos().inference.punctual.v1.Inference;
  const client = new Inference(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
  return new Promise((resolve, reject) => {
    client.Infer(req, (err, res) => {
      client.close();
      if (err) reject(err);
      else resolve(res!);
    });
  });
}

function f32bytes(n: number): Buffer {
  return Buffer.from(randomFloat32([n]).buffer);
}

/** The serving cases, against a cluster of two workers with the default repository. */
export function servingCases(get: () => TestCluster): void {
  it('serves 200 requests across det, rec and cls, each within its SLO, with correct outputs', async () => {
    const cluster = get();
    const slo: Record<string, number> = { det: 1000, rec: 1500, cls: 1000 };
    const names = ['det', 'rec', 'cls'] as const;
    const results: { model: string; r: InferResult }[] = [];
    let next = 0;
    const lane = async () => {
      while (next < 200) {
        const model = names[next++ % 3]!;
        const r = await cluster.client.infer(model, { x: randomFloat32([...SHAPES[model]]) }, { sloMs: slo[model] });
        results.push({ model, r });
      }
    };
    await Promise.all([lane(), lane(), lane(), lane()]);
    expect(results).toHaveLength(200);
    for (const { model, r } of results) {
      expect(r.timings.totalMs).toBeLessThanOrEqual(slo[model]!);
      expect(r.timings.execMs).toBeGreaterThan(0);
      expect(r.batchSize).toBeGreaterThanOrEqual(1);
    }
    const det = results.find((x) => x.model === 'det')!.r;
    const detOut = Object.values(det.outputs)[0]!;
    expect(detOut.shape).toEqual([1, 1, 224, 224]);
    const values = detOut.data as Float32Array;
    expect(Math.min(...values.subarray(0, 1000))).toBeGreaterThanOrEqual(0); // sigmoid
    expect(Math.max(...values.subarray(0, 1000))).toBeLessThanOrEqual(1);
    const cls = results.find((x) => x.model === 'cls')!.r;
    const probs = Object.values(cls.outputs)[0]!;
    expect(probs.shape).toEqual([1, 2]);
    const p = probs.data as Float32Array;
    expect(p[0]! + p[1]!).toBeCloseTo(1, 4); // softmax
    const rec = results.find((x) => x.model === 'rec')!.r;
    expect(Object.values(rec.outputs)[0]!.shape).toEqual([1, 40, 6625]);
    // Both workers took part.
    const workersUsed = new Set(results.map((x) => x.r.worker));
    expect(workersUsed.size).toBe(2);
  });

  it('rejects an infeasible SLO at arrival with RESOURCE_EXHAUSTED and the reason', async () => {
    const cluster = get();
    const err = await cluster.client.infer('det', { x: randomFloat32([...SHAPES.det]) }, { sloMs: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SloRejectedError);
    const e = err as SloRejectedError;
    expect(e.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(e.message).toMatch(/predicted [\d.]+ ms > slo 1 ms/);
  });

  it('answers an unknown model with NOT_FOUND naming the models it has', async () => {
    const cluster = get();
    const err = await rawInfer(cluster.address, { model: 'nope', inputs: [] }).catch((e: grpc.ServiceError) => e);
    expect((err as grpc.ServiceError).code).toBe(grpc.status.NOT_FOUND);
    expect((err as grpc.ServiceError).details).toMatch(/nope.*not found.*cls, det, rec/);
    const viaClient = await cluster.client.infer('nope', { x: { data: new Float32Array(1), shape: [1] } }).catch((e: unknown) => e);
    expect(viaClient).toBeInstanceOf(ModelNotFoundError);
  });

  it('answers wrong inputs with INVALID_ARGUMENT naming what was expected', async () => {
    const cluster = get();
    const n = 3 * 48 * 192;
    const cases: [string, InferRequest, RegExp][] = [
      ['wrong name', { model: 'cls', inputs: [{ name: 'y', dtype: 'float32', shape: [1, 3, 48, 192], data: f32bytes(n) }] }, /unknown input "y".*expected inputs: x/],
      ['wrong dtype', { model: 'cls', inputs: [{ name: 'x', dtype: 'int32', shape: [1, 3, 48, 192], data: f32bytes(n) }] }, /dtype int32, expected float32/],
      ['wrong shape', { model: 'cls', inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3, 48, 100], data: f32bytes(3 * 48 * 100) }] }, /shape \[1, 3, 48, 100\], expected \[1, 3, 48, 192\]/],
      ['wrong size', { model: 'cls', inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3, 48, 192], data: f32bytes(n - 1) }] }, /carries \d+ bytes, expected 110592/],
      ['missing input', { model: 'cls', inputs: [] }, /missing input "x"/],
      ['zero slo', { model: 'cls', sloMs: 0, inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3, 48, 192], data: f32bytes(n) }] }, /slo_ms must be a positive/],
      ['negative slo', { model: 'cls', sloMs: -5, inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3, 48, 192], data: f32bytes(n) }] }, /slo_ms must be a positive/],
      ['absurd slo', { model: 'cls', sloMs: 1e12, inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3, 48, 192], data: f32bytes(n) }] }, /absurd/],
    ];
    for (const [what, req, message] of cases) {
      const err = (await rawInfer(cluster.address, req).catch((e: grpc.ServiceError) => e)) as grpc.ServiceError;
      expect(err.code, what).toBe(grpc.status.INVALID_ARGUMENT);
      expect(err.details, what).toMatch(message);
    }
    const viaClient = await cluster.client
      .infer('cls', { x: { data: new Float32Array(10), shape: [1, 10] } })
      .catch((e: unknown) => e);
    expect(viaClient).toBeInstanceOf(InvalidInputError);
    // The process keeps serving everyone else.
    const ok = await cluster.client.infer('cls', { x: randomFloat32([...SHAPES.cls]) }, { sloMs: 1000 });
    expect(ok.outputs).toBeDefined();
  });

  it('takes the gRPC deadline as the SLO when none is given', async () => {
    const cluster = get();
    const err = await cluster.client.infer('rec', { x: randomFloat32([...SHAPES.rec]) }, { deadlineMs: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PunctualClientError);
    expect([grpc.status.RESOURCE_EXHAUSTED, grpc.status.DEADLINE_EXCEEDED]).toContain((err as PunctualClientError).code);
    const ok = await cluster.client.infer('rec', { x: randomFloat32([...SHAPES.rec]) }, { deadlineMs: 5000 });
    expect(ok.timings.totalMs).toBeLessThan(5000);
  });
}

/** Loading and evicting on demand, against one worker whose memory holds det or rec but not both (48 MiB). */
export function memoryPressureCases(get: () => TestCluster): void {
  it('loads and evicts models on demand and every request still succeeds', async () => {
    const cluster = get();
    const order = ['det', 'rec', 'det', 'rec', 'cls', 'det', 'rec', 'det'] as const;
    for (const model of order) {
      const r = await cluster.client.infer(model, { x: randomFloat32([...SHAPES[model]]) }, { sloMs: 5000 });
      expect(r.model).toBe(model);
    }
    const s = await cluster.client.clusterStatus();
    const e = s.workers[0]!.executors[0]!;
    expect(e.loads).toBeGreaterThanOrEqual(6);
    expect(e.unloads).toBeGreaterThanOrEqual(4);
    expect(e.memoryUsedBytes).toBeLessThanOrEqual(e.memoryBudgetBytes);
    expect(e.loaded).not.toEqual(expect.arrayContaining(['det@1', 'rec@1']));
  });
}
