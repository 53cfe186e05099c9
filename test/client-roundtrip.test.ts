// PunctualClient against a real in-process gRPC server: tensors round-trip
// byte-exactly, bare typed arrays take the declared shape, and slo_ms, the
// deadline and the token reach the server.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bytesOf, type TypedArray } from '../common/dtype.js';
import { PunctualError, Status } from '../common/errors.js';
import {
  InvalidInputError,
  ModelNotFoundError,
  PunctualClient,
  PunctualClientError,
  UnavailableError,
  isInvalidInputError,
} from '../client/index.js';
import { echo, startFakeBackend, type FakeBackend } from './support/fake-backend.js';

let backend: FakeBackend;
const clients: PunctualClient[] = [];

function client(options?: ConstructorParameters<typeof PunctualClient>[1]): PunctualClient {
  const c = new PunctualClient(backend.address, options);
  clients.push(c);
  return c;
}

function sameBytes(a: TypedArray, b: TypedArray): boolean {
  return Buffer.from(bytesOf(a)).equals(Buffer.from(bytesOf(b)));
}

beforeAll(async () => {
  backend = await startFakeBackend();
});
afterEach(() => {
  backend.infers.length = 0;
  backend.listModelsCalls.length = 0;
  backend.admits = 0;
  backend.onInfer = echo;
  for (const c of clients.splice(0)) c.close();
});
afterAll(async () => {
  await backend.close();
});

describe('tensors round-trip byte-exactly', () => {
  it('float32, int64 and uint8 come back as the same typed arrays', async () => {
    const f = new Float32Array([0, -0, 1.5, -3.25, Math.PI, Number.NaN, Infinity, 1e-45]);
    const i = new BigInt64Array([0n, -1n, 9007199254740993n, -(2n ** 63n), 2n ** 63n - 1n]);
    const u = new Uint8Array([0, 1, 127, 128, 255]);
    const res = await client().infer('any', {
      f: { data: f, shape: [2, 4] },
      i: { data: i, shape: [5] },
      u: { data: u, shape: [1, 5] },
    });
    expect(res.outputs.f_out?.dtype).toBe('float32');
    expect(res.outputs.f_out?.data).toBeInstanceOf(Float32Array);
    expect(res.outputs.f_out?.shape).toEqual([2, 4]);
    expect(sameBytes(res.outputs.f_out!.data, f)).toBe(true);
    expect(res.outputs.i_out?.dtype).toBe('int64');
    expect(res.outputs.i_out?.data).toBeInstanceOf(BigInt64Array);
    expect([...(res.outputs.i_out!.data as BigInt64Array)]).toEqual([...i]);
    expect(res.outputs.u_out?.dtype).toBe('uint8');
    expect(res.outputs.u_out?.data).toBeInstanceOf(Uint8Array);
    expect(sameBytes(res.outputs.u_out!.data, u)).toBe(true);
    // What went over the wire is little-endian raw bytes with the dtype named.
    const sent = backend.infers[0]!.request.inputs;
    expect(sent.map((t) => t.dtype)).toEqual(['float32', 'int64', 'uint8']);
    expect(Buffer.from(sent[1]!.data.subarray(0, 8))).toEqual(Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]));
    expect(Buffer.from(sent[1]!.data.subarray(8, 16))).toEqual(Buffer.alloc(8, 0xff));
  });

  it('a subarray input sends only its own bytes', async () => {
    const whole = new Float32Array([9, 1, 2, 3, 9]);
    const res = await client().infer('any', { v: { data: whole.subarray(1, 4), shape: [3] } });
    expect([...(res.outputs.v_out!.data as Float32Array)]).toEqual([1, 2, 3]);
  });

  it('returns the response fields and a client-side latency', async () => {
    const res = await client().infer('img', { x: { data: new Float32Array(48), shape: [3, 4, 4] } }, { version: 1 });
    expect(res).toMatchObject({
      model: 'img',
      version: 1,
      timings: { queueMs: 1.5, execMs: 2.5, totalMs: 4.5 },
      batchSize: 1,
      worker: 'fake',
      executor: 0,
    });
    expect(res.latencyMs).toBeGreaterThan(0);
  });
});

