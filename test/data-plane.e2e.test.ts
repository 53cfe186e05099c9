// The data plane end to end (issue 13 point 3): PunctualClient with
// `dataPlane` sends each request's inputs' names and shapes to the
// controller (Inference.Admit), which admits and schedules it as any other
// and, at its dispatch, names the worker and a ticket; the client sends the
// tensors to that worker's data port and gets the outputs back from it. The
// serving tests (test/support/serving-cases.ts) run through it; a worker
// dying mid-request leaves nothing unanswered; a worker refuses tensors
// without a valid admission or after their window; a controller without a
// data plane is answered through Infer.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataChannels } from '../client/data-channel.js';
import { PunctualClient, PunctualClientError } from '../client/index.js';
import { CHANNEL_OPTIONS, protos } from '../common/protos.js';
import type { AdmitEvent__Output, AdmitRequest } from '../common/wire.js';
import { randomFloat32, SHAPES, TestCluster } from './support/cluster.js';
import { memoryPressureCases, servingCases } from './support/serving-cases.js';

describe('the data plane through punctual up (its workers in its process)', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.withDefaultRepo();
    cluster.clientOptions = { dataPlane: true };
    await cluster.startUp(['--workers', '2']);
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('takes the data plane: the outputs are those Infer gives for the same input', async () => {
    const x = randomFloat32([...SHAPES.cls]);
    const staged = await cluster.client.infer('cls', { x }, { sloMs: 2000 });
    expect(staged.dataPlane).toBe(true);
    const plain = new PunctualClient(cluster.address);
    try {
      const direct = await plain.infer('cls', { x }, { sloMs: 2000 });
      expect(direct.dataPlane).toBe(false);
      expect([...(staged.outputs['softmax_0.tmp_0']!.data as Float32Array)]).toEqual([...(direct.outputs['softmax_0.tmp_0']!.data as Float32Array)]);
    } finally {
      plain.close();
    }
  });

  it('answers hostile admissions with clear errors and goes on serving', async () => {
    const Inference = protos().inference.punctual.v1.Inference;
    const raw = new Inference(cluster.address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
    const admit = (req: AdmitRequest): Promise<grpc.ServiceError | undefined> =>
      new Promise((resolve) => {
        const call = raw.Admit(req);
        call.on('data', () => call.cancel());
        call.on('error', (e: grpc.ServiceError) => resolve(e));
        call.on('end', () => resolve(undefined));
      });
    const x = { name: 'x', dtype: 'float32', shape: [1, 3, 48, 192] };
    const cases: [string, AdmitRequest, grpc.status, RegExp][] = [
      ['unknown model', { model: 'nope', inputs: [x] }, grpc.status.NOT_FOUND, /nope/],
      ['10,000 inputs', { model: 'cls', inputs: Array.from({ length: 10_000 }, (_, i) => ({ ...x, name: `x${i}` })) }, grpc.status.INVALID_ARGUMENT, /takes 1 input\(s\)/],
      ['wrong dtype', { model: 'cls', inputs: [{ ...x, dtype: 'int8' }] }, grpc.status.INVALID_ARGUMENT, /dtype int8, expected float32/],
      ['wrong shape', { model: 'cls', inputs: [{ ...x, shape: [1, 3, 48, 100] }] }, grpc.status.INVALID_ARGUMENT, /expected \[1, 3, 48, 192\]/],
      ['absurd rank', { model: 'cls', inputs: [{ ...x, shape: Array(40).fill(1) }] }, grpc.status.INVALID_ARGUMENT, /shape/],
      ['missing input', { model: 'cls', inputs: [] }, grpc.status.INVALID_ARGUMENT, /missing input "x"/],
      ['negative slo', { model: 'cls', inputs: [x], sloMs: -5 }, grpc.status.INVALID_ARGUMENT, /slo_ms must be a positive/],
      ['infeasible slo', { model: 'det', inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3, 224, 224] }], sloMs: 1 }, grpc.status.RESOURCE_EXHAUSTED, /predicted [\d.]+ ms > slo 1 ms/],
    ];
    try {
      for (const [what, req, code, message] of cases) {
        const err = await admit(req);
        expect(err?.code, what).toBe(code);
        expect(err?.details, what).toMatch(message);
      }
    } finally {
      raw.close();
    }
    const ok = await cluster.client.infer('cls', { x: randomFloat32([...SHAPES.cls]) }, { sloMs: 2000 });
    expect(ok.dataPlane).toBe(true);
  });

  servingCases(() => cluster);
});

describe('the data plane under memory pressure', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.withDefaultRepo();
    cluster.clientOptions = { dataPlane: true };
    await cluster.startUp(['--memory', '48MiB']);
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  memoryPressureCases(() => cluster);
});

