// Per-model threads end to end (issue 13 point 6): a real controller and a
// real worker process with --threads 2, real onnxruntime. Two copies of cls
// whose profiles say bestThreads 1 and 2 get sessions of 1 and 2 intra-op
// threads, as the worker's /metrics reports them from its executor thread
// (the count handed to onnxruntime's intraOpNumThreads); a third copy with no
// bestThreads gets the worker's own 2. The controller says, once, that it has
// no profile at cpu/t2 for the copy that wants two threads (the bundled
// profile measured one) and which class stands in. Both answer correctly.
// A copy registered with an explicit count (`models register --threads 1`)
// gets that count; a count out of range is refused at registration.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError, PunctualAdmin } from '../client/index.js';
import { httpGet } from './support/http-get.js';
import { randomFloat32, SHAPES, TestCluster } from './support/cluster.js';

describe('a worker with --threads 2 and models with their own thread counts', () => {
  let cluster: TestCluster;
  let metricsPort = 0;
  let admin: PunctualAdmin;

  /** The worker's session thread counts by model, from its /metrics. */
  async function sessionThreads(): Promise<Record<string, number>> {
    const metrics = await httpGet(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(metrics.status).toBe(200);
    return Object.fromEntries(
      [...metrics.body.matchAll(/^punctual_worker_session_threads\{executor="0",model="([^"]+)"\} (\d+)$/gm)].map((m) => [m[1], Number(m[2])]),
    );
  }

  beforeAll(async () => {
    cluster = await TestCluster.withDefaultRepo(['cls']);
    // cls1 and cls2: the same file and profile as cls, with bestThreads 1 and 2.
    for (const [name, best] of [['cls1', 1], ['cls2', 2]] as const) {
      fs.cpSync(path.join(cluster.repo, 'cls'), path.join(cluster.repo, name), { recursive: true });
      const file = path.join(cluster.repo, name, '1', 'profile.json');
      const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
      fs.writeFileSync(file, JSON.stringify({ ...profile, bestThreads: best }));
    }
    await cluster.startController();
    const worker = cluster.startWorker({ threads: 2 });
    await cluster.waitForWorkers(1);
    ({ metricsPort } = await cluster.workerPorts.get(worker)!);
    admin = new PunctualAdmin(cluster.address);
  });

  afterAll(async () => {
    admin?.close();
    await cluster?.stop();
  });

  it('creates each session with its model’s count, capped by the worker’s, and serves from it', async () => {
    const x = randomFloat32([...SHAPES.cls]);
    const outputs: Record<string, number[]> = {};
    for (const model of ['cls1', 'cls2', 'cls']) {
      const r = await cluster.client.infer(model, { x }, { sloMs: 5000 });
      outputs[model] = [...(Object.values(r.outputs)[0]!.data as Float32Array)];
    }
    // One model, one input: the same answer at one thread and at two.
    expect(outputs.cls1!.length).toBeGreaterThan(0);
    for (const [i, v] of outputs.cls1!.entries()) {
      expect(outputs.cls2![i]).toBeCloseTo(v, 4);
      expect(outputs.cls![i]).toBeCloseTo(v, 4);
    }
    expect(await sessionThreads()).toEqual({ 'cls1@1': 1, 'cls2@1': 2, 'cls@1': 2 });
    // The count each asks for, as the controller describes it (0: none, the executor's own).
    for (const [model, threads] of [['cls1', 1], ['cls2', 2], ['cls', 0]] as const) {
      expect((await admin.describe(model)).versions[0]?.info?.threads).toBe(threads);
    }
  });

  it('gives a model registered with --threads 1 one-thread sessions, and refuses a count out of range', async () => {
    const bytes = fs.readFileSync(path.join(cluster.repo, 'cls', '1', 'model.onnx'));
    const inputs = [{ name: 'x', dtype: '', shape: [...SHAPES.cls] }];
    const res = await admin.register(bytes, { name: 'clsx', inputs, threads: 1 });
    expect(res.models[0]?.threads).toBe(1);
    await cluster.client.infer('clsx', { x: randomFloat32([...SHAPES.cls]) }, { sloMs: 5000 });
    expect((await sessionThreads())['clsx@1']).toBe(1);
    const refused = admin.register(bytes, { name: 'clsy', inputs, threads: 300 });
    await expect(refused).rejects.toThrow(InvalidInputError);
    await expect(refused).rejects.toThrow(/threads must be an integer from 1 to 256/);
  });

  it('says once that cls2 has no profile at cpu/t2 and starts from cpu/t1', () => {
    // (clsx, at one thread, has its cpu/t1 profile: nothing to say.)
    const lines = cluster
      .logText()
      .split('\n')
      .filter((l) => l.includes('"estimate_class_fallback"'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("cls2@1: no profile at cpu/t2 (its sessions' thread count); estimates start from cpu/t1's figures");
  });
});
