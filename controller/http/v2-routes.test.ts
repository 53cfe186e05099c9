// The V2 REST routes against a real serving core (a manual clock, a fake
// worker answering what it is sent) through fastify's inject, no socket:
// every route, JSON and binary tensors both ways, the SLO from the timeout
// parameter and the deadline header, errors with their HTTP statuses,
// admission's 429 with Retry-After, drain's 503, tokens, and hostile bodies.
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { ManualClock } from '../../common/clock.js';
import { createLogger } from '../../common/log.js';
import type { ActionResult__Output, ControllerMessage } from '../../common/wire.js';
import { Authorizer, type TokenOptions } from '../auth.js';
import { ModelRegistry } from '../model-registry.js';
import { ModelStatistics } from '../model-statistics.js';
import { Estimates } from '../scheduler/estimates.js';
import { ServingCore } from '../serving-core.js';
import type { ServingObserver } from '../serving-observer.js';
import type { WorkerConnection } from '../worker-connection.js';
import { buildHttpApp } from './http-server.js';
import { v2Routes } from './v2-routes.js';

interface Sent {
  id: number;
  type: string;
  modelKey: string;
  /** The action's first input, as floats (INFER). */
  x: Float32Array;
  batch: number;
}

function fakeWorker(): { conn: WorkerConnection; sent: Sent[] } {
  const sent: Sent[] = [];
  const conn = {
    id: 'w1',
    name: 'w1',
    closed: false,
    draining: false,
    unresponsive: false,
    connectedAt: 0,
    offset: 0,
    rtt: 0,
    executors: [{ index: 0, device: 'cpu', threads: 1, memoryBytes: 1e9 }],
    send: (msg: ControllerMessage) => {
      const a = msg.action;
      if (!a) return;
      const t = a.inputs?.[0];
      const d = t?.data as Uint8Array | undefined;
      const x = d ? new Float32Array(new Uint8Array(d).buffer) : new Float32Array(0);
      sent.push({ id: Number(a.id), type: String(a.type), modelKey: String(a.modelKey), x, batch: t?.shape?.[0] ? Number(t.shape[0]) : 1 });
    },
    toWorker: (t: number) => t,
    toController: (t: number) => t,
    close: () => undefined,
  } as unknown as WorkerConnection;
  return { conn, sent };
}

const CLS = { name: 'cls', version: 1, inputs: [{ name: 'x', dtype: 'float32' as const, shape: [3] }], outputs: [{ name: 'y', dtype: 'float32' as const, shape: [2] }, { name: 'n', dtype: 'int64' as const, shape: [1] }], maxBatch: 4, batchSizes: [1, 2, 4], defaultSloMs: 100 };

interface Setup {
  app: FastifyInstance;
  clock: ManualClock;
  core: ServingCore;
  sent: Sent[];
  notAdmitted: string[];
  /** Sends a request and, while it is unanswered, answers what the worker was sent (each run 2 ms). */
  call(opts: Parameters<FastifyInstance['inject']>[0] & object): Promise<LightMyRequestResponse>;
}

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function setup(opts: { tokens?: TokenOptions; worker?: boolean; maxBodyBytes?: number } = {}): Promise<Setup> {
  const clock = new ManualClock(100_000);
  const registry = new ModelRegistry();
  const estimates = new Estimates({ unknownExecMs: 2, unknownLoadMs: 10, clock });
  const log = createLogger('test', 'silent');
  const core = new ServingCore({ clock, registry, estimates, log });
  const notAdmitted: string[] = [];
  core.observers.push({ notAdmitted: (status: string) => notAdmitted.push(status) } as ServingObserver);
  for (const version of [1, 2]) {
    const m = registry.add({ key: `cls@${version}`, config: { ...CLS, version }, dir: '', file: '', size: 0, sha256: `cls${version}` });
    core.addModel(m);
  }
  const statistics = new ModelStatistics({ isLive: (k) => registry.get(k) !== undefined });
  core.observers.push(statistics);
  const { conn, sent } = fakeWorker();
  if (opts.worker !== false) core.addWorker(conn);
  const done = new Set<number>();
  // y = [x0 + x1, x2 * 2], n = [action id]; loads answer with no outputs.
  const answerAll = (): void => {
    for (;;) {
      const a = sent.find((s) => !done.has(s.id));
      if (!a) return;
      done.add(a.id);
      const start = clock.now();
      clock.advance(2);
      const y = new Float32Array(a.batch * 2);
      const n = new BigInt64Array(a.batch);
      for (let i = 0; i < a.batch; i++) {
        y[2 * i] = a.x[3 * i]! + a.x[3 * i + 1]!;
        y[2 * i + 1] = a.x[3 * i + 2]! * 2;
        n[i] = BigInt(2 ** 53) + 3n;
      }
      const outputs =
        a.type === 'INFER'
          ? [
              { name: 'y', dtype: 'float32', shape: [a.batch, 2], data: Buffer.from(y.buffer) },
              { name: 'n', dtype: 'int64', shape: [a.batch, 1], data: Buffer.from(n.buffer) },
            ]
          : [];
      core.onResult(conn, { actionId: a.id, status: 'OK', message: '', receivedMs: start, startMs: start, endMs: clock.now(), durationMs: 2, memoryBytes: 1000, outputs } as unknown as ActionResult__Output);
    }
  };
  answerAll();
  const auth = new Authorizer(opts.tokens ?? {});
  const app = await buildHttpApp({
    bodyLimit: opts.maxBodyBytes ?? 1 << 20,
    plugins: [v2Routes({ core, clock, log, auth, ready: () => !core.draining && core.workers.size > 0, maxBodyBytes: opts.maxBodyBytes ?? 1 << 20, statistics })],
    log,
  });
  cleanup = async () => {
    await app.close();
    core.close();
  };
  const call = async (o: Parameters<FastifyInstance['inject']>[0] & object): Promise<LightMyRequestResponse> => {
    let settled = false;
    const p = app.inject(o).finally(() => (settled = true));
    while (!settled) {
      await new Promise((r) => setImmediate(r));
      answerAll();
    }
    return p;
  };
  return { app, clock, core, sent, notAdmitted, call };
}

