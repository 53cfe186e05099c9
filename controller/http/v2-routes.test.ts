// The V2 REST routes against a real serving core (a manual clock, a fake
// worker answering what it is sent) through fastify's inject, no socket:
// every route, JSON and binary tensors both ways, the SLO from the timeout
// parameter and the deadline header, errors with their HTTP statuses,
// admission's 429 with Retry-After, drain's 503, tokens, and hostile bodies.
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
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
    adopted: [],
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
  call(opts: InjectOptions): Promise<LightMyRequestResponse>;
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
  const call = async (o: InjectOptions): Promise<LightMyRequestResponse> => {
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
    expect(json(await s.call({ method: 'GET', url: '/v2' }))).toEqual({ name: 'punctual', version: expect.any(String), extensions: ['binary_tensor_data', 'model_repository', 'model_configuration', 'statistics'] });
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

describe('V2 REST: the SLO and admission', () => {
  const input = { name: 'x', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] };

  it('a timeout no executor can make is 429 with the reason and Retry-After; nothing is queued', async () => {
    const s = await setup();
    const before = s.sent.length;
    const r = await s.call({ method: 'POST', url: '/v2/models/cls/infer', payload: { inputs: [input], parameters: { timeout: 1 } } });
    expect(r.statusCode).toBe(429);
    expect(r.headers['retry-after']).toBe('1');
    expect(r.headers['punctual-reason']).toBe('slo_unattainable');
    expect(json(r)).toMatchObject({ error: expect.stringMatching(/slo_unattainable/), reason: 'slo_unattainable' });
    expect(s.sent.length).toBe(before);
  });

  it('the deadline header is the SLO too, and caps a longer timeout; timeout 0 means none (the default SLO)', async () => {
    const s = await setup();
    const tight = await s.call({ method: 'POST', url: '/v2/models/cls/infer', headers: { 'punctual-timeout-ms': '0.5' }, payload: { inputs: [input] } });
    expect(tight.statusCode).toBe(429);
    const capped = await s.call({ method: 'POST', url: '/v2/models/cls/infer', headers: { 'punctual-timeout-ms': '0.5' }, payload: { inputs: [input], parameters: { timeout: 10_000_000 } } });
    expect(capped.statusCode).toBe(429);
    const roomy = await s.call({ method: 'POST', url: '/v2/models/cls/infer', headers: { 'punctual-timeout-ms': '5000' }, payload: { inputs: [input] } });
    expect(roomy.statusCode).toBe(200);
    expect((await s.call({ method: 'POST', url: '/v2/models/cls/infer', payload: { inputs: [input], parameters: { timeout: 0 } } })).statusCode).toBe(200);
    const bad = await s.call({ method: 'POST', url: '/v2/models/cls/infer', headers: { 'punctual-timeout-ms': 'soon' }, payload: { inputs: [input] } });
    expect(bad.statusCode).toBe(400);
    expect(json(bad)).toMatchObject({ error: expect.stringMatching(/Punctual-Timeout-Ms/) });
  });

  it('the SLO counts from the arrival of the headers, not from when the handler ran', async () => {
    const s = await setup();
    // The clock moves 50 ms between the headers (onRequest) and the handler: a 40 ms SLO is already spent.
    s.app.addHook('preHandler', (_req, _reply, done) => {
      s.clock.advance(50);
      done();
    });
    const r = await s.call({ method: 'POST', url: '/v2/models/cls/infer', payload: { inputs: [input], parameters: { timeout: 40_000 } } });
    expect(r.statusCode).toBe(429);
    expect((await s.call({ method: 'POST', url: '/v2/models/cls/infer', payload: { inputs: [input], parameters: { timeout: 80_000 } } })).statusCode).toBe(200);
  });

  it('draining: 503 (reason draining); no worker: 503 (no_executor); neither has Retry-After', async () => {
    const s = await setup();
    s.core.draining = true;
    const r = await s.call({ method: 'POST', url: '/v2/models/cls/infer', payload: { inputs: [input] } });
    expect(r.statusCode).toBe(503);
    expect(json(r)).toMatchObject({ reason: 'draining' });
    expect(r.headers['retry-after']).toBeUndefined();
    const n = await setup({ worker: false });
    const r2 = await n.call({ method: 'POST', url: '/v2/models/cls/infer', payload: { inputs: [input] } });
    expect(r2.statusCode).toBe(503);
    expect(json(r2)).toMatchObject({ reason: 'no_executor' });
  });

  it('a parameter named __proto__ is read as any other: an object is refused, a number ignored', async () => {
    const s = await setup();
    const r = await s.call({ method: 'POST', url: '/v2/models/cls/infer', payload: `{"inputs":[${JSON.stringify(input)}],"parameters":{"__proto__":{"timeout":{"parameterChoice":"int64Param","int64Param":1}}}}`, headers: { 'content-type': 'application/json' } });
    expect(r.statusCode).toBe(400);
    expect(json(r)).toMatchObject({ error: expect.stringMatching(/parameter "__proto__" must be a boolean, a number or a string/) });
    const r2 = await s.call({ method: 'POST', url: '/v2/models/cls/infer', payload: `{"inputs":[${JSON.stringify(input)}],"parameters":{"__proto__":5}}`, headers: { 'content-type': 'application/json' } });
    expect(r2.statusCode).toBe(200);
  });

  it('priority 0 is accepted, another level is 400 naming why', async () => {
    const s = await setup();
    expect((await s.call({ method: 'POST', url: '/v2/models/cls/infer', payload: { inputs: [input], parameters: { priority: 0 } } })).statusCode).toBe(200);
    const r = await s.call({ method: 'POST', url: '/v2/models/cls/infer', payload: { inputs: [input], parameters: { priority: 2 } } });
    expect(r.statusCode).toBe(400);
    expect(json(r)).toMatchObject({ error: expect.stringMatching(/priority/) });
  });
});