describe('bare typed arrays take the declared per-item shape', () => {
  it('sends [1, ...shape] of the newest version, and fetches ListModels once', async () => {
    const c = client();
    await c.infer('img', { x: new Float32Array(3 * 8 * 8) });
    await c.infer('img', { x: new Float32Array(3 * 8 * 8) });
    expect(backend.infers.map((r) => r.request.inputs[0]!.shape)).toEqual([
      [1, 3, 8, 8],
      [1, 3, 8, 8],
    ]);
    expect(backend.listModelsCalls).toHaveLength(1);
  });

  it('uses the pinned version\'s shape', async () => {
    await client().infer('img', { x: new Float32Array(48) }, { version: 1 });
    expect(backend.infers[0]!.request.inputs[0]!.shape).toEqual([1, 3, 4, 4]);
    expect(backend.infers[0]!.request.version).toBe(1);
  });

  it('takes the declared dtype where the bytes fit (bool from Uint8Array)', async () => {
    await client().infer('tok', { ids: new BigInt64Array(5), mask: new Uint8Array([1, 0, 1, 1, 0]) });
    const sent = backend.infers[0]!.request.inputs;
    expect(sent.map((t) => [t.name, t.dtype, t.shape])).toEqual([
      ['ids', 'int64', [1, 5]],
      ['mask', 'bool', [1, 5]],
    ]);
  });

  it('rejects a wrong element count locally, without calling Infer', async () => {
    const err = await client().infer('img', { x: new Float32Array(10) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).message).toMatch(/expects 192 elements/);
    expect(backend.infers).toHaveLength(0);
  });

  it('rejects an input name the model does not declare, listing the expected ones', async () => {
    const err = await client().infer('tok', { idz: new BigInt64Array(5) }).catch((e: unknown) => e);
    expect(isInvalidInputError(err)).toBe(true);
    expect((err as Error).message).toMatch(/expected inputs: ids, mask/);
  });

  it('refreshes the cache once for a model it has not seen, then reports NOT_FOUND', async () => {
    const c = client();
    await c.listModels();
    backend.models.push({ name: 'late', version: 3, inputs: [{ name: 'a', dtype: 'uint8', shape: [2] }] });
    await c.infer('late', { a: new Uint8Array(2) });
    expect(backend.infers[0]!.request.inputs[0]!.shape).toEqual([1, 2]);
    const err = await c.infer('nope', { a: new Uint8Array(2) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelNotFoundError);
    expect((err as ModelNotFoundError).message).toContain('nope');
    backend.models.pop();
  });
});

describe('what reaches the server', () => {
  it('sends slo_ms only when given', async () => {
    const c = client();
    await c.infer('any', { u: { data: new Uint8Array(1), shape: [1] } }, { sloMs: 25 });
    await c.infer('any', { u: { data: new Uint8Array(1), shape: [1] } });
    expect(backend.infers[0]!.request.sloMs).toBe(25);
    expect(backend.infers[1]!.request.sloMs).toBeUndefined();
  });

  it('sends the per-call deadline, else the default, else none', async () => {
    const input = { u: { data: new Uint8Array(1), shape: [1] } };
    const before = Date.now();
    await client().infer('any', input, { deadlineMs: 60_000 });
    await client({ defaultDeadlineMs: 120_000 }).infer('any', input);
    await client().infer('any', input);
    const after = Date.now();
    const [withDeadline, withDefault, without] = backend.infers.map((r) => r.deadline);
    const ms = (d: unknown): number => (d instanceof Date ? d.getTime() : Number(d));
    expect(ms(withDeadline)).toBeGreaterThan(before + 50_000);
    expect(ms(withDeadline)).toBeLessThanOrEqual(after + 60_000);
    expect(ms(withDefault)).toBeGreaterThan(before + 110_000);
    expect(ms(withDefault)).toBeLessThanOrEqual(after + 120_000);
    expect(without).toBe(Infinity);
  });

  it('sends the token as authorization: Bearer metadata, and nothing without one', async () => {
    const input = { u: { data: new Uint8Array(1), shape: [1] } };
    await client({ token: 's3cret' }).infer('any', input);
    await client().infer('any', input);
    expect(backend.infers[0]!.metadata.get('authorization')).toEqual(['Bearer s3cret']);
    expect(backend.infers[1]!.metadata.get('authorization')).toEqual([]);
    const c = client({ token: 's3cret' });
    await c.clusterStatus();
    expect(backend.clusterStatusCalls.at(-1)!.metadata.get('authorization')).toEqual(['Bearer s3cret']);
  });

  it('rejects invalid call options before sending', async () => {
    const input = { u: { data: new Uint8Array(1), shape: [1] } };
    await expect(client().infer('any', input, { sloMs: -1 })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(client().infer('any', input, { version: 1.5 })).rejects.toBeInstanceOf(InvalidInputError);
    expect(backend.infers).toHaveLength(0);
  });
});

describe('admin calls', () => {
  it('clusterStatus and listModels return what the server sent', async () => {
    backend.status = {
      workers: [{ id: 'w', name: 'w1', executors: [{ index: 0, device: 'cpu', threads: 1, memoryBudgetBytes: 1024 }] }],
      uptimeS: 12,
      policy: 'punctual',
    };
    const c = client();
    const st = await c.clusterStatus();
    expect(st.workers[0]?.executors[0]).toMatchObject({ device: 'cpu', memoryBudgetBytes: 1024 });
    expect(st.uptimeS).toBe(12);
    const models = await c.listModels();
    expect(models.map((m) => `${m.name}@${m.version}`)).toEqual(['img@1', 'img@2', 'tok@1']);
  });
});

describe('cancellation and connection failures', () => {
  it('an AbortSignal cancels a call in flight with CANCELLED', async () => {
    backend.onInfer = () => new Promise(() => {}); // never answers
    const ac = new AbortController();
    const pending = client().infer('any', { u: { data: new Uint8Array(1), shape: [1] } }, { signal: ac.signal });
    await new Promise<void>((resolve) => {
      const poll = (): void => (backend.infers.length > 0 ? resolve() : void setTimeout(poll, 5));
      poll();
    });
    ac.abort();
    const err = await pending.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PunctualClientError);
    expect((err as PunctualClientError).code).toBe(Status.CANCELLED);
  });

  it('an unreachable controller is UNAVAILABLE and the message names the address', async () => {
    const other = await startFakeBackend();
    const address = other.address;
    await other.close();
    const c = new PunctualClient(address);
    const err = await c.clusterStatus().catch((e: unknown) => e);
    c.close();
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as UnavailableError).message).toContain(address);
    expect((err as UnavailableError).reason).toBeUndefined();
  });

  it('a server-sent UNAVAILABLE keeps the server\'s message and reason', async () => {
    backend.onInfer = () => {
      throw new PunctualError(Status.UNAVAILABLE, 'no worker has an executor for img', 'no_capacity');
    };
    const err = await client().infer('img', { x: { data: new Float32Array(48), shape: [3, 4, 4] } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as UnavailableError).message).toBe('no worker has an executor for img');
    expect((err as UnavailableError).reason).toBe('no_capacity');
  });
});

describe('the data plane and small requests', () => {
  it('sends a request smaller than dataPlaneMinBytes (64 KiB unless told) through Infer, without asking for the data plane', async () => {
    const x = new Float32Array(16);
    await client({ dataPlane: true }).infer('any', { x: { data: x, shape: [1, 16] } });
    expect(backend.admits).toBe(0);
    expect(backend.infers).toHaveLength(1);
    // 0: every request asks for it (the fake backend has none: no_data_plane, then Infer).
    const r = await client({ dataPlane: true, dataPlaneMinBytes: 0 }).infer('any', { x: { data: x, shape: [1, 16] } });
    expect(backend.admits).toBe(1);
    expect(r.dataPlane).toBe(false);
    expect(backend.infers).toHaveLength(2);
    // At the threshold it asks.
    await client({ dataPlane: true, dataPlaneMinBytes: 64 }).infer('any', { x: { data: x, shape: [1, 16] } });
    expect(backend.admits).toBe(2);
    expect(() => client({ dataPlaneMinBytes: -1 })).toThrow(/dataPlaneMinBytes must be a whole number of bytes/);
  });
});