describe('the data plane with worker processes', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.withDefaultRepo(['rec', 'cls']);
    cluster.clientOptions = { dataPlane: true };
    await cluster.startController();
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('answers through Infer while a worker has no data port', async () => {
    const plain = cluster.startWorker();
    await cluster.waitForWorkers(1);
    // Its own client: it uses Infer for the next 10 s after hearing no_data_plane.
    const client = new PunctualClient(cluster.address, { dataPlane: true });
    try {
      const r = await client.infer('cls', { x: randomFloat32([...SHAPES.cls]) }, { sloMs: 2000 });
      expect(r.dataPlane).toBe(false);
      expect(r.outputs['softmax_0.tmp_0']!.shape).toEqual([1, 2]);
    } finally {
      client.close();
    }
    plain.kill('SIGTERM');
    await cluster.waitForWorkers(0);
  });

  it('leaves no request unanswered when a worker is killed mid-run', async () => {
    const a = cluster.startWorker({ extra: ['--data-port', '0'] });
    const b = cluster.startWorker({ extra: ['--data-port', '0'] });
    await cluster.waitForWorkers(2);
    expect((await cluster.workerPorts.get(a))!.dataAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    const outcomes: string[] = [];
    const all: Promise<void>[] = [];
    for (let i = 0; i < 60; i++) {
      all.push(
        cluster.client
          .infer('rec', { x: randomFloat32([...SHAPES.rec]) }, { sloMs: 20_000 })
          .then((r) => void outcomes.push(r.dataPlane ? 'OK' : 'NOT_STAGED'))
          .catch((e: unknown) => {
            outcomes.push(e instanceof PunctualClientError ? e.statusName : String(e));
            if (process.env.PUNCTUAL_DEBUG) console.log(e);
          }),
      );
    }
    await new Promise((r) => setTimeout(r, 300));
    a.kill('SIGKILL');
    await Promise.all(all);
    expect(outcomes).toHaveLength(60);
    for (const o of outcomes) expect(['OK', 'UNAVAILABLE']).toContain(o);
    expect(outcomes.filter((o) => o === 'OK').length).toBeGreaterThan(50);
    const after = await cluster.client.infer('cls', { x: randomFloat32([...SHAPES.cls]) }, { sloMs: 5000 });
    expect(after.dataPlane).toBe(true);
    expect(after.worker).toBe((await cluster.client.clusterStatus()).workers[0]!.name);
    void b;
  });

  it('a worker refuses tensors without a valid admission, and after their window (the request then fails DEADLINE_EXCEEDED)', async () => {
    const s = await cluster.client.clusterStatus();
    const worker = cluster.workers.find((w) => w.exitCode === null && w.signalCode === null)!;
    const { dataAddress } = (await cluster.workerPorts.get(worker))!;
    expect(s.workers).toHaveLength(1);
    const channels = new DataChannels();
    const x = { name: 'x', dtype: 'float32', shape: [1, 3, 48, 192], data: new Uint8Array(randomFloat32([...SHAPES.cls]).buffer) };
    try {
      // A ticket no action names: refused.
      const forged = (await channels.stage(dataAddress, 'f'.repeat(32), [x], 5000).catch((e: unknown) => e)) as PunctualClientError;
      expect(forged.code).toBe(grpc.status.PERMISSION_DENIED);
      expect(forged.reason).toBe('no_admission');

      // A real admission whose client sends its tensors only after the window it was given.
      const Inference = protos().inference.punctual.v1.Inference;
      const client = new Inference(cluster.address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
      const events: AdmitEvent__Output[] = [];
      const call = client.Admit({ model: 'cls', inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3, 48, 192] }], sloMs: 400 });
      const ended = new Promise<grpc.ServiceError | undefined>((resolve) => {
        call.on('data', (e: AdmitEvent__Output) => events.push(e));
        call.on('error', (err: grpc.ServiceError) => resolve(err));
        call.on('end', () => resolve(undefined));
      });
      for (let i = 0; i < 100 && events.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      const stage = events[0]!.stage!;
      expect(stage.dataAddress).toBe(dataAddress);
      await new Promise((r) => setTimeout(r, stage.windowMs + 100));
      const late = (await channels.stage(stage.dataAddress, stage.ticket, [x], 5000).catch((e: unknown) => e)) as PunctualClientError;
      expect(late.code).toBe(grpc.status.DEADLINE_EXCEEDED);
      expect(late.reason).toBe('outside_window');
      const err = await ended;
      expect(err?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
      expect(err?.details).toMatch(/did not reach worker .* while its batch waited for them/);
      client.close();
      // The worker goes on serving.
      const ok = await cluster.client.infer('cls', { x: randomFloat32([...SHAPES.cls]) }, { sloMs: 5000 });
      expect(ok.dataPlane).toBe(true);
    } finally {
      channels.close();
    }
  });

  it('a client that leaves after its dispatch does not hold its batch for its window: the worker is told, and the next request is served', async () => {
    const Inference = protos().inference.punctual.v1.Inference;
    const client = new Inference(cluster.address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
    try {
      // Admitted with a 30 s SLO: its batch could wait ~30 s for tensors that will never come.
      const call = client.Admit({ model: 'cls', inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3, 48, 192] }], sloMs: 30_000 });
      const staged = await new Promise<AdmitEvent__Output>((resolve, reject) => {
        call.on('data', (e: AdmitEvent__Output) => e.stage && resolve(e));
        call.on('error', reject);
      });
      expect(staged.stage!.windowMs).toBeGreaterThan(20_000);
      call.on('error', () => undefined); // the cancellation below
      call.cancel();
      // The next request goes to the same executor (one worker) and is served within its 5 s SLO,
      // which it could not be behind a batch waiting out a 30 s window.
      const ok = await cluster.client.infer('cls', { x: randomFloat32([...SHAPES.cls]) }, { sloMs: 5000 });
      expect(ok.dataPlane).toBe(true);
    } finally {
      client.close();
    }
  });
});