describe('V2 REST: bad requests are clear 4xx and counted as not admitted; the server keeps serving', () => {
  const x = { name: 'x', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] };
  const cases: [string, InjectOptions, number, RegExp][] = [
    ['malformed JSON', { payload: '{"inputs": [', headers: { 'content-type': 'application/json' } }, 400, /does not parse/],
    ['an empty body', { payload: '' }, 400, /no JSON/],
    ['a compressed body', { payload: Buffer.from([0x1f, 0x8b, 8, 0]), headers: { 'content-encoding': 'gzip' } }, 400, /Content-Encoding "gzip" is not supported/],
    ['JSON that is not an object', { payload: '[1,2]', headers: { 'content-type': 'application/json' } }, 400, /must be a JSON object/],
    ['inputs not an array', { payload: { inputs: 'x' } }, 400, /"inputs" must be an array/],
    ['no inputs', { payload: { inputs: [] } }, 400, /no inputs/],
    ['an unknown input', { payload: { inputs: [{ ...x, name: 'z' }] } }, 400, /unknown input "z"/],
    ['a wrong datatype', { payload: { inputs: [{ ...x, datatype: 'INT32' }] } }, 400, /datatype INT32, expected FP32/],
    ['BYTES', { payload: { inputs: [{ ...x, datatype: 'BYTES', data: ['a', 'b', 'c'] }] } }, 400, /unknown datatype "BYTES"/],
    ['a huge shape with 3 elements', { payload: { inputs: [{ ...x, shape: [30_000_000, 3] }] } }, 400, /batch of 30000000 is over its max batch 4/],
    ['fewer elements than the shape', { payload: { inputs: [{ ...x, shape: [2, 3] }] } }, 400, /holds 3 elements, shape \[2, 3\] needs 6/],
    ['more data than the shape', { payload: { inputs: [{ ...x, data: [1, 2, 3, 4] }] } }, 400, /more than the 3 elements/],
    ['strings as FP32', { payload: { inputs: [{ ...x, data: ['1', 2, 3] }] } }, 400, /element 0 of "data" is a string; FP32 takes numbers/],
    ['nested past any rank', { payload: { inputs: [{ ...x, data: JSON.parse('['.repeat(40) + ']'.repeat(40)) as unknown }] } }, 400, /nested deeper/],
    ['no batch axis', { payload: { inputs: [{ ...x, shape: [3] }] } }, 400, /without the batch axis/],
    ['a batch over the max', { payload: { inputs: [{ ...x, shape: [5, 3], data: new Array(15).fill(0) }] } }, 400, /over its max batch 4/],
    ['a negative dimension', { payload: { inputs: [{ ...x, shape: [-1, 3] }] } }, 400, /shape/],
    ['neither data nor binary', { payload: { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3] }] } }, 400, /neither "data" nor parameters.binary_data_size/],
    ['an unknown output', { payload: { inputs: [x], outputs: [{ name: 'q' }] } }, 400, /unknown output "q"/],
    ['classification', { payload: { inputs: [x], outputs: [{ name: 'y', parameters: { classification: 2 } }] } }, 501, /classification extension/],
    ['an id too long', { payload: { id: 'i'.repeat(2000), inputs: [x] } }, 400, /at most 1024/],
    ['a timeout over an hour', { payload: { inputs: [x], parameters: { timeout: 4e9 } } }, 400, /over one hour/],
    ['a header length past the body', { payload: '{}', headers: { 'inference-header-content-length': '99' } }, 400, /within the body's 2 bytes/],
    ['a header length that is not a number', { payload: '{}', headers: { 'inference-header-content-length': '-1' } }, 400, /Inference-Header-Content-Length "-1"/],
    ['binary_data_size past the body', { ...binaryBody({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], parameters: { binary_data_size: 1200 } }] }, new Uint8Array(12)) }, 400, /runs past the body/],
    ['binary bytes left over', { ...binaryBody({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], parameters: { binary_data_size: 12 } }] }, new Uint8Array(16)) }, 400, /add up to 12/],
    ['binary of the wrong size for its shape', { ...binaryBody({ inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 3], parameters: { binary_data_size: 12 } }] }, new Uint8Array(12)) }, 400, /carries 12 bytes.*needs 24/],
    ['a fractional binary_data_size', { ...binaryBody({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], parameters: { binary_data_size: 1.5 } }] }, new Uint8Array(12)) }, 400, /binary_data_size must be a byte count/],
  ];

  it.each(cases)('%s', async (_what, opts, status, message) => {
    const s = await setup();
    const r = await s.call({ method: 'POST', url: '/v2/models/cls/infer', ...opts } as InjectOptions);
    expect(r.statusCode).toBe(status);
    expect(json(r)).toMatchObject({ error: expect.stringMatching(message) });
    expect(s.notAdmitted.length).toBe(1);
    expect((await s.call({ method: 'POST', url: '/v2/models/cls/infer', payload: { inputs: [x] } })).statusCode).toBe(200);
  });

  it('an unknown model is 404; a body over the limit is 413 unread', async () => {
    const s = await setup({ maxBodyBytes: 4096 });
    const r = await s.call({ method: 'POST', url: '/v2/models/nope/infer', payload: { inputs: [x] } });
    expect(r.statusCode).toBe(404);
    expect(json(r)).toMatchObject({ error: expect.stringMatching(/nope/) });
    const big = await s.call({ method: 'POST', url: '/v2/models/cls/infer', payload: Buffer.alloc(5000), headers: { 'content-type': 'application/octet-stream' } });
    expect(big.statusCode).toBe(413);
    expect(json(big)).toMatchObject({ error: expect.any(String) });
  });

  it('JSON per datatype: BOOL, INT8 ranges, INT64 beyond 2^53 refused, FP16 as numbers', async () => {
    const { jsonToBytes, bytesToJson, fromHalf, toHalf } = await import('./json-tensors.js');
    expect([...jsonToBytes('t', 'bool', [true, false])]).toEqual([1, 0]);
    expect(() => jsonToBytes('t', 'bool', [1])).toThrow(/BOOL takes true or false/);
    expect(() => jsonToBytes('t', 'int8', [128])).toThrow(/integers from -128 to 127/);
    expect(() => jsonToBytes('t', 'int32', [1.5])).toThrow(/integers/);
    expect(() => jsonToBytes('t', 'int64', [2 ** 53])).toThrow(/send them in binary/);
    expect(bytesToJson('int64', jsonToBytes('t', 'int64', [-(2 ** 53) + 1, 7]))).toBe('[-9007199254740991,7]');
    expect(bytesToJson('uint64', jsonToBytes('t', 'uint64', [2 ** 53 - 1]))).toBe('[9007199254740991]');
    expect(bytesToJson('bool', jsonToBytes('t', 'bool', [true, false]))).toBe('[true,false]');
    expect(bytesToJson('float16', jsonToBytes('t', 'float16', [1, -2.5, 65504, 1e6, 2 ** -24, 0.1]))).toBe(`[1,-2.5,65504,null,${2 ** -24},${fromHalf(toHalf(0.1))}]`);
    expect(toHalf(0.1)).toBe(0x2e66);
    expect(bytesToJson('float32', new Uint8Array(new Float32Array([NaN, 0.5]).buffer))).toBe('[null,0.5]');
  });
});

