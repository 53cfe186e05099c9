// Tokens on a real controller: Admin needs the admin token (none →
// UNAUTHENTICATED, a wrong one → PERMISSION_DENIED); inference needs the
// infer token once one is set; a worker joins only with a token; no token
// ever appears in the logs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PunctualAdmin, PunctualClient } from '../client/index.js';
import { buildAddModel } from '../profiles/onnx-builder.js';
import { randomFloat32, SHAPES, TestCluster } from './support/cluster.js';
import { statusOf } from './support/outcome.js';

const ADMIN = 'admin-secret-4f1c';
const INFER = 'infer-secret-9a2b';

describe('tokens', () => {
  let cluster: TestCluster;
  const closers: { close(): void }[] = [];
  const admin = (token?: string): PunctualAdmin => {
    const a = new PunctualAdmin(cluster.address, token ? { token } : {});
    closers.push(a);
    return a;
  };
  const client = (token?: string): PunctualClient => {
    const c = new PunctualClient(cluster.address, token ? { token } : {});
    closers.push(c);
    return c;
  };
  const input = { x: randomFloat32([...SHAPES.cls]) };

  beforeAll(async () => {
    cluster = await TestCluster.withDefaultRepo(['cls']);
    cluster.token = ADMIN;
    await cluster.startController(['--admin-token', ADMIN, '--infer-token', INFER]);
    cluster.startWorker();
    await cluster.waitForWorkers(1);
  });
  afterAll(async () => {
    for (const c of closers) c.close();
    await cluster?.stop();
  });

  it('guards Admin calls with the admin token', async () => {
    expect(await statusOf(admin().clusterStatus())).toBe('UNAUTHENTICATED');
    expect(await statusOf(admin('wrong').clusterStatus())).toBe('PERMISSION_DENIED');
    expect(await statusOf(admin(INFER).describe('cls'))).toBe('PERMISSION_DENIED');
    expect(await statusOf(admin().register(buildAddModel(), { name: 'sneaky' }))).toBe('UNAUTHENTICATED');
    expect(await statusOf(admin('wrong').unregister('cls'))).toBe('PERMISSION_DENIED');
    expect(await statusOf(admin().profile('cls', { maxThreads: 1, iterations: 1 }))).toBe('UNAUTHENTICATED');
    expect(await statusOf(admin(ADMIN).describe('cls'))).toBe('OK');
    const names = (await admin(ADMIN).listModels()).map((m) => m.name);
    expect(names).toEqual(['cls']);
  });

  it('requires the infer token (or the admin token) for inference once one is set', async () => {
    expect(await statusOf(client().infer('cls', input, { sloMs: 5000 }))).toBe('UNAUTHENTICATED');
    expect(await statusOf(client('wrong').infer('cls', input, { sloMs: 5000 }))).toBe('PERMISSION_DENIED');
    expect(await statusOf(client(INFER).infer('cls', input, { sloMs: 5000 }))).toBe('OK');
    expect(await statusOf(client(ADMIN).infer('cls', input, { sloMs: 5000 }))).toBe('OK');
  });

  it('lets a worker join only with a token, and never logs one', async () => {
    cluster.token = undefined;
    cluster.startWorker();
    cluster.token = ADMIN;
    await new Promise((r) => setTimeout(r, 1500));
    const st = await admin(ADMIN).clusterStatus();
    expect(st.workers).toHaveLength(1);
    expect(cluster.logText()).not.toContain(ADMIN);
    expect(cluster.logText()).not.toContain(INFER);
  });
});
