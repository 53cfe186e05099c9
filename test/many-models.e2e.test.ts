// Many models on one real worker (issue 11): 240 copies of cls registered in
// one call, a worker whose memory budget holds only a few dozen of them
// loaded, and requests across random copies, so models are loaded and
// evicted as they go. Every request is answered, and within its SLO; the
// worker holds the file's bytes once; status pages through every model with a
// summary of all; the same bytes registered again reuse the first validation
// and profile; a restarted controller serves every copy from the repository
// the copies share files in.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PunctualAdmin, PunctualClientError } from '../client/index.js';
import { bundledModelsDir } from '../profiles/bundled-models.js';
import { SHAPES, TestCluster, randomFloat32 } from './support/cluster.js';
import { httpGet } from './support/http-get.js';

const COPIES = 240;
/**
 * A loaded cls is counted at its measured RSS growth, about 1 MiB: a few dozen copies fit. (A
 * noisy measurement of tens of MiB for one load must still fit, or that copy is refused.)
 */
const MEMORY = '48MiB';
const SLO_MS = 3000;

let cluster: TestCluster;
let admin: PunctualAdmin;
const cls = fs.readFileSync(path.join(bundledModelsDir(), 'ch_ppocr_mobile_v2.0_cls_infer.onnx'));

beforeAll(async () => {
  cluster = TestCluster.withEmptyRepo();
  await cluster.startController();
  // No allowance: released sessions' memory goes back whenever the RSS is over its start + budget + cached bytes.
  cluster.startWorker({ memory: MEMORY, extra: ['--trim-allowance', '0'] });
  await cluster.waitForWorkers(1);
  admin = new PunctualAdmin(cluster.address);
}, 60_000);

afterAll(async () => {
  admin?.close();
  await cluster?.stop();
});

async function executor() {
  const st = await cluster.client.clusterStatus({ pageSize: 1, brief: true });
  return st.workers[0]!.executors[0]!;
}

