// Tokens on a real controller: Admin needs the admin token (none →
// UNAUTHENTICATED, a wrong one → PERMISSION_DENIED); inference needs the
// infer token once one is set; a worker joins only with a token; no token
// ever appears in the logs. With an infer token alone, Admin and the worker
// stream are closed to everyone: no rogue worker joins (and so receives
// models and inputs), no unauthenticated call removes a model. A metrics
// token guards /metrics of the controller and of a worker.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopChild } from '../cli/child-process.js';
import { PunctualAdmin, PunctualClient } from '../client/index.js';
import { buildAddModel } from './support/onnx-builder.js';
import { randomFloat32, SHAPES, TestCluster } from './support/cluster.js';
import { httpGet } from './support/http-get.js';
import { outcomeOf, statusOf } from './support/outcome.js';

const ADMIN = 'admin-secret-4f1c';
const INFER = 'infer-secret-9a2b';
const METRICS = 'metrics-secret-77d0';

/** Polls until `cond` holds, at most `ms`. */
async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  return cond();
}

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
    await cluster.startController(['--admin-token', ADMIN, '--infer-token', INFER, '--metrics-token', METRICS]);
    cluster.startWorker({ extra: ['--metrics-token', METRICS] });
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
    // A request admission would reject from its first bytes is still refused for its token first:
    // the early check tells nobody without a token about the cluster's state.
    expect(await statusOf(client().infer('cls', input, { sloMs: 0.001 }))).toBe('UNAUTHENTICATED');
    expect(await statusOf(client('wrong').infer('cls', input, { sloMs: 0.001 }))).toBe('PERMISSION_DENIED');
    expect(await statusOf(client(INFER).infer('cls', input, { sloMs: 0.001 }))).toBe('RESOURCE_EXHAUSTED');
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

  it('guards /metrics of the controller and of a worker with the metrics token; the probes stay open', async () => {
    const worker = await cluster.workerPorts.get(cluster.workers[0]!)!;
    for (const port of [cluster.metricsPort, worker.metricsPort]) {
      const url = `http://127.0.0.1:${port}`;
      const none = await httpGet(`${url}/metrics`);
      expect(none.status).toBe(401);
      expect(none.headers['www-authenticate']).toMatch(/^Bearer /);
      expect((await httpGet(`${url}/metrics`, { token: ADMIN })).status).toBe(401);
      const ok = await httpGet(`${url}/metrics`, { token: METRICS });
      expect(ok.status).toBe(200);
      expect(ok.body).toMatch(/punctual_(worker_)?\w+/);
      expect((await httpGet(`${url}/healthz`)).status).toBe(200);
      expect((await httpGet(`${url}/readyz`)).status).toBe(200);
    }
    expect(cluster.logText()).not.toContain(METRICS);
  });
});

describe('tokens: an infer token only', () => {
  let cluster: TestCluster;
  const closers: { close(): void }[] = [];
  const admin = (token?: string): PunctualAdmin => {
    const a = new PunctualAdmin(cluster.address, token ? { token } : {});
    closers.push(a);
    return a;
  };
  const modelDir = (): string => path.join(cluster.repo, 'cls', '1');

  beforeAll(async () => {
    cluster = await TestCluster.withDefaultRepo(['cls']);
    // info: the controller's worker_joined lines are what the worker test looks for.
    await cluster.startController(['--infer-token', INFER, '--log-level', 'info']);
  });
  afterAll(async () => {
    for (const c of closers) c.close();
    await cluster?.stop();
  });

  it('closes Admin to everyone and says how to open it', async () => {
    const st = await outcomeOf(admin().clusterStatus());
    expect(st.status).toBe('PERMISSION_DENIED');
    expect(st.message).toMatch(/Admin is closed/);
    expect(st.message).toContain('--admin-token');
    expect(await statusOf(admin(INFER).clusterStatus())).toBe('PERMISSION_DENIED');
    expect(await statusOf(admin('wrong').describe('cls'))).toBe('PERMISSION_DENIED');
    expect(await statusOf(admin().register(buildAddModel(), { name: 'sneaky' }))).toBe('PERMISSION_DENIED');
    expect(await statusOf(admin().unregister('cls'))).toBe('PERMISSION_DENIED');
    expect(await statusOf(admin(INFER).unregister('cls'))).toBe('PERMISSION_DENIED');
    // Still registered and still on disk.
    expect(fs.existsSync(path.join(modelDir(), 'model.onnx'))).toBe(true);
    expect(fs.existsSync(path.join(cluster.repo, 'sneaky'))).toBe(false);
    expect((await admin(INFER).listModels()).map((m) => m.name)).toEqual(['cls']);
    expect(await statusOf(admin().listModels())).toBe('UNAUTHENTICATED');
  });

  it('lets no worker join: neither one without a token nor one with the infer token', async () => {
    cluster.startWorker();
    cluster.startWorker({ extra: ['--token', INFER] });
    // Both dialled and were turned away (each logs the controller's answer) …
    expect(await until(() => (cluster.logText().match(/worker stream is closed/g) ?? []).length >= 2, 30_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 1000));
    // … and the controller never let one in.
    expect(cluster.logText()).not.toContain('worker_joined');
    await Promise.all(cluster.workers.map((w) => stopChild(w)));
  });

  it('still serves the model when restarted with an admin token too', async () => {
    await cluster.stopController();
    cluster.token = ADMIN;
    await cluster.startController(['--admin-token', ADMIN, '--infer-token', INFER, '--log-level', 'info']);
    cluster.startWorker();
    await cluster.waitForWorkers(1);
    // The same log check as above would have seen a join.
    expect(cluster.logText()).toContain('worker_joined');
    const c = new PunctualClient(cluster.address, { token: INFER });
    closers.push(c);
    const r = await c.infer('cls', { x: randomFloat32([...SHAPES.cls]) }, { sloMs: 5000 });
    expect(r.model).toBe('cls');
    expect(fs.existsSync(path.join(modelDir(), 'model.onnx'))).toBe(true);
  });
});