const json = (r: LightMyRequestResponse): unknown => JSON.parse(r.body);
const x3 = (batch: number): number[] => Array.from({ length: 3 * batch }, (_, i) => i + 1);

/** A binary-data request: JSON header, then the raw tensors. */
function binaryBody(header: object, ...blobs: Uint8Array[]): { payload: Buffer; headers: Record<string, string> } {
  const head = Buffer.from(JSON.stringify(header));
  return { payload: Buffer.concat([head, ...blobs]), headers: { 'inference-header-content-length': String(head.byteLength), 'content-type': 'application/octet-stream' } };
}

describe('V2 REST: health and metadata', () => {
  it('live, ready, model ready (200 or 400 as Triton), server and model metadata', async () => {
    const s = await setup();
    expect((await s.call({ method: 'GET', url: '/v2/health/live' })).statusCode).toBe(200);
    expect((await s.call({ method: 'GET', url: '/v2/health/ready' })).statusCode).toBe(200);
    expect((await s.call({ method: 'GET', url: '/v2/models/cls/ready' })).statusCode).toBe(200);
    expect((await s.call({ method: 'GET', url: '/v2/models/cls/versions/2/ready' })).statusCode).toBe(200);
    expect((await s.call({ method: 'GET', url: '/v2/models/cls/versions/3/ready' })).statusCode).toBe(400);
    expect((await s.call({ method: 'GET', url: '/v2/models/nope/ready' })).statusCode).toBe(400);
    const bad = await s.call({ method: 'GET', url: '/v2/models/cls/versions/x/ready' });
    expect(bad.statusCode).toBe(400);
    expect(json(bad)).toMatchObject({ error: expect.stringMatching(/model version must be/) });
    expect(json(await s.call({ method: 'GET', url: '/v2' }))).toEqual({ name: 'punctual', version: expect.any(String), extensions: ['binary_tensor_data', 'model_repository', 'statistics'] });
    const meta = await s.call({ method: 'GET', url: '/v2/models/cls' });
    expect(meta.statusCode).toBe(200);
    expect(json(meta)).toEqual({
      name: 'cls',
      versions: ['1', '2'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3] }],
      outputs: [
        { name: 'y', datatype: 'FP32', shape: [-1, 2] },
        { name: 'n', datatype: 'INT64', shape: [-1, 1] },
      ],
    });
    expect(json(await s.call({ method: 'GET', url: '/v2/models/cls/versions/1' }))).toMatchObject({ name: 'cls' });
    const unknown = await s.call({ method: 'GET', url: '/v2/models/nope' });
    expect(unknown.statusCode).toBe(404);
    expect(json(unknown)).toMatchObject({ error: expect.stringMatching(/nope/), reason: 'not_found' });
    const noRoute = await s.call({ method: 'GET', url: '/v3/x' });
    expect(noRoute.statusCode).toBe(404);
    expect(json(noRoute)).toMatchObject({ error: expect.stringMatching(/no route GET \/v3\/x/) });
  });

  it('not ready without a worker: health/ready and model ready are 400, live stays 200', async () => {
    const s = await setup({ worker: false });
    expect((await s.call({ method: 'GET', url: '/v2/health/live' })).statusCode).toBe(200);
    expect((await s.call({ method: 'GET', url: '/v2/health/ready' })).statusCode).toBe(400);
    expect((await s.call({ method: 'GET', url: '/v2/models/cls/ready' })).statusCode).toBe(400);
  });
});