describe(`${COPIES} copies of cls on one worker`, () => {
  it('registers them in one call, servable at once, sharing one profile', async () => {
    const res = await admin.register(cls, { name: 'cls', inputs: [{ name: '', shape: [...SHAPES.cls] }], maxBatch: 16, defaultSloMs: 200, copies: COPIES });
    expect(res.models).toHaveLength(COPIES);
    expect(res.models.map((m) => m.name)).toEqual(Array.from({ length: COPIES }, (_, i) => `cls-${i}`));
    expect(res.models[0]!.estimates.length).toBeGreaterThan(0);
    const described = await Promise.all(['cls-0', `cls-${COPIES - 1}`].map((n) => admin.describe(n)));
    const [a, b] = described.map((d) => d.versions[0]!.profile!);
    expect(a!.classes).toEqual(b!.classes);
    // One file on disk for all of them.
    const inodes = new Set(['cls-0', 'cls-1', `cls-${COPIES - 1}`].map((n) => fs.statSync(path.join(cluster.repo, n, '1', 'model.onnx')).ino));
    expect(inodes.size).toBe(1);
  }, 60_000);

  it('the worker holds their bytes once', async () => {
    const { metricsPort } = await cluster.workerPorts.get(cluster.workers[0]!)!;
    const text = (await httpGet(`http://127.0.0.1:${metricsPort}/metrics`)).body;
    expect(text).toMatch(new RegExp(`^punctual_worker_model_cache_bytes ${cls.byteLength}$`, 'm'));
  });

  it('answers every request across random copies within its SLO while loads and evictions happen', async () => {
    const before = await executor();
    const outcomes: Record<string, number> = {};
    const slow: number[] = [];
    let next = 0;
    const total = 360;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < total) {
          next++;
          const name = `cls-${Math.floor(Math.random() * COPIES)}`;
          let status = 'OK';
          try {
            const r = await cluster.client.infer(name, { x: randomFloat32([...SHAPES.cls]) }, { sloMs: SLO_MS });
            if (r.timings.totalMs > SLO_MS) slow.push(r.timings.totalMs);
          } catch (err) {
            if (!(err instanceof PunctualClientError)) throw err;
            status = `${err.statusName}: ${err.message}`;
          }
          outcomes[status] = (outcomes[status] ?? 0) + 1;
        }
      }),
    );
    expect(outcomes).toEqual({ OK: total });
    expect(slow).toEqual([]);
    const after = await executor();
    expect(after.loads - before.loads).toBeGreaterThan(30);
    expect(after.unloads - before.unloads).toBeGreaterThan(0);
    // What is resident stays within the executor's budget: far from all of them.
    expect(after.memoryUsedBytes).toBeLessThanOrEqual(after.memoryBudgetBytes);
    expect(after.loaded.length).toBeGreaterThan(0);
    expect(after.loaded.length).toBeLessThan(COPIES / 4);
    // The evictions' memory was handed back to the system (the RSS of a few dozen sessions is far over a 48 MiB budget).
    const { metricsPort } = await cluster.workerPorts.get(cluster.workers[0]!)!;
    const text = (await httpGet(`http://127.0.0.1:${metricsPort}/metrics`)).body;
    expect(Number(/^punctual_worker_memory_trims_total (\S+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
  }, 120_000);

  it('status comes a page at a time with a summary of every model', async () => {
    const first = await cluster.client.clusterStatus({ pageSize: 50 });
    expect(first.models).toHaveLength(50);
    expect(first.modelSummary).toMatchObject({ models: COPIES, names: COPIES, distinctFiles: 1, distinctBytes: cls.byteLength });
    expect(first.modelSummary!.loaded).toBeGreaterThan(0);
    expect(first.modelSummary!.requestsOk).toBeGreaterThanOrEqual(360);
    const keys = first.models.map((m) => m.name);
    let token = first.nextPageToken;
    while (token) {
      const page = await cluster.client.clusterStatus({ pageSize: 50, pageToken: token, brief: true });
      expect(page.models.every((m) => m.estimates.length === 0)).toBe(true);
      keys.push(...page.models.map((m) => m.name));
      token = page.nextPageToken;
    }
    expect(keys).toHaveLength(COPIES);
    expect(new Set(keys).size).toBe(COPIES);
    // A client from before paging still gets every model in one answer.
    expect((await cluster.client.clusterStatus()).models).toHaveLength(COPIES);
    expect(await admin.listModels({ brief: true, pageSize: 64 })).toHaveLength(COPIES);
  });

  it('the same bytes registered again reuse the validation and profile of the first registration', async () => {
    const res = await admin.register(cls, { name: 'again', inputs: [{ name: '', shape: [...SHAPES.cls] }], maxBatch: 16, defaultSloMs: 200, copies: 2 });
    expect(res.models.map((m) => m.name)).toEqual(['again-0', 'again-1']);
    const [first, again] = await Promise.all(['cls-0', 'again-1'].map(async (n) => (await admin.describe(n)).versions[0]!.profile!));
    expect(again!.measuredAt).toBe(first!.measuredAt);
    // Other batch sizes are another profile.
    const other = await admin.register(cls, { name: 'other', inputs: [{ name: '', shape: [...SHAPES.cls] }], maxBatch: 2 });
    expect((await admin.describe('other')).versions[0]!.profile!.measuredAt).not.toBe(first!.measuredAt);
    expect(other.models[0]!.batchSizes).toEqual([1, 2]);
    for (const n of ['again-0', 'again-1', 'other']) await admin.unregister(n);
  }, 60_000);

  it('a restarted controller serves every copy from the shared files', async () => {
    await cluster.stopController();
    await cluster.restartController();
    await cluster.waitForWorkers(1);
    admin.close();
    admin = new PunctualAdmin(cluster.address);
    const st = await cluster.client.clusterStatus({ pageSize: 1, brief: true });
    expect(st.modelSummary).toMatchObject({ models: COPIES, distinctFiles: 1 });
    for (const name of ['cls-0', `cls-${COPIES - 1}`, `cls-${Math.floor(Math.random() * COPIES)}`]) {
      const r = await cluster.client.infer(name, { x: randomFloat32([...SHAPES.cls]) }, { sloMs: SLO_MS });
      expect(r.outputs['softmax_0.tmp_0']?.shape).toEqual([1, 2]);
    }
  }, 90_000);
});