describe('V2 REST: tokens', () => {
  const x = { name: 'x', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] };

  it('with an infer token: 401 without it (WWW-Authenticate), 403 with another; the admin token works too', async () => {
    const s = await setup({ tokens: { inferToken: 'inf', adminToken: 'adm' } });
    const none = await s.call({ method: 'POST', url: '/v2/models/cls/infer', payload: { inputs: [x] } });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(json(none)).toMatchObject({ error: expect.stringMatching(/needs a token/), reason: 'token_missing' });
    const wrong = await s.call({ method: 'POST', url: '/v2/models/cls/infer', headers: { authorization: 'Bearer nope' }, payload: { inputs: [x] } });
    expect(wrong.statusCode).toBe(403);
    expect((await s.call({ method: 'POST', url: '/v2/models/cls/infer', headers: { authorization: 'Bearer inf' }, payload: { inputs: [x] } })).statusCode).toBe(200);
    expect((await s.call({ method: 'POST', url: '/v2/models/cls/infer', headers: { authorization: 'Bearer adm' }, payload: { inputs: [x] } })).statusCode).toBe(200);
    // Metadata and health take the same tokens (the read role), as over gRPC.
    expect((await s.call({ method: 'GET', url: '/v2/models/cls' })).statusCode).toBe(401);
    expect((await s.call({ method: 'GET', url: '/v2/models/cls', headers: { authorization: 'Bearer inf' } })).statusCode).toBe(200);
    // The repository extension is the admin's.
    expect((await s.call({ method: 'POST', url: '/v2/repository/index', headers: { authorization: 'Bearer inf' } })).statusCode).toBe(403);
    expect((await s.call({ method: 'POST', url: '/v2/repository/index', headers: { authorization: 'Bearer adm' } })).statusCode).toBe(200);
  });

  it('an infer token without an admin token closes the repository extension to everyone (403)', async () => {
    const s = await setup({ tokens: { inferToken: 'inf' } });
    const r = await s.call({ method: 'POST', url: '/v2/repository/models/cls/unload', headers: { authorization: 'Bearer inf' } });
    expect(r.statusCode).toBe(403);
    expect(json(r)).toMatchObject({ error: expect.stringMatching(/Admin is closed/) });
  });
});

