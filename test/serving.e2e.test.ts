// End to end: a real controller and real worker processes over real gRPC,
// running the bundled PaddleOCR models with onnxruntime.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PunctualClientError, UnavailableError } from '../client/index.js';
import { randomFloat32, SHAPES, TestCluster } from './support/cluster.js';
import { memoryPressureCases, servingCases } from './support/serving-cases.js';

describe('a controller with two workers', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.withDefaultRepo();
    await cluster.startController();
    cluster.startWorker();
    cluster.startWorker();
    await cluster.waitForWorkers(2);
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  servingCases(() => cluster);
});

describe('memory pressure', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.withDefaultRepo();
    await cluster.startController();
    // det (~41 MiB) and rec (~20 MiB) do not fit together in 48 MiB.
    cluster.startWorker({ memory: '48MiB' });
    await cluster.waitForWorkers(1);
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  memoryPressureCases(() => cluster);
});

describe('workers failing', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.withDefaultRepo();
    await cluster.startController();
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('answers UNAVAILABLE while no worker is connected', async () => {
    const err = await cluster.client.infer('cls', { x: randomFloat32([...SHAPES.cls]) }, { sloMs: 1000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as UnavailableError).message).toMatch(/no worker connected/);
  });

  it('leaves no request unanswered when a worker is killed mid-run', async () => {
    const a = cluster.startWorker();
    cluster.startWorker();
    await cluster.waitForWorkers(2);
    const outcomes: string[] = [];
    const all: Promise<void>[] = [];
    for (let i = 0; i < 60; i++) {
      all.push(
        cluster.client
          .infer('rec', { x: randomFloat32([...SHAPES.rec]) }, { sloMs: 20_000 })
          .then(() => void outcomes.push('OK'))
          .catch((e: unknown) => void outcomes.push(e instanceof PunctualClientError ? e.statusName : String(e))),
      );
    }
    await new Promise((r) => setTimeout(r, 300));
    a.kill('SIGKILL');
    await Promise.all(all);
    expect(outcomes).toHaveLength(60);
    // Retried on the surviving worker: their deadlines allowed it.
    for (const o of outcomes) expect(['OK', 'UNAVAILABLE']).toContain(o);
    expect(outcomes.filter((o) => o === 'OK').length).toBeGreaterThan(50);
    const s = await cluster.client.clusterStatus();
    expect(s.workers).toHaveLength(1);
    const after = await cluster.client.infer('det', { x: randomFloat32([...SHAPES.det]) }, { sloMs: 5000 });
    expect(after.worker).toBe(s.workers[0]!.name);
  });
});