describe('V2 REST: inference', () => {
  it('JSON in, JSON out: nested data, a batch of 2 split and joined, the id echoed, 64-bit integers digit for digit', async () => {
    const s = await setup();
    const r = await s.call({
      method: 'POST',
      url: '/v2/models/cls/infer',
      payload: { id: 'r1', inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 3], data: [[1, 2, 3], [4, 5, 6]] }] },
    });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/application\/json/);
    expect(r.body).toContain('"data":[9007199254740995,9007199254740995]');
    expect(json(r)).toMatchObject({
      model_name: 'cls',
      model_version: '2',
      id: 'r1',
      outputs: [
        { name: 'y', datatype: 'FP32', shape: [2, 2], data: [3, 6, 9, 12] },
        { name: 'n', datatype: 'INT64', shape: [2, 1] },
      ],
    });
    // Two items, each a request of its own to the scheduler (which may batch them again).
    expect(s.sent.filter((a) => a.type === 'INFER').reduce((n, a) => n + a.batch, 0)).toBe(2);
  });

  it('a version in the route, flat data, outputs asked for by name', async () => {
    const s = await setup();
    const r = await s.call({ method: 'POST', url: '/v2/models/cls/versions/1/infer', payload: { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }], outputs: [{ name: 'y' }] } });
    expect(r.statusCode).toBe(200);
    const body = json(r) as { model_version: string; outputs: { name: string }[]; id?: string };
    expect(body.model_version).toBe('1');
    expect(body.outputs.map((o) => o.name)).toEqual(['y']);
    expect(body.id).toBeUndefined();
  });

  it('binary in, binary out (binary_data_output), with Inference-Header-Content-Length both ways', async () => {
    const s = await setup();
    const x = new Float32Array([1, 2, 3]);
    const { payload, headers } = binaryBody({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], parameters: { binary_data_size: 12 } }], parameters: { binary_data_output: true } }, new Uint8Array(x.buffer));
    const r = await s.call({ method: 'POST', url: '/v2/models/cls/infer', payload, headers });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('application/octet-stream');
    const n = Number(r.headers['inference-header-content-length']);
    const raw = r.rawPayload;
    const head = JSON.parse(raw.subarray(0, n).toString()) as { outputs: { name: string; parameters: { binary_data_size: number }; data?: unknown }[] };
    expect(head.outputs.map((o) => [o.name, o.parameters.binary_data_size, o.data])).toEqual([
      ['y', 8, undefined],
      ['n', 8, undefined],
    ]);
    expect(raw.byteLength).toBe(n + 16);
    const y = new Float32Array(new Uint8Array(raw.subarray(n, n + 8)).buffer);
    expect([...y]).toEqual([3, 6]);
    expect(new BigInt64Array(new Uint8Array(raw.subarray(n + 8, n + 16)).buffer)[0]).toBe(2n ** 53n + 3n);
  });

  it('per output: y in binary, n in JSON; whatever the content type says', async () => {
    const s = await setup();
    const head = Buffer.from(JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], parameters: { binary_data_size: 12 } }], outputs: [{ name: 'y', parameters: { binary_data: true } }, { name: 'n' }] }));
    const payload = Buffer.concat([head, Buffer.from(new Float32Array([1, 1, 1]).buffer)]);
    const r = await s.call({ method: 'POST', url: '/v2/models/cls/infer', payload, headers: { 'inference-header-content-length': String(head.byteLength), 'content-type': 'text/plain' } });
    expect(r.statusCode).toBe(200);
    const n = Number(r.headers['inference-header-content-length']);
    const h = JSON.parse(r.rawPayload.subarray(0, n).toString()) as { outputs: { name: string; data?: unknown }[] };
    expect(h.outputs[0]).toMatchObject({ name: 'y', parameters: { binary_data_size: 8 } });
    expect(h.outputs[1]).toMatchObject({ name: 'n', data: [9007199254740995] });
    expect(r.rawPayload.byteLength).toBe(n + 8);
  });
});