describe('V2 REST: the repository extension and statistics', () => {
  it('index (all, ready only), load (waits for it), unload, and their errors', async () => {
    const s = await setup();
    const idx = await s.call({ method: 'POST', url: '/v2/repository/index' });
    expect(idx.statusCode).toBe(200);
    expect(json(idx)).toEqual([
      { name: 'cls', version: '1', state: 'READY', reason: expect.any(String) },
      { name: 'cls', version: '2', state: 'READY', reason: expect.any(String) },
    ]);
    expect(json(await s.call({ method: 'POST', url: '/v2/repository/index', payload: { ready: true } }))).toHaveLength(2);
    expect((await s.call({ method: 'POST', url: '/v2/repository/index', payload: { ready: 'yes' } })).statusCode).toBe(400);
    const unload = await s.call({ method: 'POST', url: '/v2/repository/models/cls/unload' });
    expect(unload.statusCode).toBe(200);
    expect(s.core.view.residency('cls@2').loaded).toEqual([]);
    const load = await s.call({ method: 'POST', url: '/v2/repository/models/cls/load' });
    expect(load.statusCode).toBe(200);
    expect(s.core.view.residency('cls@2').loaded.length).toBeGreaterThan(0);
    expect((await s.call({ method: 'POST', url: '/v2/repository/models/nope/load' })).statusCode).toBe(404);
    expect((await s.call({ method: 'POST', url: '/v2/repository/models/cls/load', payload: { parameters: { config: '{}' } } })).statusCode).toBe(501);
  });

  it("config: Triton's model configuration as its HTTP JSON (what perf_analyzer reads)", async () => {
    const s = await setup();
    const r = await s.call({ method: 'GET', url: '/v2/models/cls/config' });
    expect(r.statusCode).toBe(200);
    expect(json(r)).toEqual({
      name: 'cls',
      platform: 'onnxruntime_onnx',
      backend: 'onnxruntime',
      version_policy: { all: {} },
      max_batch_size: 4,
      input: [{ name: 'x', data_type: 'TYPE_FP32', format: 'FORMAT_NONE', dims: [3] }],
      output: [
        { name: 'y', data_type: 'TYPE_FP32', dims: [2] },
        { name: 'n', data_type: 'TYPE_INT64', dims: [1] },
      ],
      dynamic_batching: { preferred_batch_size: [1, 2, 4], max_queue_delay_microseconds: 0 },
      instance_group: [{ name: 'cls_0', kind: 'KIND_CPU', count: 1, gpus: [] }],
      default_model_filename: 'model.onnx',
    });
    expect((await s.call({ method: 'GET', url: '/v2/models/cls/versions/1/config' })).statusCode).toBe(200);
    expect((await s.call({ method: 'GET', url: '/v2/models/nope/config' })).statusCode).toBe(404);
  });

  it("stats: Triton's statistics in snake_case, counting an answered request", async () => {
    const s = await setup();
    expect((await s.call({ method: 'POST', url: '/v2/models/cls/versions/1/infer', payload: { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] } })).statusCode).toBe(200);
    const r = await s.call({ method: 'GET', url: '/v2/models/cls/versions/1/stats' });
    expect(r.statusCode).toBe(200);
    const body = json(r) as { model_stats: { name: string; version: string; inference_count: number; inference_stats: { success: { count: number } } }[] };
    expect(body.model_stats).toHaveLength(1);
    expect(body.model_stats[0]).toMatchObject({ name: 'cls', version: '1', inference_count: 1, inference_stats: { success: { count: 1 } } });
    expect((json(await s.call({ method: 'GET', url: '/v2/models/stats' })) as { model_stats: unknown[] }).model_stats).toHaveLength(2);
    expect((await s.call({ method: 'GET', url: '/v2/models/nope/stats' })).statusCode).toBe(404);
  });
});
